// Runs one release job detached from the control plane and records its exit code in a
// file, so a control plane killed while the job runs learns the outcome on restart
// instead of running the migration a second time.
//   node runner.mjs STATUS_FILE ARGV0 ARGV1 ...
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";

const [statusFile, cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: "inherit", shell: false });
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
