import { existsSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { assertTransportAllowed, type Driver, type ReleaseConfig, SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import type { Stack } from "@slipway/spec";
import type { EnvironmentRow, RolloutRow } from "@slipway/store";
import pino, { type Logger } from "pino";
import { buildApi } from "./api/app";
import { registerBackupRoutes } from "./api/routes-backup";
import { registerDataRoutes } from "./api/routes-data";
import { registerFlagRoutes } from "./api/routes-flags";
import { registerJobRoutes } from "./api/routes-jobs";
import { registerPromotionRoutes } from "./api/routes-promotion";
import { registerRolloutRoutes } from "./api/routes-rollout";
import { registerRunRoutes } from "./api/routes-run";
import { registerSecretRoutes } from "./api/routes-secrets";
import { registerSourceRoutes } from "./api/routes-sources";
import { HeartbeatWriter } from "./backup/heartbeat";
import { backupOperations } from "./backup/operations";
import { BackupReconciler } from "./backup/reconciler";
import { stopProtection, stopRestoredCopies } from "./backup/restored-copies";
import type { Ctx } from "./context";
import { CronScheduler, cronPorts, stopCronRuns } from "./cron";
import { dataOperations } from "./data/masked-copy";
import { stopAddons } from "./environment/addons";
import { Drainer } from "./environment/drainer";
import { edgeOf } from "./environment/edge";
import { ensureEnvironment } from "./environment/ensure";
import { stopProcesses } from "./environment/processes";
import { restoreIfNeeded } from "./environment/restore";
import { faultInjector } from "./faults";
import { flagOperations } from "./flags";
import { runOperations } from "./one-off";
import { operations } from "./operations";
import { type StatePaths, statePaths } from "./paths";
import { makePrivateDir, startsOtherUsers } from "./private-dir";
import { AutoDeployer } from "./promotion/auto-deploy";
import { autoDeployPolicy } from "./promotion/auto-deploy-policy";
import { environmentViews } from "./promotion/environment-views";
import { gitBranches } from "./promotion/git-branch";
import { promotions } from "./promotion/promotion-ops";
import { releaseConfigFor } from "./release-config";
import { rolloutControls } from "./rollout/controls";
import { RolloutExecutor } from "./rollout/executor";
import { jobReports } from "./rollout/job-stats";
import { stillThere } from "./rollout/snapshot";
import { SecretBox } from "./secret-box";
import { masterKeyProvider } from "./secrets/master-key";
import { secretOperations } from "./secrets/operations";
import { pinSecrets } from "./secrets/publish";
import { SecretsReconciler } from "./secrets/reconciler";
import { secretStreams } from "./secrets/stream";
import { secretVault } from "./secrets/vault";
import { SourceCollector } from "./sources/collector";
import { sourceOperations } from "./sources/operations";
import { loadSpec } from "./spec";
import { type ControlPlaneStore, openControlPlaneStore } from "./store-cluster";
import { logStrayErrors } from "./stray-errors";
import { certificateFingerprint } from "./tls";
import { host, wireDriver } from "./wiring";

export interface ControlPlaneOptions {
  /** The stack's directory (holds slipway.config.ts and .slipway/). */
  projectDir: string;
  /** The environment `up` brings up. @default "local" */
  env?: string;
  /** The edge's public port for that environment. @default 8080 for a new environment */
  publicPort?: number;
  /** The API's port on 127.0.0.1. @default 7700; 0 picks a free one */
  apiPort?: number;
  /**
   * Where the API listens instead (`slipway server --listen`). Plain HTTP is refused on any
   * address that is not loopback. @default { host: "127.0.0.1", port: apiPort }
   */
  listen?: { host: string; port: number };
  /** Serve the API over HTTPS with this certificate (PEM) and key. */
  tls?: { cert: string; key: string };
  /** Keep the state here instead of `<projectDir>/.slipway` (`slipway server --data-dir`). */
  dataDir?: string;
  /**
   * The edges' public frontend on a server: an address of it (0.0.0.0: all), and TLS
   * terminated by HAProxy from a PEM holding the certificate chain and key. @default 127.0.0.1, HTTP
   */
  publicBind?: { address: string; tlsPem?: string };
  /** A Postgres of yours for the control plane's own state instead of the one it runs itself. */
  databaseUrl?: string;
  /**
   * A server whose spec comes with each deploy (`slipway server` without `--dir`): the stack
   * it runs. projectDir is then the data directory's `stack` link, absent until the first
   * deploy; the start brings up no environment of its own (`env` only names the one `publicPort`
   * is for), it adopts the ones that ran before, and the first deploy to an environment brings
   * up its add-ons and edge from the spec that deploy carries.
   */
  stackName?: string;
  /** Deploy the working tree when nothing is live yet. @default true */
  deployOnStart?: boolean;
  logger?: Logger;
}

export interface RunningControlPlane {
  url: string;
  /** Set on the first start only: the admin token, shown once. */
  firstAdminToken?: string;
  ctx: Ctx;
  /** What `up` started for its environment, if anything: the first deploy, or a restore. */
  initialRollout?: string;
  /** Resolves once `down` finished or `shutdown` ran. */
  closed: Promise<void>;
  /** Exit leaving the stack running (it is adopted by the next start). */
  shutdown(): Promise<void>;
  /** Stop everything: processes, edge, add-ons; then exit. */
  down(actor: string): Promise<void>;
}

/**
 * Starts the control plane for a project: store, spec, drivers, the environment's add-ons
 * and edge (adopting whatever still runs from a previous instance), the API, and resumes
 * every rollout in flight. The same sequence after a `kill -9` converges on the store.
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<RunningControlPlane> {
  const listen = o.listen ?? { host: "127.0.0.1", port: o.apiPort ?? 7700 };
  assertTransportAllowed(listen.host, !!o.tls, "listen");
  const paths = statePaths(o.projectDir, o.dataDir);
  makePrivateDir(paths.root, startsOtherUsers());
  const log =
    o.logger ?? pino({ level: "info" }, pino.destination({ dest: paths.controlPlaneLog, sync: true }));
  assertNotRunning(paths.server);
  const stack = o.stackName ? await deployedSpec(o.projectDir, o.stackName) : await loadSpec(o.projectDir);
  // Own keys only, and before anything starts: `up --env constructor` brings up nothing.
  if (!o.stackName && stack && !Object.hasOwn(stack.environments, o.env ?? "local"))
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `the spec has no environment "${o.env}"`,
      `use one of: ${Object.keys(stack.environments).join(", ")}`,
    );
  const box = SecretBox.open(paths.masterKey);
  const driver = wireDriver(paths, o.publicBind);
  const opened = await openControlPlaneStore({
    storeDir: paths.store,
    databaseUrl: o.databaseUrl,
    password: box.derive("store superuser"),
    masterKeyFile: paths.masterKey,
    log,
    host: { driver, installedPostgresMajor: host.installedPostgresMajor },
  });
  // A start that fails from here on (a port taken, an add-on missing) leaves no store server.
  return startOnStore({ ...o, listen }, paths, log, stack, box, driver, opened).catch(async (e: unknown) => {
    await opened.store.close().catch(() => {});
    await opened.stopServer().catch(() => {});
    throw e;
  });
}

async function startOnStore(
  o: ControlPlaneOptions & { listen: { host: string; port: number } },
  paths: StatePaths,
  log: Logger,
  stack: Stack | undefined,
  box: SecretBox,
  driver: Driver,
  { store, stopServer: stopStoreServer }: ControlPlaneStore,
): Promise<RunningControlPlane> {
  const stopLoggingStrayErrors = logStrayErrors(log);
  const stackId = await store.environments.upsertStack(o.stackName ?? stack!.name, o.projectDir);
  let apiUrl: string | undefined;
  const firstAdminToken =
    (await store.tokens.count()) === 0 ? await bootstrapAdmin(store, paths.credentials) : undefined;
  const ctx: Ctx = {
    store,
    paths,
    box,
    vault: secretVault(store, masterKeyProvider(paths.masterKey)),
    driver,
    stackId,
    projectDir: o.projectDir,
    edgeOrigin: edgeOrigin(o.publicBind),
    log,
    now: Date.now,
    apiUrl: () => apiUrl,
    ...(o.tls ? { apiFingerprint: certificateFingerprint(o.tls.cert) } : {}),
    drainer: { kick: () => drainer.kick() },
    fault: faultInjector(),
    async event(e) {
      await store.events.append({ actor: e.actor ?? "control-plane", data: {}, ...e });
      log.info({ kind: e.kind, subject: e.subject }, e.message);
      // A deploy went live: the trees of releases that fell out of those kept may be freed.
      if (e.kind === "rollout.succeeded") sourceCollector.kick();
    },
  };
  recordRuntimeEvents(ctx);
  const executor = new RolloutExecutor(ctx);
  const drainer = new Drainer(ctx);
  const cron = new CronScheduler(cronPorts(ctx));
  const secrets = new SecretsReconciler(ctx, (id) => void executor.kick(id));
  const backupOps = backupOperations(ctx, (id) => void executor.kick(id));
  const backups = new BackupReconciler(ctx, backupOps);
  const heartbeats = new HeartbeatWriter(ctx);
  const sourceCollector = new SourceCollector(ctx);
  // A backup, restore or drill the previous control plane was running did not finish.
  await store.backupRuns.failAbandoned(ctx.now());

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  // Environments this control plane has already brought up: a deploy to one of them need
  // not re-check its add-ons and edge (the supervisor and executor keep them converged).
  const ensured = new Map<string, Promise<EnvironmentRow>>();
  const life = {
    ensureEnvironment: (name: string, config?: ReleaseConfig) => {
      // A config that adds an add-on or a web service needs them provisioned: part of the key.
      const key = [
        name,
        ...Object.keys(config?.addons ?? {}),
        "|",
        ...Object.keys(config?.services ?? {}),
      ].join(",");
      let p = ensured.get(key);
      if (!p) {
        p = ensureEnvironment(ctx, name, config, name === (o.env ?? "local") ? o.publicPort : undefined);
        ensured.set(key, p);
        p.catch(() => ensured.delete(key));
      }
      return p;
    },
    down: async (actor: string) => {
      await ctx.event({
        kind: "stack.down",
        subject: stackId,
        actor,
        message: "slipway down: stopping everything",
      });
      setImmediate(() => void stopEverything().then(close));
    },
  };
  const ops = operations(ctx, executor, life);
  const api = await buildApi(store, ops, log, o.tls);
  registerRunRoutes(api, runOperations(ctx));
  registerSourceRoutes(api, sourceOperations(ctx, sourceCollector));
  const promotionOps = promotions(ctx, (id) => void executor.kick(id), life);
  registerPromotionRoutes(api, {
    promotions: promotionOps,
    views: environmentViews(ctx),
    autoDeploy: autoDeployPolicy(ctx),
  });
  const autoDeployer = new AutoDeployer(ctx, {
    git: gitBranches(host.run),
    deploy: (env, ref, actor) => ops.deploy(env, { ref }, actor),
    promotions: promotionOps,
    finished: async (id) => {
      await executor.kick(id);
      return (await store.rollouts.get(id))!;
    },
  });
  registerDataRoutes(api, dataOperations(ctx));
  registerFlagRoutes(api, flagOperations(ctx));
  registerJobRoutes(api, jobReports(ctx));
  registerRolloutRoutes(
    api,
    rolloutControls(ctx, (id) => void executor.kick(id)),
  );
  registerSecretRoutes(
    api,
    secretOperations(ctx, () => secrets.tickNow()),
    secretStreams(ctx),
  );
  registerBackupRoutes(api, backupOps);

  const envName = o.env ?? "local";
  // The environment this start brings up: `up`'s; none on a server whose spec comes with deploys.
  const upEnv = o.stackName ? undefined : envName;
  // `up` is a request too: what it brings up is the spec, frozen now, as a first deploy would run it.
  const upConfig = upEnv && stack ? releaseConfigFor(stack, upEnv) : undefined;
  if (upEnv) await life.ensureEnvironment(upEnv, upConfig);
  // Environments left running (a crash, not a `down`): adopt what still runs of them too.
  for (const env of await store.environments.list())
    if (env.desired === "active" && env.name !== upEnv) await life.ensureEnvironment(env.name);
  const address = await api.listen(o.listen).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE")
      throw new SlipwayError(
        "SLW_PORT_IN_USE",
        `the API port ${o.listen.port} is taken`,
        o.listen.host === "127.0.0.1" && !o.tls
          ? "pass --api-port N (0 = any free port)"
          : "pass another --listen ADDR:PORT",
      );
    if (e.code === "EADDRNOTAVAIL")
      throw new SlipwayError(
        "SLW_BAD_REQUEST",
        `${o.listen.host} is not an address of this machine`,
        "listen on one of its addresses (ip -4 addr), or 0.0.0.0 for all of them",
      );
    throw e;
  });
  apiUrl = address;
  const self = { url: address, pid: process.pid, startTime: host.startTime(process.pid) };
  writeFileAtomic(paths.server, JSON.stringify(self));
  await executor.resumeAll();
  drainer.kick();
  const initialRollout = upEnv
    ? await bringBack(ctx, upEnv, o.deployOnStart !== false ? upConfig : undefined)
    : undefined;
  for (const env of await store.environments.list())
    if (env.desired === "active" && env.name !== upEnv) await restoreIfNeeded(ctx, env, "slipway up");
  await executor.resumeAll();
  cron.start(1_000, (e) => log.error({ err: e }, "cron tick failed"));
  autoDeployer.start(autoDeployPollMs());
  secrets.start(1_000, (e) => log.error({ err: e }, "secrets tick failed"));
  backups.start(backupTickMs(), (e) => log.error({ err: e }, "backups tick failed"));
  heartbeats.start();
  sourceCollector.start(SOURCE_GC_EVERY_MS);
  writeFileAtomic(paths.server, JSON.stringify({ ...self, initialRollout, firstStart: !!firstAdminToken }));

  async function stopEverything() {
    // The executor stops first: a chain waiting on a rollout then ends (as stopped) at once.
    const autoDeployStopped = autoDeployer.stop();
    await secrets.stop();
    await heartbeats.stop();
    await sourceCollector.stop();
    await backups.stop();
    await executor.stop();
    await autoDeployStopped;
    await cron.stop();
    for (const env of await store.environments.list()) {
      await store.environments.setDesired(env.id, "stopped");
      await stopCronRuns(ctx, env);
      // Draining ones too: `down` stops everything, now.
      await stopProcesses(ctx, (await store.processes.forEnvironment(env.id)).filter(stillThere));
      await edgeOf(ctx, env).stop();
      await stopProtection(ctx, env);
      await stopAddons(ctx, env);
      await stopRestoredCopies(ctx, env);
    }
    await drainer.stop();
  }
  async function close() {
    await api.close();
    await driver.detach();
    await store.close();
    await stopStoreServer();
    rmSync(paths.server, { force: true });
    stopLoggingStrayErrors();
    resolveClosed();
  }
  return {
    url: address,
    ...(firstAdminToken ? { firstAdminToken } : {}),
    ...(initialRollout ? { initialRollout } : {}),
    ctx,
    closed,
    async shutdown() {
      const autoDeployStopped = autoDeployer.stop();
      await secrets.stop();
      await heartbeats.stop();
      await sourceCollector.stop();
      await backups.stop();
      await executor.stop();
      await autoDeployStopped;
      await drainer.stop();
      await cron.stop();
      await close();
    },
    async down(actor) {
      await life.down(actor);
      await closed;
    },
  };
}

/** How a browser reaches the edges: loopback, or the server's address (its name for 0.0.0.0). */
function edgeOrigin(bind: ControlPlaneOptions["publicBind"]): string {
  if (!bind) return "http://127.0.0.1";
  return `${bind.tlsPem ? "https" : "http"}://${bind.address === "0.0.0.0" ? hostname() : bind.address}`;
}

/** How often auto-deploy asks git for new commits: SLIPWAY_AUTODEPLOY_POLL_SECONDS, default 30 s. */
function autoDeployPollMs(): number {
  const seconds = Number(process.env.SLIPWAY_AUTODEPLOY_POLL_SECONDS ?? 30);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 30) * 1000;
}

/** How often the backups reconciler runs: SLIPWAY_BACKUP_TICK_SECONDS, default 5 s. */
function backupTickMs(): number {
  const seconds = Number(process.env.SLIPWAY_BACKUP_TICK_SECONDS ?? 5);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 5) * 1000;
}

