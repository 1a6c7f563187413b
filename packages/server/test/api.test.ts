import { openStore, type Store } from "@slipway/store";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi, routesOf } from "../src/api/app";
import { PUBLIC_ROUTES } from "../src/api/auth";
import type { Operations } from "../src/api/routes";

/**
 * The API fails closed: a route that names no role cannot even be registered (so it cannot
 * become public by mistake), and every route has a role or is on the explicit public list.
 */
describe("API routes fail closed", () => {
  let store: Store;
  let app: FastifyInstance;
  // Registering routes calls no operation: an empty object stands in for them here.
  const build = () => buildApi(store, {} as Operations, pino({ level: "silent" }));

  beforeAll(async () => {
    store = await openStore();
    app = await build();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it("gives every registered route a role, but the explicit public ones", () => {
    const routes = routesOf(app);
    expect(routes.map((r) => r.url)).toEqual(
      expect.arrayContaining(["/v1/status", "/v1/tokens/:ref", "/v1/down"]),
    );
    const open = routes.filter((r) => !r.role).map((r) => r.url);
    expect([...new Set(open)].sort()).toEqual([...PUBLIC_ROUTES].sort());
    expect([...PUBLIC_ROUTES].sort()).toEqual(["/healthz", "/openapi.json"]);
  });

  it("refuses to register a route without a role", async () => {
    const other = await build();
    expect(() => other.get("/v1/oops", async () => "open")).toThrow(/\/v1\/oops declares no role/);
    expect(() => other.get("/v1/fine", { config: { role: "viewer" } }, async () => "ok")).not.toThrow();
    await other.close();
  });
});
