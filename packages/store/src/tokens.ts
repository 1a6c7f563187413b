import { createHash, randomBytes } from "node:crypto";
import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { Role, TokenRow } from "./types";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Every column but the hash: the hash never leaves the store. */
const COLUMNS = "id, name, role, created_at, expires_at, revoked_at";

/** Bearer tokens, stored as sha256 hashes: a stolen database grants nothing. */
export function tokenQueries(sql: Sql) {
  return {
    /** Returns the token text: the only time it exists outside the caller. */
    async create(
      name: string,
      role: Role,
      opts: { expiresAt?: Date } = {},
    ): Promise<{ token: string; row: TokenRow }> {
      const token = `slw_${randomBytes(24).toString("base64url")}`;
      const id = `tok_${randomBytes(6).toString("hex")}`;
      const [row] = await sql.query(
        `insert into tokens (id, name, role, hash, expires_at) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
        [id, name, role, hashToken(token), opts.expiresAt?.toISOString() ?? null],
      );
      return { token, row: camel<TokenRow>(row!) };
    },
    /** The token's row, revoked or expired ones included: the caller says which it is. */
    async verify(token: string): Promise<TokenRow | undefined> {
      const [row] = await sql.query(`select ${COLUMNS} from tokens where hash = $1`, [hashToken(token)]);
      return row ? camel<TokenRow>(row) : undefined;
    },
    async count(): Promise<number> {
      const [row] = await sql.query<{ n: number }>("select count(*)::int as n from tokens");
      return row!.n;
    },
    /** Every token, revoked and expired ones included, oldest first. */
    async list(): Promise<TokenRow[]> {
      return camelAll<TokenRow>(await sql.query(`select ${COLUMNS} from tokens order by created_at, id`));
    },
    /** Tokens whose id or name is `ref`. */
    async find(ref: string): Promise<TokenRow[]> {
      return camelAll<TokenRow>(
        await sql.query(`select ${COLUMNS} from tokens where id = $1 or name = $1 order by created_at`, [
          ref,
        ]),
      );
    },
    /** Admin tokens that still work (not revoked, not expired) other than `exceptId`. */
    async otherUsableAdmins(exceptId: string): Promise<number> {
      const [row] = await sql.query<{ n: number }>(
        `select count(*)::int as n from tokens where role = 'admin' and id <> $1
         and revoked_at is null and (expires_at is null or expires_at > now())`,
        [exceptId],
      );
      return row!.n;
    },
    /** active → revoked; undefined when it was revoked already. */
    async revoke(id: string): Promise<TokenRow | undefined> {
      const [row] = await sql.query(
        `update tokens set revoked_at = now() where id = $1 and revoked_at is null returning ${COLUMNS}`,
        [id],
      );
      return row ? camel<TokenRow>(row) : undefined;
    },
  };
}
