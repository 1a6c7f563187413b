import type { Server } from "node:https";
import type { TLSSocket } from "node:tls";
import { problem } from "./problem";

/**
 * A plain HTTP request to the HTTPS port gets a problem+json saying to use https:// instead
 * of a dropped connection (which curl and browsers report as an empty reply). OpenSSL
 * recognises the request line; nothing of it is read further, and no route is reached.
 */
export function answerPlainHttp(server: Server): void {
  server.on("tlsClientError", (err: NodeJS.ErrnoException, tls: TLSSocket) => {
    // The TCP socket under the failed TLS one: not a public property, so checked before use.
    const raw = (tls as TLSSocket & { _parent?: import("node:net").Socket })._parent;
    if (err.code !== "ERR_SSL_HTTP_REQUEST" || !raw || raw.destroyed || !raw.writable) return;
    const body = JSON.stringify(
      problem(
        "SLW_INSECURE_TRANSPORT",
        "this port speaks HTTPS; a plain HTTP request was sent to it and not read",
        "use https:// with the same host and port",
      ),
    );
    raw.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