/**
 * The spec a server was last deployed with, if any: a data directory from before carries it
 * (its `stack` link); a fresh one has none until the first deploy. It must be the stack the
 * server is started for: a data directory holds one stack.
 */
async function deployedSpec(dir: string, stackName: string): Promise<Stack | undefined> {
  if (!existsSync(dir)) return undefined;
  const stack = await loadSpec(dir);
  if (stack.name !== stackName)
    throw new SlipwayError(
      "SLW_CONFLICT",
      `--stack ${stackName}: this data directory holds stack "${stack.name}"`,
      `start it with --stack ${stack.name}, or give stack ${stackName} a data directory of its own (--data-dir)`,
    );
  return stack;
}

/** One control plane per project: a second `up` says where the first one is. */
function assertNotRunning(serverFile: string): void {
  if (!existsSync(serverFile)) return;
  let info: { pid?: number; url?: string; startTime?: string } = {};
  try {
    info = JSON.parse(readFileSync(serverFile, "utf8"));
  } catch {
    return; // a damaged pointer file is rewritten below; it holds nothing that is not derived
  }
  // Pid and start time name one process: a reused pid or a killed, unreaped one is not it.
  if (info.pid && info.pid !== process.pid && info.startTime && host.isAlive(info.pid, info.startTime))
    throw new SlipwayError(
      "SLW_CONFLICT",
      `a control plane already runs for this project (pid ${info.pid}, ${info.url})`,
      "use it (slipway status), or stop it first: slipway down",
    );
}

