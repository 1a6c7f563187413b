import { camel, camelAll } from "./rows";
import type { Sql } from "./sql";
import type { AddonInstances, AddonRow, EnvironmentRow } from "./types";

export function environmentQueries(sql: Sql) {
  const get = async (stackId: string, name: string): Promise<EnvironmentRow | undefined> => {
    const [row] = await sql.query("select * from environments where stack_id = $1 and name = $2", [
      stackId,
      name,
    ]);
    return row ? camel<EnvironmentRow>(row) : undefined;
  };
  return {
    async upsertStack(name: string, dir: string): Promise<string> {
      const [row] = await sql.query<{ id: string }>(
        `insert into stacks (id, name, dir) values ($1, $1, $2)
         on conflict (id) do update set dir = excluded.dir returning id`,
        [name, dir],
      );
      return row!.id;
    },
    async stackDir(stackId: string): Promise<string | undefined> {
      const [row] = await sql.query<{ dir: string }>("select dir from stacks where id = $1", [stackId]);
      return row?.dir;
    },
    get,
    async ensure(stackId: string, name: string): Promise<EnvironmentRow> {
      await sql.query(
        "insert into environments (id, stack_id, name) values ($1, $2, $3) on conflict (stack_id, name) do nothing",
        [`${stackId}/${name}`, stackId, name],
      );
      return (await get(stackId, name))!;
    },
    async byId(id: string): Promise<EnvironmentRow | undefined> {
      const [row] = await sql.query("select * from environments where id = $1", [id]);
      return row ? camel<EnvironmentRow>(row) : undefined;
    },
    async list(): Promise<EnvironmentRow[]> {
      return camelAll<EnvironmentRow>(await sql.query("select * from environments order by created_at"));
    },
    async setDesired(id: string, desired: "active" | "stopped"): Promise<void> {
      await sql.query("update environments set desired = $2 where id = $1", [id, desired]);
    },
    async setPorts(
      id: string,
      ports: { publicPort: number; edgeLogPort: number; internalPorts: Record<string, number> },
    ): Promise<void> {
      await sql.query(
        "update environments set public_port = $2, edge_log_port = $3, internal_ports = $4 where id = $1",
        [id, ports.publicPort, ports.edgeLogPort, JSON.stringify(ports.internalPorts)],
      );
    },
    /** Guarded: moves live only from the release the caller saw, so two writers cannot both win. */
    async switchLive(id: string, from: string | null, to: string): Promise<boolean> {
      const rows = await sql.query(
        "update environments set live_release_id = $3 where id = $1 and live_release_id is not distinct from $2 returning id",
        [id, from, to],
      );
      return rows.length === 1;
    },
    async addons(environmentId: string): Promise<AddonRow[]> {
      return camelAll<AddonRow>(
        await sql.query("select * from addon_instances where environment_id = $1 order by name", [
          environmentId,
        ]),
      );
    },
    async insertAddon(a: Omit<AddonRow, "pid">): Promise<void> {
      await sql.query(
        `insert into addon_instances (id, environment_id, name, kind, port, password_sealed, data_dir)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (environment_id, name) do nothing`,
        [a.id, a.environmentId, a.name, a.kind, a.port, a.passwordSealed, a.dataDir],
      );
    },
    /**
     * Points each named add-on at the instance a release uses (done as that release goes live).
     * A row that moves forgets its pid: the one it had was the other instance's.
     */
    async pointAddonsAt(environmentId: string, instances: AddonInstances): Promise<void> {
      for (const [name, to] of Object.entries(instances))
        await sql.query(
          `update addon_instances set data_dir = $3, port = $4,
             pid = case when data_dir = $3 and port = $4 then pid end
           where environment_id = $1 and name = $2`,
          [environmentId, name, to.dataDir, to.port],
        );
    },
    async setAddonPid(id: string, pid: number | null): Promise<void> {
      await sql.query("update addon_instances set pid = $2 where id = $1", [id, pid]);
    },
  };
}
