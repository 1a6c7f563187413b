import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { envName, SlipwayError } from "@slipway/core";
import type { BucketAddon } from "@slipway/spec";
import { addonUser, assertTraversable } from "../system/service-user";
import { label, prepareDataDir } from "./data-dir";
import { assertPortAvailable } from "./port-check";
import {
  exitWatch,
  logTail,
  pidAlive,
  readPidFile,
  signal,
  spawnDetached,
  waitFor,
  waitForExit,
} from "./process";
import { derivedSecret } from "./secrets";
import type { AddonDriver, AddonDriverOptions, AddonRecord } from "./types";

/**
 * Why s3rver: Debian ships no S3 server (no MinIO, Garage or SeaweedFS), and npm's s3rver 3.7.1
 * works with @aws-sdk/client-s3 v3 unchanged, multipart included (ecosystem notes §1).
 * Its limits: HTTP only; path-style addressing only here; it never verifies SigV4 signatures
 * and knows one built-in key pair (S3RVER/S3RVER), so our launcher swaps in a per-instance key
 * id and refuses requests without it — the key id is the real credential, the secret is
 * decorative; fine on loopback, not a security boundary beyond that. No bucket policies,
 * versioning or lifecycle; single process, objects as plain files.
 */
const LAUNCHER = fileURLToPath(new URL("./s3rver-main.mjs", import.meta.url));
const COMM = "slipway-s3rver";
const REGION = "us-east-1";

const files = (record: AddonRecord) => ({
  pid: join(record.dataDir, "s3rver.pid"),
  log: join(record.dataDir, "s3rver.log"),
});

export function bucketDriver(_opts: AddonDriverOptions = {}): AddonDriver<BucketAddon> {
  return {
    async ensure(spec, record) {
      const runAs = addonUser();
      prepareDataDir(record, runAs);
      assertTraversable(LAUNCHER, runAs);
      const adopted = await ourPid(record);
      if (adopted !== undefined) return { pid: adopted, adopted: true };
      await assertPortAvailable(record);

      const { accessKeyId, secretAccessKey } = credentials(record);
      const child = spawnDetached(process.execPath, [LAUNCHER], {
        runAs,
        cwd: record.dataDir,
        logFile: files(record).log,
        stdin: JSON.stringify({
          dataDir: record.dataDir,
          port: record.port,
          bucket: bucketName(spec, record),
          accessKeyId,
          secretAccessKey,
        }),
      });
      const exited = exitWatch(child);
      const pid = await waitFor(() => ourPid(record), 10_000, exited);
      if (pid === undefined) {
        if (!exited()) child.kill("SIGTERM");
        throw failed(record, "did not start");
      }
      return { pid, adopted: false };
    },

    connectionEnv(spec, record) {
      const { accessKeyId, secretAccessKey } = credentials(record);
      const bucket = bucketName(spec, record);
      return {
        S3_ENDPOINT: `http://127.0.0.1:${record.port}`,
        S3_BUCKET: bucket,
        S3_REGION: REGION,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        // s3rver serves buckets by path only; <bucket>.127.0.0.1 cannot resolve anyway.
        S3_FORCE_PATH_STYLE: "true",
        [`${envName(record.name)}_BUCKET`]: bucket,
      };
    },

    async isRunning(record) {
      return pidAlive(readPidFile(files(record).pid), COMM);
    },

    async stop(record) {
      const pid = readPidFile(files(record).pid);
      if (pid === undefined || !pidAlive(pid, COMM)) return;
      signal(pid, "SIGTERM"); // the launcher closes the listener and exits
      if (!(await waitForExit(pid, COMM, 5_000))) throw failed(record, `(pid ${pid}) did not stop`);
    },
  };
}

function bucketName(spec: BucketAddon, record: AddonRecord): string {
  return spec.bucket ?? record.name;
}

/** Derived, so services never see the record's password; the key id looks like an AWS one. */
function credentials(record: AddonRecord): { accessKeyId: string; secretAccessKey: string } {
  const id = derivedSecret(record.password, `s3:key-id:${record.env}:${record.name}`);
  return {
    accessKeyId: `SLW${id
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 17)
      .toUpperCase()}`,
    secretAccessKey: derivedSecret(record.password, `s3:secret:${record.env}:${record.name}`),
  };
}

/** Ours = the pid file names a live launcher, and the server on the port knows our key and that pid. */
async function ourPid(record: AddonRecord): Promise<number | undefined> {
  const pid = readPidFile(files(record).pid);
  if (pid === undefined || !pidAlive(pid, COMM)) return undefined;
  try {
    const res = await fetch(`http://127.0.0.1:${record.port}/`, {
      headers: { "x-slipway-probe": credentials(record).accessKeyId },
      signal: AbortSignal.timeout(1_000),
    });
    const body = res.ok ? ((await res.json()) as { pid?: unknown }) : {};
    return body.pid === pid ? pid : undefined;
  } catch {
    return undefined;
  }
}

function failed(record: AddonRecord, what: string): SlipwayError {
  const tail = logTail([files(record).log]);
  return new SlipwayError(
    "SLW_ADDON_FAILED",
    `${label(record)} ${what}${tail ? `:\n${tail}` : ""}`,
    `the log is ${files(record).log}`,
    { log: tail },
  );
}
