import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { readFileNoFollow, writeFileAtomic } from "@slipway/files";
import type { SealedStore } from "./repository";

/** Sealed files as plain files under the repository's directory (root's, 0700 directories). */
export function localStore(dir: string): SealedStore {
  const path = (name: string) => join(dir, name);
  const parentOf = (name: string) => {
    mkdirSync(dirname(path(name)), { recursive: true, mode: 0o700 });
    return path(name);
  };
  return {
    where: dir,
    async list(prefix) {
      const top = path(prefix);
      if (!existsSync(top)) return [];
      return readdirSync(top, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)));
    },
    async read(name) {
      return existsSync(path(name)) ? createReadStream(path(name)) : undefined;
    },
    async readText(name) {
      return readFileNoFollow(path(name));
    },
    async put(name, file) {
      renameSync(file, parentOf(name)); // staging/ is in the same directory: an atomic move
    },
    async putText(name, text) {
      writeFileAtomic(parentOf(name), text, 0o600);
    },
    async remove(names) {
      for (const name of names) {
        rmSync(path(name), { force: true });
        // base/<id>/ goes with its last file; top-level directories (wal/, base/) stay.
        if (dirname(name).includes("/")) {
          try {
            rmdirSync(dirname(path(name)));
          } catch {} // not empty yet
        }
      }
    },
  };
}
