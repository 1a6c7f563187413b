import { SlipwayError } from "../errors";

/**
 * Whether `host` names this machine's loopback only: 127.0.0.0/8, ::1, or `localhost`.
 * Only there may a bearer token travel in plain HTTP; anywhere else it can be read on the wire.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!v4 && v4.slice(1).every((o) => Number(o) <= 255) && v4[1] === "127";
}

/** `ADDR:PORT` (`[v6]:PORT` for IPv6) as given to `slipway server --listen`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--listen takes ADDR:PORT, like 0.0.0.0:7443 or [::]:7443; got ${JSON.stringify(value)}`,
      "name the address to bind and the port, e.g. --listen 203.0.113.7:7443",
    );
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * Refuses plain HTTP on any address that is not loopback: the API carries bearer tokens.
 * `who` says whose choice it was (the server's listener or the CLI's target), for the message.
 */
export function assertTransportAllowed(host: string, tls: boolean, who: "listen" | "target"): void {
  if (tls || isLoopbackHost(host)) return;
  throw new SlipwayError(
    "SLW_INSECURE_TRANSPORT",
    who === "listen"
      ? `refusing to serve the API in plain HTTP on ${host}, which is not a loopback address: tokens would cross the network readable`
      : `refusing to send a token in plain HTTP to ${host}, which is not a loopback address: it would cross the network readable`,
    who === "listen"
      ? "drop --http to serve HTTPS (with --cert/--key, or a generated self-signed certificate), or listen on 127.0.0.1"
      : "use the server's https:// URL (slipway server prints it with its certificate's fingerprint)",
    { host },
  );
}

/**
 * A certificate fingerprint as the CLI stores and compares it: `sha256:` and 64 lowercase hex
 * digits. Accepts what people paste: with or without `sha256:`, colons, any case.
 */
export function normalizeFingerprint(value: string): string {
  const hex = value
    .trim()
    .replace(/^sha256:/i, "")
    .replaceAll(":", "")
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `a fingerprint is a SHA-256 of the certificate: sha256: and 64 hex digits (colons allowed); got ${JSON.stringify(value)}`,
      "copy the fingerprint `slipway server` printed, or: openssl x509 -in cert.pem -noout -fingerprint -sha256",
    );
  return `sha256:${hex}`;
}
