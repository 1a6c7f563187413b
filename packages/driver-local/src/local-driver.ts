import type { Driver, EdgePort } from "@slipway/core";
import { makeBuild } from "./build/make-build";
import { HaproxyEdge, type PublicBind } from "./edge";
import { localAddons } from "./local-addons";
import { localBackups } from "./local-backups";
import { localRuntime } from "./local-runtime";
import type { SupervisorOptions } from "./process/supervisor";
import { requireBinary, requirePostgresBinDir } from "./system/binaries";
import { appUser } from "./system/service-user";

export interface LocalDriverOptions {
  /** An environment's edge state directory (haproxy.cfg, runtime socket, pidfile), exclusive to it. */
  edgeDir: (env: string) => string;
  /** Where builds are kept, one directory per content hash. */
  buildsDir: string;
  /** Where installed dependencies are kept, one directory per lockfile. */
  depsDir: string;
  /** Every edge's public frontend: a server's public address, TLS terminated by HAProxy. */
  publicBind?: PublicBind;
  /** Restart policy and clock of the supervisor (tests). */
  supervisor?: SupervisorOptions;
}

/**
 * This machine as a target: services and jobs as processes (as the app user when we are
 * root), add-ons as real servers, one HAProxy per environment, builds as directories.
 */
export function localDriver(opts: LocalDriverOptions): Driver {
  const runAs = appUser();
  const runtime = localRuntime(runAs, opts.supervisor);
  const edges = new Map<string, HaproxyEdge>();
  const backups = localBackups();
  return {
    name: "local",
    runtime,
    addons: localAddons(),
    backups,
    builder: {
      async build(req) {
        const b = await makeBuild({ ...req, buildsDir: opts.buildsDir, depsDir: opts.depsDir, runAs });
        return { ...b, location: b.dir };
      },
    },
    edge({ env, logPort }): EdgePort {
      let edge = edges.get(env);
      if (!edge) {
        // HAProxy runs as the add-on user (its default), not as the services' user.
        edge = new HaproxyEdge({
          stateDir: opts.edgeDir(env),
          ...(logPort ? { logPort } : {}),
          ...(opts.publicBind ? { publicBind: opts.publicBind } : {}),
        });
        edges.set(env, edge);
      }
      return edge;
    },
    preflight({ addons, edge }) {
      if (edge) requireBinary("haproxy", "haproxy");
      for (const addon of addons) {
        if (addon.type === "postgres") requirePostgresBinDir(addon.version);
        if (addon.type === "redis") requireBinary("redis-server", "redis-server");
      }
    },
    async detach() {
      runtime.detach();
      await backups.detach();
      for (const edge of edges.values()) await edge.detach();
    },
  };
}
