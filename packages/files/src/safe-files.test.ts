import { spawnSync } from "node:child_process";
import {
  closeSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-file";
import { appendFileNoFollow, openAppendNoFollow, readFileNoFollow } from "./safe-files";

const dir = mkdtempSync(join(tmpdir(), "slipway-safe-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A target someone would like us to write through, and a link to it at a fresh name. */
function planted(kind: "symlink" | "hardlink"): { at: string; target: string } {
  const target = join(dir, `target-${++n}`);
  const at = join(dir, `planted-${n}`);
  writeFileSync(target, "precious\n");
  if (kind === "symlink") symlinkSync(target, at);
  else linkSync(target, at);
  return { at, target };
}

describe("files in a directory another user controls", () => {
  it("writeFileAtomic replaces a planted symlink instead of writing through it", () => {
    const { at, target } = planted("symlink");
    writeFileAtomic(at, "ours\n", 0o600);
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(lstatSync(at).isFile()).toBe(true);
    expect(lstatSync(at).mode & 0o777).toBe(0o600);
    expect(readFileSync(at, "utf8")).toBe("ours\n");
  });

  it("appending replaces a planted symlink or hard link, and keeps appending to our own file", () => {
    for (const kind of ["symlink", "hardlink"] as const) {
      const { at, target } = planted(kind);
      appendFileNoFollow(at, "one\n", 0o600);
      appendFileNoFollow(at, "two\n", 0o600);
      expect(readFileSync(target, "utf8"), kind).toBe("precious\n");
      expect(readFileSync(at, "utf8"), kind).toBe("one\ntwo\n");
    }
  });

  it("a FIFO at a log's name neither hangs us nor is written to", () => {
    const fifo = join(dir, "fifo.log");
    spawnSync("mkfifo", [fifo]);
    const fd = openAppendNoFollow(fifo, 0o600);
    writeSync(fd, "line\n");
    closeSync(fd);
    expect(lstatSync(fifo).isFile()).toBe(true);
    expect(readFileNoFollow(fifo)).toBe("line\n");
  });

  it("readFileNoFollow does not read through a link, and returns the tail of a plain file", () => {
    expect(readFileNoFollow(planted("symlink").at)).toBeUndefined();
    expect(readFileNoFollow(planted("hardlink").at)).toBeUndefined();
    expect(readFileNoFollow(join(dir, "absent"))).toBeUndefined();
    const plain = join(dir, "plain.log");
    writeFileSync(plain, "0123456789");
    expect(readFileNoFollow(plain, 4)).toBe("6789");
  });
});
