import { chmodSync, mkdirSync, statSync } from "node:fs";
import { SlipwayError } from "@slipway/core";

/**
 * Makes `dir` (`.slipway/`, `.slipway/store/`) ours alone, or refuses to start. These hold the
 * store, the master key and the admin credential: a local user who could write in them could
 * add an admin token hash. A directory someone else owns or could write in may already hold
 * what they planted, so we stop and say so rather than tighten it and carry on.
 *
 * Mode 0700. With `passThrough` (we run as root, and the unprivileged users that run add-ons,
 * services and builds must reach their own directories below), 0711: they can enter a path
 * they know but list nothing, and each of their directories keeps its own 0700.
 */
export function makePrivateDir(dir: string, passThrough: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertPrivate(dir);
  chmodSync(dir, passThrough ? 0o711 : 0o700);
}

/** Whether what we start runs as other (unprivileged) users: we are root. */
export const startsOtherUsers = (): boolean => process.getuid?.() === 0;

function assertPrivate(dir: string): void {
  const st = statSync(dir);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
  if (st.uid !== process.getuid!())
    throw new SlipwayError(
      "SLW_STATE_UNSAFE",
      `${dir} is owned by uid ${st.uid}, not by the user running Slipway (uid ${process.getuid!()}): whoever owns it controls this project's state`,
      `check what is in it; if it is yours: chown -R ${process.getuid!()} ${dir} && chmod 700 ${dir}`,
      { path: dir, uid: st.uid, mode },
    );
  // Group-writable is safe only when the group is our own (a user-private group, umask 002).
  const othersWrite = (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== process.getgid!());
  if (othersWrite)
    throw new SlipwayError(
      "SLW_STATE_UNSAFE",
      `${dir} is mode ${mode}: other local users can write in it, and could have changed Slipway's state`,
      `check what is in it, then: chmod 700 ${dir}`,
      { path: dir, uid: st.uid, mode },
    );
}