/**
 * The first admin token. The CLI's copy (like a kubeconfig: readable by this user only) is
 * written before the token row commits: a crash in between leaves a token that opens
 * nothing, and the next start, still seeing no token, makes a new one. Never an owner
 * locked out of their own control plane.
 */
async function bootstrapAdmin(store: Ctx["store"], credentialsFile: string): Promise<string> {
  const token = await store.transaction(async (tx) => {
    const created = await tx.tokens.create("admin", "admin");
    await tx.events.append({
      actor: "slipway up",
      kind: "token.created",
      subject: "admin",
      message: "first admin token created",
    });
    writeFileAtomic(credentialsFile, JSON.stringify({ token: created.token }), 0o600);
    return created.token;
  });
  return token;
}

/**
 * What `up` does for its environment: nothing live yet → the first deploy of the working
 * tree; a live release with processes missing (after `down` or a reboot) → a restore.
 */
async function bringBack(
  ctx: Ctx,
  envName: string,
  deploy: ReleaseConfig | undefined,
): Promise<string | undefined> {
  const env = (await ctx.store.environments.get(ctx.stackId, envName))!;
  const active = (await ctx.store.rollouts.active()).find((r) => r.environmentId === env.id);
  if (active) return active.id;
  let rollout: RolloutRow | undefined;
  if (env.liveReleaseId) rollout = await restoreIfNeeded(ctx, env, "slipway up");
  else if (deploy) rollout = await firstDeploy(ctx, env, deploy);
  return rollout?.id;
}

