import { describe, expect, it } from "vitest";
import { chooseRepository } from "./repository-choice";

describe("which repository an add-on's backups go to", () => {
  it("is a local directory unless a bucket is named", () => {
    expect(chooseRepository({}, undefined, "prod", "db")).toEqual({ kind: "directory" });
  });

  it("uses the add-on's bucket, under a prefix of the environment and instance", () => {
    expect(chooseRepository({}, "files", "prod", "db")).toEqual({
      kind: "bucket-addon",
      addon: "files",
      prefix: "slipway-backups/prod/db",
    });
  });

  it("lets the environment's repository win over the add-on's bucket", () => {
    const repository = {
      bucket: "acme-backups",
      endpoint: "https://s3.example.com",
      prefix: "pg/",
      credentials: { accessKeyId: "BK_ID", secretAccessKey: "BK_SECRET" },
    };
    expect(chooseRepository({ repository }, "files", "prod", "db-restore-1")).toEqual({
      kind: "external",
      endpoint: "https://s3.example.com",
      region: "us-east-1",
      bucket: "acme-backups",
      prefix: "pg/prod/db-restore-1",
      credentials: { accessKeyId: "BK_ID", secretAccessKey: "BK_SECRET" },
      forcePathStyle: true,
    });
    const aws = { ...repository, endpoint: "https://s3.eu-central-1.amazonaws.com" };
    expect(chooseRepository({ repository: aws }, undefined, "prod", "db")).toMatchObject({
      forcePathStyle: false,
    });
    expect(chooseRepository({ repository: { bucket: "other" } }, "files", "dev", "db")).toMatchObject({
      kind: "bucket-addon",
      addon: "other",
    });
  });

  it("refuses an external endpoint without credentials, naming the field", () => {
    expect(() =>
      chooseRepository(
        { repository: { bucket: "b", endpoint: "https://s3.example.com" } },
        undefined,
        "p",
        "db",
      ),
    ).toThrow(
      expect.objectContaining({
        code: "SLW_BAD_REQUEST",
        detail: { field: "backup.repository.credentials" },
      }),
    );
  });
});
