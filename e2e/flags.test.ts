import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  upDetached,
} from "./harness";

const GREETING_CHANGED = [{ path: "services.api.env.GREETING", change: "changed" }];

interface FlagAnswers {
  checkout: "new" | "classic";
  quotesOff: boolean;
  connected: boolean;
}

/**
 * Feature flags on the running example stack, through the CLI and the API.
 * Given the shop up (its api reads `new-checkout` per request and has the `quotes-off` kill
 * switch); when a user sets a flag; then the running api answers accordingly, with no
 * restart, and the change is in the flag's history and the audit log.
 */
describe("feature flags reach the running example stack", () => {
  let dir: string;
  let edge: string;
  let api: string;
  let admin: string;
  const answers = (user: string) => getJson<FlagAnswers>(`${edge}/api/flags?user=${user}`);
  const cli = (...args: string[]) => slipway([...args, "--dir", dir]);

  beforeAll(async () => {
    dir = makeProject("flags");
    const up = await upDetached(dir);
    edge = up.edge;
    api = up.api;
    admin = up.token ?? "";
  });
  afterAll(() => finishProject(dir));

  it("lists the spec's flags at their defaults, and the api follows the stream", async () => {
    const list = await cli("flags", "list", "--json");
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({
      "new-checkout": { state: { on: false }, default: false, killSwitch: false, version: 0 },
      "quotes-off": { state: { on: false }, default: false, killSwitch: true, version: 0 },
    });
    await eventually(async () => (await answers("alice")).connected);
    expect(await answers("alice")).toMatchObject({ checkout: "classic", quotesOff: false });
    expect((await fetch(`${edge}/api/quote`)).status).toBe(200);
  });

  it("a kill switch turned on reaches the running api, which stops quoting", async () => {
    const pids = apiPids();
    const set = await cli("flags", "set", "quotes-off", "on");
    expect(set.code, set.stderr).toBe(0);
    await eventually(async () => (await fetch(`${edge}/api/quote`)).status === 503);
    expect(await answers("bob")).toMatchObject({ quotesOff: true });
    expect(apiPids()).toEqual(pids); // no restart
    expect((await cli("flags", "set", "quotes-off", "off")).code).toBe(0);
    await eventually(async () => (await fetch(`${edge}/api/quote`)).status === 200);
  });

  it("an allow-list and a percentage apply per user", async () => {
    expect((await cli("flags", "set", "new-checkout", "on", "--percent", "0", "--allow", "alice")).code).toBe(
      0,
    );
    await eventually(async () => (await answers("alice")).checkout === "new");
    expect(await answers("bob")).toMatchObject({ checkout: "classic" });
  });

  it("records every change in the flag's history and the audit log", async () => {
    const history = await cli("flags", "history", "quotes-off", "--json");
    expect(history.code, history.stderr).toBe(0);
    expect(JSON.parse(history.stdout)).toMatchObject([
      { version: 2, state: { on: false }, actor: "admin" },
      { version: 1, state: { on: true }, actor: "admin" },
    ]);
    const events = await getJson<{ events: { kind: string; subject: string }[] }>(
      `${api}/v1/events?subject=local/flag/quotes-off`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(events.events.map((e) => e.kind)).toEqual(["flag.set", "flag.set"]);
  });

  it("refuses an unknown flag naming it with a did-you-mean, and a bad percentage", async () => {
    const typo = await cli("flags", "set", "new-chekout", "on");
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('no flag "new-chekout"');
    expect(typo.stderr).toContain('did you mean "new-checkout"');
    const pct = await cli("flags", "set", "new-checkout", "on", "--percent", "150");
    expect(pct.code).toBe(2);
    expect(pct.stderr).toContain("--percent takes a number 0-100");
  });

  it("lets a viewer list but not set, and the services' runtime token only read the stream", async () => {
    const viewer = (
      await getJson<{ token: string }>(`${api}/v1/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "watcher", role: "viewer" }),
      })
    ).token;
    const as = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${api}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    expect((await as(viewer, "/v1/environments/local/flags")).status).toBe(200);
    const put = await as(viewer, "/v1/environments/local/flags/quotes-off", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ on: true }),
    });
    expect(put.status).toBe(403);

    const runtime = runtimeTokenOfApi();
    expect(runtime).toMatch(/^slwf_/);
    expect((await as(runtime, "/v1/status")).status).toBe(401);
    expect((await as(runtime, "/v1/environments/local/flags")).status).toBe(401);
    expect((await as(runtime, "/v1/environments/other/flags/stream")).status).toBe(401);
    const ac = new AbortController();
    const stream = await as(runtime, "/v1/environments/local/flags/stream", { signal: ac.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    ac.abort();
  });

  it("config is versioned with releases: a change is a new release, config diff names it, rollback restores it", async () => {
    editFile(join(dir, "slipway.config.ts"), (t) => t.replace(/hello from v1/g, "hello from v2"));
    const deploy = await cli("deploy", "--json");
    expect(deploy.code, deploy.stderr).toBe(0);
    const diff = await cli("config", "diff", "v1", "v2", "--json");
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.parse(diff.stdout)).toEqual(GREETING_CHANGED);
    // The new release's processes follow the flags as they were set, not the spec's defaults.
    await eventually(async () => (await answers("alice")).connected);
    expect(await answers("alice")).toMatchObject({ checkout: "new" });

    const rollback = await cli("rollback", "--json");
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse((await cli("config", "diff", "v1", "v3", "--json")).stdout)).toEqual([]);
    expect(JSON.parse((await cli("config", "diff", "v2", "v3", "--json")).stdout)).toEqual(GREETING_CHANGED);
    expect(await getJson<{ greeting: string }>(`${edge}/api/version`)).toMatchObject({
      greeting: "hello from v1",
    });
    const unknown = await cli("config", "diff", "v1", "v9");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("no release v9 in local");
  });

  function apiPids(): number[] {
    return processesUnder(dir)
      .filter((p) => p.cmd.endsWith("api.mjs"))
      .map((p) => p.pid)
      .sort();
  }

  /** What Slipway started the api with, read as the process sees it. */
  function runtimeTokenOfApi(): string {
    const env = readFileSync(`/proc/${apiPids()[0]}/environ`, "utf8").split("\0");
    return env.find((e) => e.startsWith("SLIPWAY_FLAGS_TOKEN="))?.slice("SLIPWAY_FLAGS_TOKEN=".length) ?? "";
  }
});
