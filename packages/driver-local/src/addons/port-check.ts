import { connect } from "node:net";
import { SlipwayError } from "@slipway/core";
import { assertPortFree } from "../system/ports";
import { label } from "./data-dir";
import type { AddonRecord } from "./types";

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Called once we know the port is not held by this instance: anything there belongs to someone
 * else, and starting would only fail later with a vaguer message from the server.
 */
export async function assertPortAvailable(record: AddonRecord): Promise<void> {
  const hint = `stop that program (\`ss -ltnp 'sport = :${record.port}'\` shows which), or give the add-on another port`;
  if (await portAnswers(record.port))
    throw new SlipwayError(
      "SLW_PORT_IN_USE",
      `port ${record.port} on 127.0.0.1 already answers, but it is not ${label(record)}: its data directory has no running server on that port`,
      hint,
      { port: record.port, addon: record.name, env: record.env },
    );
  await assertPortFree(record.port, hint);
}
