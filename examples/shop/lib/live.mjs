import { WebSocketServer } from "ws";
import { release } from "./runtime.mjs";

/**
 * Live updates over a WebSocket at `path`: which release serves the socket, then a tick
 * every second. A WebSocket never ends by itself, so on shutdown each one is closed with
 * 1001 "going away": clients reconnect, through the edge, to the live release.
 */
export function live(server, path) {
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== path) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ release }));
      const tick = setInterval(() => ws.send(JSON.stringify({ release, at: Date.now() })), 1000);
      ws.on("close", () => clearInterval(tick));
    });
  });
  return {
    /** Closes every socket cleanly; resolves once they are all gone (or after 2 s). */
    close: () =>
      Promise.race([
        Promise.all(
          [...wss.clients].map(
            (ws) =>
              new Promise((resolve) => {
                ws.once("close", resolve);
                ws.close(1001, "going away");
              }),
          ),
        ),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]).then(() => wss.close()),
  };
}
