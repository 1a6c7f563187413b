import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type InstallPlan, renderInstallScript, renderUnit } from "./server-install";

const dir = mkdtempSync(join(tmpdir(), "slipway-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan: InstallPlan = {
  stackDir: "/srv/my app",
  env: "prod",
  listen: "0.0.0.0:7443",
  dataDir: "/var/lib/slipway",
  node: process.execPath,
  slipway: resolve(import.meta.dirname, "../../bin/slipway.js"),
};

/** systemd's own offline check of a unit file: syntax, directives, the ExecStart binary. */
function verify(unit: string): { code: number; output: string } {
  const file = join(dir, "slipway.service");
  writeFileSync(file, unit);
  const r = spawnSync("systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8" });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

describe("slipway server install", () => {
  it("renders a unit systemd-analyze verify accepts, without warnings", () => {
    const r = verify(renderUnit(plan));
    expect(r.output).toBe("");
    expect(r.code).toBe(0);
  });

  it("runs as a dedicated user with its state directory and the hardening asked for", () => {
    const unit = renderUnit(plan);
    for (const line of [
      "User=slipway",
      "StateDirectory=slipway",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "KillMode=process",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
    ])
      expect(unit).toContain(`\n${line}\n`);
    // A path with a space stays one argument.
    expect(unit).toContain('--dir "/srv/my app"');
  });

  it("a data directory outside /var/lib is made writable by ReadWritePaths instead", () => {
    const unit = renderUnit({ ...plan, dataDir: "/srv/slipway-state" });
    expect(unit).toContain("\nReadWritePaths=/srv/slipway-state\n");
    expect(unit).not.toContain("StateDirectory=");
    expect(verify(unit).code).toBe(0);
  });

  it("verify fails a unit whose binary is missing: the check is real", () => {
    const r = verify(renderUnit({ ...plan, node: "/nonexistent/node" }));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("/nonexistent/node");
  });

  it("the install script installs the packages, creates the user and is valid sh", () => {
    const script = renderInstallScript(plan);
    expect(script).toMatch(/apt-get install -y .*postgresql redis-server haproxy zstd/);
    expect(script).toContain("useradd --system");
    expect(script).toContain("systemctl enable --now slipway.service");
    const file = join(dir, "install.sh");
    writeFileSync(file, script);
    const r = spawnSync("sh", ["-n", file], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
