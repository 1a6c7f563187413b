import { createServer } from "node:net";
import { SlipwayError } from "@slipway/core";

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether a listener could bind this port on 127.0.0.1 now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Throws SLW_PORT_IN_USE naming the port and the flag that changes it. */
export async function assertPortFree(port: number, flagHint: string): Promise<void> {
  if (!(await isPortFree(port)))
    throw new SlipwayError(
      "SLW_PORT_IN_USE",
      `port ${port} on 127.0.0.1 is already in use by another program`,
      `stop that program or choose another port: ${flagHint}`,
      { port },
    );
}
