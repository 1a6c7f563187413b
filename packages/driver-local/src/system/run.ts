import { spawn } from "node:child_process";

export interface RunResult {
  code: number;
  output: string;
}

/** Runs argv to completion without a shell, collecting stdout and stderr together (last 64 KiB). */
export function run(
  argv: string[],
  opts: {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    stdin?: NodeJS.ReadableStream;
    /** Run as this user (root only). */
    runAs?: { uid: number; gid: number } | undefined;
  } = { cwd: process.cwd() },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      shell: false,
      stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
      ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
    });
    let output = "";
    const keep = (b: Buffer) => {
      output = (output + b.toString("utf8")).slice(-65536);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    if (opts.stdin && child.stdin) opts.stdin.pipe(child.stdin);
    child.once("error", (e) => resolve({ code: 127, output: `${output}${e.message}\n` }));
    child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}
