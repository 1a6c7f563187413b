import { spawnSync } from "node:child_process";
import { accessSync, chmodSync, chownSync, constants, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { SlipwayError } from "@slipway/core";

/** uid/gid to run child processes as; undefined means "as ourselves" (we are not root). */
export interface RunAs {
  uid: number;
  gid: number;
  user: string;
}

/** Runs the add-ons (Postgres, Redis, s3rver) and the edge: owns their data directories. */
export const ADDON_USER = "slipway";
/** Runs services, release jobs and builds: shares nothing with the add-ons' user. */
export const APP_USER = "slipway-app";

/**
 * Postgres refuses to run as root, and nothing we start should have root's power anyway:
 * when Slipway runs as root, add-ons run as the system user `slipway`. Undefined when we are
 * not root (everything runs as ourselves).
 */
export function addonUser(): RunAs | undefined {
  return systemUser(ADDON_USER);
}

/**
 * The user services, release jobs and builds run as when Slipway runs as root: `slipway-app`.
 * Not the add-on user, so a service can neither reach an add-on's unix socket (where peer
 * authentication maps the add-on user to the Postgres superuser) nor signal, trace or read
 * the add-on processes and their data.
 */
export function appUser(): RunAs | undefined {
  return systemUser(APP_USER);
}

/** Looks the user up, creating it on first use (system account, no login shell, no home). */
function systemUser(name: string): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let entry = lookup(name);
  if (!entry) {
    const r = spawnSync(
      "useradd",
      ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
      { encoding: "utf8" },
    );
    entry = lookup(name);
    if (!entry)
      throw new SlipwayError(
        "SLW_ADDON_FAILED",
        `could not create the unprivileged user "${name}": ${r.stderr || r.error?.message}`,
        `create it yourself: useradd --system --shell /usr/sbin/nologin ${name}`,
      );
  }
  return entry;
}

function lookup(user: string): RunAs | undefined {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === user && uid && gid) return { user, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * The service user must be able to walk down to `path` (search permission on every
 * ancestor). A clone under /root (mode 700) is the usual way this fails.
 */
export function assertTraversable(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  let dir = path;
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
    if (!othersCanSearch(dir))
      throw new SlipwayError(
        "SLW_PATH_NOT_TRAVERSABLE",
        `the unprivileged user "${runAs.user}" cannot enter ${dir}, so it cannot reach ${path}`,
        `allow it to pass through (not read): chmod o+x ${dir}   — or keep the project outside ${dir}`,
        { path, blockedAt: dir },
      );
  }
}

function othersCanSearch(dir: string): boolean {
  try {
    // accessSync as root always passes, so read the mode bits instead.
    const mode = spawnSync("stat", ["-c", "%a", dir], { encoding: "utf8" }).stdout.trim();
    const others = Number.parseInt(mode.slice(-1), 8);
    return (others & 1) === 1;
  } catch {
    accessSync(dir, constants.X_OK);
    return true;
  }
}

/**
 * A home directory for `user` (/var/lib/<user>, 0700, theirs), for tools that keep a cache
 * there: builds run npm as the app user, with its npm cache in this home, shared by projects.
 * Root only creates it and hands it over; it never writes inside.
 */
export function ensureHome(user: RunAs): string {
  const home = join("/var/lib", user.user);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const st = statSync(home);
  if (st.uid !== user.uid || st.gid !== user.gid) chownSync(home, user.uid, user.gid);
  if ((st.mode & 0o777) !== 0o700) chmodSync(home, 0o700);
  return home;
}
