import { createHash, randomBytes } from "node:crypto";
import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { Role, TokenRow } from "./types";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Bearer tokens, stored as sha256 hashes: a stolen database grants nothing. */
export function tokenQueries(sql: Sql) {
  return {
    /** Returns the token text: the only time it exists outside the caller. */
    async create(name: string, role: Role): Promise<{ token: string; row: TokenRow }> {
      const token = `slw_${randomBytes(24).toString("base64url")}`;
      const id = `tok_${randomBytes(6).toString("hex")}`;
      const [row] = await sql.query(
        "insert into tokens (id, name, role, hash) values ($1, $2, $3, $4) returning id, name, role, created_at",
        [id, name, role, hashToken(token)],
      );
      return { token, row: camel<TokenRow>(row!) };
    },
    async verify(token: string): Promise<TokenRow | undefined> {
      const [row] = await sql.query(
        "select id, name, role, created_at from tokens where hash = $1 and revoked_at is null",
        [hashToken(token)],
      );
      return row ? camel<TokenRow>(row) : undefined;
    },
    async count(): Promise<number> {
      const [row] = await sql.query<{ n: number }>("select count(*)::int as n from tokens");
      return row!.n;
    },
    async list(): Promise<TokenRow[]> {
      return camelAll<TokenRow>(
        await sql.query(
          "select id, name, role, created_at from tokens where revoked_at is null order by created_at",
        ),
      );
    },
  };
}
