// Runs one release job detached from the control plane and records its exit code in a
// file, so a control plane killed while the job runs learns the outcome on restart
// instead of running the migration a second time.
//   node runner.mjs STATUS_FILE ARGV0 ARGV1 ...
import { spawn } from "node:child_process";
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const [statusFile, cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: "inherit", shell: false });
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
  console.error(`slipway: could not start the release job: ${e.message}`);
  record(127);
});
child.on("exit", (code, signal) => record(code ?? (signal ? 128 : 1)));
