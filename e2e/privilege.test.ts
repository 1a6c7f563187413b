import { spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addonUser, appUser, type RunAs } from "@slipway/driver-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, getJson, makeProject, removeProject, slipway } from "./harness";

interface Status {
  environments: Array<{
    processes: Array<{ service: string; pid: number | null }>;
    addons: Array<{ name: string; pid: number | null }>;
  }>;
}

function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

/** Runs argv as `user`, the way someone holding that account would. */
function as(user: RunAs, argv: string[]) {
  return spawnSync(argv[0]!, argv.slice(1), { uid: user.uid, gid: user.gid, cwd: "/", encoding: "utf8" });
}

/**
 * Running as root (as many do on a VM), the stack's processes get no more than they need:
 * services, add-ons and root are three different users, and neither unprivileged user can
 * make root write where it should not. A spec that never finishes cannot stall the control plane.
 */
describe("privilege and isolation, running as root", () => {
  let dir: string;
  let edge: string;
  let status: Status["environments"][number];
  let users: { app: RunAs; addon: RunAs };

  beforeAll(async () => {
    const app = appUser();
    const addon = addonUser();
    if (!app || !addon) throw new Error("this test runs as root (it checks what root gives away)");
    users = { app, addon };
    dir = makeProject("privilege");
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    edge = (JSON.parse(up.stdout) as { environment: { url: string } }).environment.url;
    const s = await slipway(["status", "--dir", dir, "--json"]);
    status = (JSON.parse(s.stdout) as Status).environments[0]!;
  });

  afterAll(async () => {
    const down = await slipway(["down", "--dir", dir]);
    removeProject(dir);
    expect(down.code, down.stderr).toBe(0);
  });

  it("runs services as the app user and add-ons as the add-on user: never the same, never root", () => {
    expect(status.processes.length).toBeGreaterThan(0);
    for (const p of status.processes) expect(uidOf(p.pid!), p.service).toBe(users.app.uid);
    expect(status.addons.length).toBeGreaterThan(0);
    for (const a of status.addons) expect(uidOf(a.pid!), a.name).toBe(users.addon.uid);
  });

  it("keeps release-job and service logs where neither user can plant a link", () => {
    const envDir = join(dir, ".slipway", "envs", "local");
    for (const sub of ["jobs", "logs"]) {
      const st = statSync(join(envDir, sub));
      expect([st.uid, st.mode & 0o022], sub).toEqual([0, 0]);
      for (const user of [users.app, users.addon]) {
        const r = as(user, ["ln", "-s", "/etc/shadow", join(envDir, sub, "v2.log")]);
        expect(r.status, `${user.user} in ${sub}`).not.toBe(0);
        expect(r.stderr).toMatch(/Permission denied/);
      }
    }
  });

  it("a spec that loops forever: deploy fails naming the file and the limit; status answers and v1 serves meanwhile", async () => {
    const config = join(dir, "slipway.config.ts");
    const pristine = readFileSync(config, "utf8");
    editFile(config, (t) => `while (true) {}\n${t}`);
    try {
      const deploying = slipway(["deploy", "--dir", dir]);
      await new Promise((r) => setTimeout(r, 2_000)); // the control plane is evaluating the spec by now
      const s = await slipway(["status", "--dir", dir]);
      expect(s.code, s.stderr).toBe(0);
      const v = await getJson<{ release: string }>(`${edge}/api/version`);
      expect(v.release).toBe("v1");

      const r = await deploying;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("slipway.config.ts");
      expect(r.stderr).toContain("within 10 s");
    } finally {
      writeFileSync(config, pristine);
    }
    const v = await getJson<{ release: string }>(`${edge}/api/version`);
    expect(v.release).toBe("v1");
  });
});
