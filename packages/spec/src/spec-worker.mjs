// The thread a spec's code runs in (see evaluate-worker.ts). Plain JavaScript, because a worker
// starts without the parent's TypeScript hooks: it registers tsx, then loads our source.
// Messages in: { file, shown }; out: the LoadResult as JSON text (validated data is plain JSON).
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { evaluateAndValidate } = await import("./evaluate.ts");

parentPort.on("message", async ({ file, shown }) => {
  parentPort.postMessage(JSON.stringify(await evaluateAndValidate(file, shown)));
});
