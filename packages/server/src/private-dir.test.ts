import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makePrivateDir } from "./private-dir";

const root = mkdtempSync(join(tmpdir(), "slipway-private-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const modeOf = (dir: string) => statSync(dir).mode & 0o7777;
const refusal = (dir: string) => {
  try {
    makePrivateDir(dir, false);
  } catch (e) {
    return e as { code: string; message: string; hint: string };
  }
  throw new Error(`${dir} was accepted`);
};

describe("makePrivateDir (.slipway/ and .slipway/store/)", () => {
  it("creates the directory 0700, or 0711 when unprivileged users must pass through to their own", () => {
    makePrivateDir(join(root, "a", ".slipway"), false);
    expect(modeOf(join(root, "a", ".slipway"))).toBe(0o700);
    makePrivateDir(join(root, "b", ".slipway"), true);
    expect(modeOf(join(root, "b", ".slipway"))).toBe(0o711);
  });

  it("tightens a directory only we can write in (the 0755 that earlier versions made)", () => {
    const dir = join(root, "c");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    makePrivateDir(dir, false);
    expect(modeOf(dir)).toBe(0o700);
  });

  it("refuses a directory others can write in, naming it, its mode and the chmod that fixes it", () => {
    const dir = join(root, "d");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const e = refusal(dir);
    expect(e.code).toBe("SLW_STATE_UNSAFE");
    expect(e.message).toContain(`${dir} is mode 0777`);
    expect(e.hint).toContain(`chmod 700 ${dir}`);
    expect(modeOf(dir)).toBe(0o777); // left as found: what is in it is for the owner to check
  });

  it("refuses a group-writable directory whose group is not ours", () => {
    const dir = join(root, "e");
    mkdirSync(dir);
    chmodSync(dir, 0o770);
    // As root, hand the group to nobody's; otherwise any group we are in but is not our own.
    const otherGroup =
      process.getuid?.() === 0 ? 65534 : (process.getgroups?.() ?? []).find((g) => g !== process.getgid?.());
    if (otherGroup === undefined) throw new Error("this test needs root or a second group");
    chownSync(dir, process.getuid!(), otherGroup);
    expect(refusal(dir).message).toContain("is mode 0770");
  });

  it("refuses a directory owned by another user", () => {
    // As root, give it to nobody; otherwise / is someone else's (root's) directory.
    let dir = "/";
    if (process.getuid?.() === 0) {
      dir = join(root, "f");
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, 65534, 65534);
    }
    const e = refusal(dir);
    expect(e.code).toBe("SLW_STATE_UNSAFE");
    expect(e.message).toMatch(/is owned by uid \d+, not by the user running Slipway/);
    expect(e.hint).toContain(`chmod 700 ${dir}`);
  });
});
