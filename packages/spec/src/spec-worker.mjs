// The thread a spec's code runs in (see evaluate-worker.ts). Plain JavaScript, because a worker
// starts without the parent's TypeScript hooks: it registers tsx, then loads our evaluator.
// In: a spec file's path. Out: { kind: "value", value } (what the spec exports, structured-cloned)
// or { kind: "threw", error: { name, message } }.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { evaluateSpecFile } = await import("./evaluate.ts");

parentPort.on("message", async (file) => {
  try {
    const value = await evaluateSpecFile(file);
    try {
      parentPort.postMessage({ kind: "value", value });
    } catch (cloneError) {
      // A function, symbol or proxy in what it exports.
      post(new Error(`it exports something that is not plain data (${cloneError.message})`));
    }
  } catch (error) {
    post(error);
  }
});

/** Errors cross as name and message: loader errors do not survive a structured clone intact. */
function post(error) {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  parentPort.postMessage({ kind: "threw", error: { name, message } });
}
