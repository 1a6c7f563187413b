import type { IncomingMessage } from "node:http";
import { isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

export interface RequestOptions {
  /** @default "GET" */
  method?: "GET" | "POST";
  headers: Record<string, string>;
  /** Sent as is (a POST's JSON). */
  body?: string;
  /**
   * The control plane's certificate as `sha256:` and hex (colons and case as you like): with
   * it, exactly that certificate is trusted over HTTPS, whoever signed it (a server's
   * self-signed one); without, the system's CAs and the host name.
   */
  fingerprint?: string;
  signal: AbortSignal;
}

/**
 * A request to the control plane. Over HTTPS the request gets its socket only once the handshake
 * is done and the certificate checked, so no byte of it (the service's token least of all)
 * reaches a server that is not the pinned one. Not fetch: it cannot pin a certificate without
 * undici, and this package has no dependencies.
 */
export async function send(url: string, o: RequestOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const https = target.protocol === "https:";
  const { request } = https ? await import("node:https") : await import("node:http");
  const pin = o.fingerprint === undefined ? undefined : normalize(o.fingerprint);
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: o.method ?? "GET",
      headers: o.headers,
      signal: o.signal,
      ...(https ? { createConnection: verifiedConnection(target, pin) } : {}),
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end(o.body);
  });
}

/** For node:https: hands the request its socket only after the certificate passed. */
function verifiedConnection(url: URL, pin: string | undefined) {
  return (_opts: unknown, ready: (err: Error | null, socket: Socket) => void): undefined => {
    const servername = isIP(url.hostname) ? undefined : url.hostname;
    const socket = connectTls({
      host: url.hostname,
      port: Number(url.port || 443),
      ...(servername ? { servername } : {}),
      ALPNProtocols: ["http/1.1"],
      // With a pin the CA check is replaced, not skipped: the fingerprint is compared below.
      rejectUnauthorized: pin === undefined,
    });
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (err) socket.destroy();
      ready(err, socket);
    };
    socket.once("secureConnect", () => {
      const seen = normalize(socket.getPeerCertificate().fingerprint256 ?? "");
      if (pin !== undefined && seen !== pin)
        return finish(
          new Error(
            `${url.host} presented a certificate with fingerprint ${seen}, not the pinned ${pin}: nothing was sent`,
          ),
        );
      finish(null);
    });
    socket.once("error", finish);
    return undefined;
  };
}

const normalize = (fingerprint: string) =>
  `sha256:${fingerprint
    .trim()
    .replace(/^sha256:/i, "")
    .replaceAll(":", "")
    .toLowerCase()}`;
