// Runs one release job detached from the control plane and records its exit code in a
// file, so a control plane killed while the job runs learns the outcome on restart
// instead of running the migration a second time. The runner runs as the control plane (the
// status file's directory is writable by nobody else); the job runs as UID:GID ("-" = as us).
//   node runner.mjs STATUS_FILE UID GID ARGV0 ARGV1 ...
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";

const [statusFile, uid, gid, cmd, ...args] = process.argv.slice(2);
const ids = uid === "-" ? {} : { uid: Number(uid), gid: Number(gid) };
const child = spawn(cmd, args, { stdio: "inherit", shell: false, ...ids });
const record = (code) => {
  writeFileSync(`${statusFile}.tmp`, JSON.stringify({ code }));
  renameSync(`${statusFile}.tmp`, statusFile);
  process.exit(0);
};
child.on("error", (e) => {
  console.error(`slipway: could not start the release job: ${e.message}`);
  record(127);
});
child.on("exit", (code, signal) => record(code ?? (signal ? 128 : 1)));
