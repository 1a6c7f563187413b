import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type InstallPlan, renderInstallScript, renderSettings, renderUnit } from "./server-install";

const dir = mkdtempSync(join(tmpdir(), "slipway-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan: InstallPlan = {
  stack: "shop",
  env: "prod",
  listen: "0.0.0.0:7443",
  node: process.execPath,
  slipway: resolve(import.meta.dirname, "../../bin/slipway.js"),
};

/** systemd's own offline check of a unit file, as the instance `name`: syntax, directives, the binary. */
function verify(unit: string, name = "slipway@shop.service"): { code: number; output: string } {
  const file = join(dir, name);
  writeFileSync(file, unit);
  const r = spawnSync("systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8" });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

/** A unit file's `[Section]` → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    expect(eq, `a key=value line: ${line}`).toBeGreaterThan(0);
    expect(current, `${line} is inside a section`).toBeDefined();
    const key = line.slice(0, eq);
    current!.set(key, [...(current!.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** `%i` as systemd expands it for instance `stack`. */
const instance = (value: string, stack: string) => value.replaceAll("%i", stack);

/** The settings file as systemd's EnvironmentFile reads these lines: KEY=value. */
const settingsOf = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );

describe("slipway server install: one templated unit, an instance per stack", () => {
  it("renders a template systemd-analyze verify accepts, for any instance, without warnings", () => {
    for (const name of ["slipway@.service", "slipway@shop.service", "slipway@blog.service"]) {
      const r = verify(renderUnit(plan), name);
      expect(r.output).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it("gives each stack its own data directory, settings and listen address, and no stack directory", () => {
    const service = parseUnit(renderUnit(plan)).get("Service")!;
    const one = (key: string) => {
      expect(service.get(key), key).toHaveLength(1);
      return service.get(key)![0]!;
    };
    for (const stack of ["shop", "blog"]) {
      const argv = instance(one("ExecStart"), stack).split(" ");
      expect(argv.slice(2, 7)).toEqual([
        "server",
        "--stack",
        stack,
        "--data-dir",
        `/var/lib/slipway/${stack}`,
      ]);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a JS template
      expect(argv.slice(7)).toEqual(["--listen", "${SLIPWAY_LISTEN}", "$SLIPWAY_OPTIONS"]);
      expect(argv).not.toContain("--dir");
      expect(instance(one("EnvironmentFile"), stack)).toBe(`/etc/slipway/${stack}.env`);
      expect(instance(one("StateDirectory"), stack)).toBe(`slipway/${stack}`);
      expect(instance(one("WorkingDirectory"), stack)).toBe(`/var/lib/slipway/${stack}`);
    }
    const shop = settingsOf(renderSettings(plan));
    const blog = settingsOf(renderSettings({ ...plan, stack: "blog", listen: "0.0.0.0:7444" }));
    expect(shop).toEqual({ SLIPWAY_LISTEN: "0.0.0.0:7443", SLIPWAY_OPTIONS: "--env prod" });
    expect(blog.SLIPWAY_LISTEN).toBe("0.0.0.0:7444");
  });

  it("runs as the dedicated user with the hardening asked for", () => {
    const service = parseUnit(renderUnit(plan)).get("Service")!;
    for (const [key, value] of [
      ["User", "slipway"],
      ["StateDirectoryMode", "0700"],
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["PrivateTmp", "yes"],
      ["KillMode", "process"],
      ["CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"],
    ])
      expect(service.get(key!)).toEqual([value]);
  });

  it("keeps a node path with a space one argument", () => {
    const unit = renderUnit({ ...plan, node: "/opt/my node/bin/node" });
    expect(unit).toContain('ExecStart="/opt/my node/bin/node" ');
  });

  it("verify fails a unit whose binary is missing: the check is real", () => {
    const r = verify(renderUnit({ ...plan, node: "/nonexistent/node" }));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("/nonexistent/node");
  });

  it("refuses a listen address that is not ADDR:PORT before writing a settings file", () => {
    expect(() => renderSettings({ ...plan, listen: "0.0.0.0:7443\nSLIPWAY_OPTIONS=--http" })).toThrow();
  });

  it("the install script sets up the user, the template and this stack's instance, and is valid sh", () => {
    const script = renderInstallScript(plan);
    expect(script).toMatch(/apt-get install -y .*postgresql redis-server haproxy zstd/);
    expect(script).toContain("useradd --system");
    expect(script).toContain("install -m 0644 slipway@.service /etc/systemd/system/slipway@.service");
    expect(script).toContain("install -m 0644 'shop.env' '/etc/slipway/shop.env'");
    expect(script).toContain("systemctl enable 'slipway@shop.service'");
    const file = join(dir, "install.sh");
    writeFileSync(file, script);
    const r = spawnSync("sh", ["-n", file], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
