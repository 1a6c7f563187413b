import { createReadStream, rmSync, statSync } from "node:fs";
import type { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { bucketFromConnectionEnv, SlipwayError } from "@slipway/core";
import type { SealedStore } from "./repository";

/** An S3-compatible bucket holding a backup repository, e.g. the bucket add-on's (its connection env). */
export interface S3Location {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix of this repository inside the bucket, e.g. "backups/prod/db"; none when absent. */
  prefix?: string;
  /** Path-style addressing (s3rver, MinIO); virtual-host style when false. @default true */
  forcePathStyle?: boolean;
}

/**
 * Sealed files as objects. Files are sealed (encrypted) before they leave the machine, so the
 * bucket only ever holds ciphertext. One PUT per file: S3 caps a single PUT at 5 GB, which
 * bounds the base backups this store takes (zstd-compressed, so a database of several times that).
 */
export function s3Store(loc: S3Location): SealedStore {
  const client = new S3Client({
    endpoint: loc.endpoint,
    region: loc.region,
    forcePathStyle: loc.forcePathStyle ?? true,
    credentials: { accessKeyId: loc.accessKeyId, secretAccessKey: loc.secretAccessKey },
    // The GCM tag already authenticates every file. The SDK's default checksums would send
    // streamed bodies as aws-chunked, which S3-compatible servers such as s3rver store verbatim.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const root = loc.prefix ? `${loc.prefix.replace(/\/+$/, "")}/` : "";
  const where = `s3://${loc.bucket}/${root}`;
  const Bucket = loc.bucket;

  const get = async (name: string) => {
    try {
      return (await client.send(new GetObjectCommand({ Bucket, Key: root + name }))).Body;
    } catch (e) {
      if (e instanceof S3ServiceException && (e.name === "NoSuchKey" || e.$metadata.httpStatusCode === 404))
        return undefined;
      throw failed(`reading ${where}${name}`, e);
    }
  };

  return {
    where,
    async list(prefix) {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client
          .send(new ListObjectsV2Command({ Bucket, Prefix: root + prefix, ContinuationToken: token }))
          .catch((e) => {
            throw failed(`listing ${where}${prefix}`, e);
          });
        for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(root.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return names;
    },
    async read(name) {
      return (await get(name)) as Readable | undefined;
    },
    async readText(name) {
      return (await get(name))?.transformToString("utf8");
    },
    async put(name, file) {
      await client
        .send(
          new PutObjectCommand({
            Bucket,
            Key: root + name,
            Body: createReadStream(file),
            ContentLength: statSync(file).size,
          }),
        )
        .catch((e) => {
          throw failed(`uploading ${where}${name}`, e);
        })
        .finally(() => rmSync(file, { force: true }));
    },
    async putText(name, text) {
      await client.send(new PutObjectCommand({ Bucket, Key: root + name, Body: text })).catch((e) => {
        throw failed(`uploading ${where}${name}`, e);
      });
    },
    async remove(names) {
      for (const name of names)
        await client.send(new DeleteObjectCommand({ Bucket, Key: root + name })).catch((e) => {
          throw failed(`removing ${where}${name}`, e);
        });
    },
  };
}

function failed(what: string, e: unknown): SlipwayError {
  const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new SlipwayError(
    "SLW_BACKUP_FAILED",
    `${what} failed: ${why}`,
    "check the bucket's endpoint, name and credentials, and that the bucket add-on is running",
  );
}

/** The bucket add-on's connection variables (S3_ENDPOINT, S3_BUCKET, AWS_*) as a repository location. */
export function s3LocationFromEnv(env: Record<string, string>, prefix?: string): S3Location {
  return bucketFromConnectionEnv(env, prefix ?? "");
}
