import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isLoopbackHost, normalizeFingerprint, SlipwayError } from "@slipway/core";
import { writeFileAtomic } from "@slipway/files";
import { makePrivateDir } from "./private-dir";
import { host } from "./wiring";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** `sha256:` + hex of the certificate (DER): what a CLI context pins. */
  fingerprint: string;
  certFile: string;
  keyFile: string;
  /** True when this start made the certificate (the first start without --cert/--key). */
  generated: boolean;
}

/**
 * The API's certificate: the operator's files, or a self-signed one generated once under
 * `<data-dir>/tls/` and kept, so the fingerprint CLIs pinned stays valid across restarts.
 */
export async function serverTls(o: {
  certFile?: string;
  keyFile?: string;
  dataDir: string;
  /** The address the API listens on, named in the generated certificate. */
  listenHost: string;
}): Promise<TlsMaterial> {
  if (!!o.certFile !== !!o.keyFile)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `--cert and --key go together; got only ${o.certFile ? "--cert" : "--key"}`,
      "pass both (the PEM certificate chain and its private key), or neither for a generated self-signed certificate",
    );
  if (o.certFile && o.keyFile) return load(o.certFile, o.keyFile, false);
  const dir = join(o.dataDir, "tls");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  if (existsSync(certFile) && existsSync(keyFile)) return load(certFile, keyFile, false);
  makePrivateDir(dir, false);
  await generateSelfSigned(certFile, keyFile, subjectAltNames(o.listenHost));
  return load(certFile, keyFile, true);
}

/** Names the certificate is good for: the listen address when it is one, this host, loopback. */
function subjectAltNames(listenHost: string): string[] {
  const names = new Set(["DNS:localhost", "IP:127.0.0.1", `DNS:${hostname()}`]);
  const unspecified = listenHost === "0.0.0.0" || listenHost === "::";
  if (!unspecified && !isLoopbackHost(listenHost))
    names.add(/^[\d.]+$|:/.test(listenHost) ? `IP:${listenHost}` : `DNS:${listenHost}`);
  return [...names];
}

async function generateSelfSigned(certFile: string, keyFile: string, sans: string[]): Promise<void> {
  const tmpKey = `${keyFile}.${process.pid}.tmp`;
  const tmpCert = `${certFile}.${process.pid}.tmp`;
  // EC P-256, ten years: the pin, not an expiry, is what CLIs trust it by.
  const r = await host.run(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "3650",
      "-subj",
      "/CN=slipway control plane",
      "-addext",
      `subjectAltName=${sans.join(",")}`,
      "-keyout",
      tmpKey,
      "-out",
      tmpCert,
    ],
    { cwd: "/" },
  );
  if (r.code !== 0) {
    rmSync(tmpKey, { force: true });
    rmSync(tmpCert, { force: true });
    throw new SlipwayError(
      r.code === 127 ? "SLW_BINARY_MISSING" : "SLW_INTERNAL",
      `could not generate a self-signed certificate with openssl: ${r.output.trim()}`,
      r.code === 127
        ? "install it with: sudo apt-get install -y openssl   (or pass --cert and --key)"
        : "pass --cert and --key instead",
    );
  }
  chmodSync(tmpKey, 0o600);
  // Key first: a cert.pem without its key.pem is never taken for a pair.
  renameSync(tmpKey, keyFile);
  renameSync(tmpCert, certFile);
}

function load(certFile: string, keyFile: string, generated: boolean): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      throw new SlipwayError(
        "SLW_BAD_REQUEST",
        `cannot read the ${what} ${file}: ${(e as Error).message}`,
        "check the path given to --cert/--key and that this user may read it",
      );
    }
  };
  const cert = read(certFile, "certificate");
  const key = read(keyFile, "private key");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `${certFile} is not a PEM certificate: ${(e as Error).message}`,
      "give --cert a PEM file (-----BEGIN CERTIFICATE-----), the server's certificate first",
    );
  }
  return { cert, key, fingerprint: normalizeFingerprint(x509.fingerprint256), certFile, keyFile, generated };
}

/** `sha256:` + hex of a PEM certificate (the first of a chain): what clients pin. */
export const certificateFingerprint = (pem: string): string =>
  normalizeFingerprint(new X509Certificate(pem).fingerprint256);

/**
 * HAProxy's `crt` wants the certificate chain and its key in one PEM: written once per start
 * into `<data-dir>/tls/edge.pem` (0600), from the operator's two files.
 */
export function edgePem(o: { certFile: string; keyFile: string; dataDir: string }): string {
  const { cert, key } = load(o.certFile, o.keyFile, false);
  const dir = join(o.dataDir, "tls");
  makePrivateDir(dir, false);
  const file = join(dir, "edge.pem");
  writeFileAtomic(file, `${cert.trimEnd()}\n${key.trimEnd()}\n`, 0o600);
  return file;
}