async function firstDeploy(
  ctx: Ctx,
  env: EnvironmentRow,
  unpinned: ReleaseConfig,
): Promise<RolloutRow | undefined> {
  const config = await pinSecrets(ctx, env, unpinned, "slipway up", { allowMissing: true });
  const rollout = await ctx.store.rollouts.create({
    environmentId: env.id,
    kind: "deploy",
    fromReleaseId: null,
    toReleaseId: null,
    source: "working tree",
    config,
    actor: "slipway up",
  });
  if (!rollout) return undefined;
  await ctx.event({
    kind: "deploy.requested",
    subject: rollout.id,
    actor: "slipway up",
    message: `first deploy to ${env.name}`,
  });
  return rollout;
}

/** Restarts and pids as the runtime sees them, into the store (which the next start adopts from). */
function recordRuntimeEvents(ctx: Ctx): void {
  ctx.driver.runtime.onEvent((e) => {
    switch (e.kind) {
      case "started":
        void ctx.store.processes.started(e.handle.id, e.handle.pid, e.handle.startTime);
        return;
      case "restart":
        void ctx.store.processes.setState(e.id, "restarting", true);
        void ctx.event({
          kind: "process.restart",
          subject: e.id,
          message: `${e.id} exited; restart #${e.attempt} in ${Math.round(e.delayMs / 1000)} s`,
        });
        return;
      case "crashloop":
        void ctx.event({
          kind: "process.crashloop",
          subject: e.id,
          message: `${e.id} keeps crashing; still retrying`,
        });
    }
  });
}

/** How often uploaded blobs and source trees are collected, beside after each deploy that went live. */
const SOURCE_GC_EVERY_MS = 60 * 60 * 1000;
