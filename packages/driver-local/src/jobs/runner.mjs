// Runs one release job detached from the control plane and records its exit code in a
// file, so a control plane killed while the job runs learns the outcome on restart
// instead of running the migration a second time. The runner runs as the control plane (the
// status file's directory is writable by nobody else); the job runs as UID:GID ("-" = as us).
//   node runner.mjs STATUS_FILE UID GID ARGV0 ARGV1 ...
import { spawn } from "node:child_process";
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const [statusFile, uid, gid, cmd, ...args] = process.argv.slice(2);
const ids = uid === "-" ? {} : { uid: Number(uid), gid: Number(gid) };
// Before the command can start: a runner with no pid file never ran it (cron runs rely on this
// to start a claimed run again after a crash instead of guessing).
writeFileSync(`${statusFile}.pid`, String(process.pid));
const child = spawn(cmd, args, { stdio: "inherit", shell: false, ...ids });
const record = (code) => {
  // Atomic and durable: the control plane reads this file after a crash, even a power cut.
  const fd = openSync(`${statusFile}.tmp`, "w", 0o644);
  writeSync(fd, JSON.stringify({ code }));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(`${statusFile}.tmp`, statusFile);
  const dirFd = openSync(dirname(statusFile), "r");
  fsyncSync(dirFd);
  closeSync(dirFd);
  process.exit(0);
};
child.on("error", (e) => {
  console.error(`slipway: could not start ${cmd}: ${e.message}`);
  record(127);
});
child.on("exit", (code, signal) => record(code ?? (signal ? 128 : 1)));
