import { existsSync } from "node:fs";
import { join } from "node:path";
import { SPEC_FILE_NAMES } from "@slipway/core";
import type { Command } from "commander";
import { setSpecServer } from "../client";
import { readContexts } from "../contexts";
import { fromSource } from "./options";

/** Commands that run the control plane here rather than talk to one. */
const RUN_HERE = new Set(["up", "server", "install"]);

/**
 * Before a command with `--env` runs, reads which server the spec says that environment runs
 * on (`environments.<env>.server`), for client.ts's choice of control plane. Skipped when the
 * choice is made already (--context, SLIPWAY_CONTEXT, SLIPWAY_URL), when this CLI has no
 * context to go to, or when the command's --dir holds no spec: evaluating the spec is the
 * slow part of a short command, so it runs only when its answer can matter.
 */
export async function rememberSpecServer(action: Command): Promise<void> {
  const env = process.env.SLIPWAY_ENV;
  if (!env || process.env.SLIPWAY_CONTEXT || process.env.SLIPWAY_URL || RUN_HERE.has(action.name())) return;
  const dir = action.opts<{ dir?: string }>().dir;
  if (dir === undefined || !SPEC_FILE_NAMES.some((name) => existsSync(join(dir, name)))) return;
  if (Object.keys(readContexts().contexts).length === 0) return;
  const { serverOf } = await fromSource<typeof import("../commands/spec-server")>("commands/spec-server.ts");
  const server = await serverOf(dir, env);
  if (server) setSpecServer(env, server);
}
