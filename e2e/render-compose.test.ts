import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, finishProject, makeProject, slipway } from "./harness";

/**
 * `slipway render compose` as a user runs it: the files for a VM from the spec (no control
 * plane needed), and a spec feature Compose cannot express refused by name with nothing written.
 * Which release is rendered (live, --release, --build) is the same code as for Kubernetes,
 * covered by render.test.ts.
 */

interface ComposeJson {
  target: string;
  release: number | null;
  build: string;
  image: string;
  files: string[];
  objects: { name: string; services: Record<string, { image?: string; deploy?: { replicas?: number } }> };
}

describe("slipway render compose", () => {
  let dir: string;
  let outs: string;

  beforeAll(() => {
    dir = makeProject("render-compose");
    outs = mkdtempSync("/tmp/slipway-e2e-render-compose-out-");
  });
  afterAll(async () => {
    rmSync(outs, { recursive: true, force: true });
    await finishProject(dir);
  });

  it("writes compose.yaml, the edge's config, .env.example and the Dockerfile for one environment", async () => {
    const out = join(outs, "prod");
    const r = await slipway(["render", "compose", "--dir", dir, "--env", "prod", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rendered = JSON.parse(r.stdout) as ComposeJson;
    expect(rendered.target).toBe("compose");
    expect(rendered.release).toBeNull();
    expect(rendered.files.sort()).toEqual(
      [".env.example", "Dockerfile", "Dockerfile.dockerignore", "compose.yaml", "edge/haproxy.cfg"].sort(),
    );
    expect(readdirSync(out, { recursive: true }).sort()).toEqual(
      [...rendered.files, "edge", ".slipway-render.json"].sort(),
    );
    expect(rendered.objects.name).toBe("shop-prod");
    expect(rendered.objects.services.api).toMatchObject({ image: rendered.image, deploy: { replicas: 2 } });
    expect(readFileSync(join(out, "compose.yaml"), "utf8")).toContain(`image: ${rendered.image}`);
    // No secret value anywhere: .env.example lists them empty for the user to fill.
    expect(readFileSync(join(out, ".env.example"), "utf8")).toMatch(/^DB_PASSWORD=$/m);

    const text = await slipway(["render", "compose", "--dir", dir, "--env", "prod", "--out", out]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("compose.yaml is valid against the Compose Specification's schema");
    expect(text.stdout).toContain("docker compose up -d");
  });

  it("refuses a cron schedule crontab cannot run, naming the field, and writes nothing", async () => {
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        "    web: {",
        '    tick: { type: "cron", command: ["node", "worker.mjs"], schedule: "*/30 * * * * *" },\n    web: {',
      ),
    );
    const out = join(outs, "refused");
    const r = await slipway(["render", "compose", "--dir", dir, "--env", "dev", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SLW_RENDER_UNSUPPORTED");
    expect(r.stderr).toContain("services.tick.schedule");
    expect(existsSync(out)).toBe(false);
  });
});
