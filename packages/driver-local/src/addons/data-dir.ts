import { chmodSync, chownSync, existsSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { assertTraversable, type RunAs } from "../system/service-user";
import type { AddonRecord } from "./types";

/**
 * Creates the add-on's data directory, owned by the user the server runs as, mode 0700:
 * other local users must not read the data, the logs or the unix socket inside it.
 */
export function prepareDataDir(record: AddonRecord, runAs: RunAs | undefined): void {
  const dir = record.dataDir;
  if (!isAbsolute(dir) || /[\0\n\r]/.test(dir))
    throw new SlipwayError(
      "SLW_ADDON_FAILED",
      `${label(record)}: data directory must be an absolute path without control characters: ${JSON.stringify(dir)}`,
    );
  // Parents get the default mode: a recursive mkdir would make them 0700 too, and the service
  // user could no longer walk through them.
  mkdirSync(dirname(dir), { recursive: true });
  if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  assertTraversable(dir, runAs);
}

/**
 * Writes a file the server reads, owned by its user, readable by nobody else. The data
 * directory is that user's, so the write never follows what it may have put at `path`.
 */
export function writeOwnedFile(path: string, content: string, runAs: RunAs | undefined): void {
  writeFileAtomic(path, content, 0o600, runAs);
}

/** "postgres db (env production)" — how errors name an instance. */
export function label(record: AddonRecord): string {
  return `${record.kind} add-on "${record.name}" (env ${record.env})`;
}
