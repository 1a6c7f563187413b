import { SlipwayError } from "@slipway/core";
import type { Role, Store, TokenRow } from "@slipway/store";
import type { FastifyRequest } from "fastify";
import type { RefusalLog } from "./refusals";

/**
 * Each role may do what the ones below it may. An approver is a deployer who may also approve
 * or reject promotions; an admin may do everything.
 */
const RANK: Record<Role, number> = { viewer: 1, deployer: 2, approver: 3, admin: 4 };

/** The only routes any caller may reach without a token. Every other route names a role. */
export const PUBLIC_ROUTES = new Set(["/openapi.json", "/healthz"]);

declare module "fastify" {
  interface FastifyContextConfig {
    /** The least role that may call the route. Only PUBLIC_ROUTES may go without one. */
    role?: Role;
    /**
     * Also accepts a presented token this says yes to (a service's runtime token, which
     * opens nothing but the route that names it).
     */
    runtimeToken?: (token: string, req: FastifyRequest) => boolean;
  }
  interface FastifyRequest {
    token?: TokenRow;
  }
}

/**
 * Bearer-token check for every route: fail closed (a route without a role is refused), and
 * every refused call (401 and 403) goes to the audit log, folded by `refusals`.
 */
export function authenticate(store: Store, refusals: RefusalLog) {
  return async (req: FastifyRequest) => {
    const route = req.routeOptions.url;
    // An unknown path has no route: the not-found handler answers it, and it reveals nothing
    // that /openapi.json does not.
    if (route === undefined || PUBLIC_ROUTES.has(route)) return;
    const needed = req.routeOptions.config.role;
    const call = `${req.method} ${route}`;
    const header = req.headers.authorization ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (presented && req.routeOptions.config.runtimeToken?.(presented, req)) return;
    const row = presented ? await store.tokens.verify(presented) : undefined;
    const refusal = unusable(row, presented !== "", new Date());
    if (refusal) {
      const actor = row?.name ?? "anonymous";
      await refusals.record(`401|${row?.id ?? "anonymous"}|${req.ip}|${call}`, {
        actor,
        kind: "auth.unauthenticated",
        subject: route,
        message: `${call} refused: ${refusal}`,
        data: { status: 401, method: req.method, route, ip: req.ip, ...(row ? { token: row.id } : {}) },
      });
      throw new SlipwayError("SLW_UNAUTHENTICATED", refusal, unauthenticatedHint(row));
    }
    const token = row!;
    if (!needed || !allows(token.role, needed)) {
      await refusals.record(`403|${token.id}|${call}`, {
        actor: token.name,
        kind: "auth.denied",
        subject: route,
        message: `${token.role} token "${token.name}" may not ${call}`,
        data: { status: 403, method: req.method, route, token: token.id },
      });
      throw needed
        ? new SlipwayError(
            "SLW_FORBIDDEN",
            `this needs the ${needed} role; token "${token.name}" is ${token.role}`,
            `ask an admin for a token with that role: slipway tokens create --role ${needed}`,
          )
        : new SlipwayError("SLW_FORBIDDEN", `${call} declares no role, so no token may call it`);
    }
    req.token = token;
  };
}

export function tokenState(row: TokenRow, now: Date): "active" | "expired" | "revoked" {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && new Date(row.expiresAt) <= now) return "expired";
  return "active";
}

/** Why a presented token cannot be used, or undefined when it can. Never quotes the token. */
export function unusable(row: TokenRow | undefined, presented: boolean, now: Date): string | undefined {
  if (!presented) return "no bearer token";
  if (!row) return "unknown bearer token";
  const state = tokenState(row, now);
  if (state === "revoked") return `token "${row.name}" (${row.id}) was revoked at ${row.revokedAt}`;
  if (state === "expired") return `token "${row.name}" (${row.id}) expired at ${row.expiresAt}`;
  return undefined;
}

function unauthenticatedHint(row: TokenRow | undefined): string {
  return row
    ? "ask an admin for a new token: slipway tokens create --name <name> --role <role>"
    : "pass `Authorization: Bearer <token>`; `slipway up` printed the first admin token and saved it in .slipway/credentials.json";
}

export const allows = (has: Role, needs: Role) => RANK[has] >= RANK[needs];
