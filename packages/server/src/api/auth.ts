import { SlipwayError } from "@slipway/core";
import type { Role, Store, TokenRow } from "@slipway/store";
import type { FastifyRequest } from "fastify";

const RANK: Record<Role, number> = { viewer: 1, deployer: 2, admin: 3 };

declare module "fastify" {
  interface FastifyContextConfig {
    /** The least role that may call the route; null = public (health, OpenAPI). */
    role?: Role | null;
  }
  interface FastifyRequest {
    token?: TokenRow;
  }
}

/** Bearer-token check for every route that names a role; the decision is `allows`. */
export function authenticate(store: Store) {
  return async (req: FastifyRequest) => {
    const needed = req.routeOptions.config.role;
    if (needed === null || needed === undefined) return;
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    const row = token ? await store.tokens.verify(token) : undefined;
    if (!row)
      throw new SlipwayError(
        "SLW_UNAUTHENTICATED",
        "missing or unknown bearer token",
        "pass `Authorization: Bearer <token>`; `slipway up` printed the first admin token and saved it in .slipway/credentials.json",
      );
    if (!allows(row.role, needed)) {
      await store.events.append({
        actor: row.name,
        kind: "auth.denied",
        subject: req.url,
        message: `${row.role} token "${row.name}" may not ${req.method} ${req.routeOptions.url}`,
      });
      throw new SlipwayError(
        "SLW_FORBIDDEN",
        `this needs the ${needed} role; token "${row.name}" is ${row.role}`,
        "ask an admin for a token with that role: slipway tokens create --role " + needed,
      );
    }
    req.token = row;
  };
}

export const allows = (has: Role, needs: Role) => RANK[has] >= RANK[needs];
