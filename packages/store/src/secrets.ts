import { camelAll } from "./rows";
import type { Sql } from "./sql";

export interface SecretVersionRow {
  environmentId: string;
  name: string;
  version: number;
  ciphertext: string;
  wrappedKey: string;
  keyId: string;
  createdAt: string;
  createdBy: string;
}

/** What a list shows of a secret: never its value, sealed or not. */
export type SecretMetaRow = Pick<SecretVersionRow, "name" | "version" | "createdAt" | "createdBy" | "keyId">;

/** Sealed secret versions per environment; values are sealed before they get here. */
export function secretQueries(sql: Sql) {
  return {
    /**
     * Adds the next version; `expected` is the version the caller read (0 for a new secret),
     * so two rotations racing cannot both win: the loser gets undefined.
     */
    async add(
      v: Omit<SecretVersionRow, "version" | "createdAt">,
      expected: number,
    ): Promise<number | undefined> {
      const rows = await sql.query<{ version: number }>(
        `insert into secret_versions (environment_id, name, version, ciphertext, wrapped_key, key_id, created_by)
         select $1, $2, $3, $4, $5, $6, $7
         where coalesce((select max(version) from secret_versions where environment_id = $1 and name = $2), 0) = $3 - 1
         on conflict do nothing returning version`,
        [v.environmentId, v.name, expected + 1, v.ciphertext, v.wrappedKey, v.keyId, v.createdBy],
      );
      return rows[0]?.version;
    },
    /** The newest versions first, sealed: for the one caller that opens them (get, process start). */
    async versions(environmentId: string, name: string): Promise<SecretVersionRow[]> {
      return camelAll<SecretVersionRow>(
        await sql.query(
          "select * from secret_versions where environment_id = $1 and name = $2 order by version desc",
          [environmentId, name],
        ),
      );
    },
    /** The current version of every secret of the environment, without ciphertext. */
    async list(environmentId: string): Promise<SecretMetaRow[]> {
      return camelAll<SecretMetaRow>(
        await sql.query(
          `select distinct on (name) name, version, created_at, created_by, key_id from secret_versions
           where environment_id = $1 order by name, version desc`,
          [environmentId],
        ),
      );
    },
  };
}
