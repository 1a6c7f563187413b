import { describe, expect, it } from "vitest";
import { isSlipwayError } from "../errors";
import { assertTransportAllowed, isLoopbackHost, normalizeFingerprint, parseListen } from "./loopback";

const refusal = (f: () => void) => {
  try {
    f();
  } catch (e) {
    return isSlipwayError(e) ? e : undefined;
  }
  return undefined;
};

describe("plain HTTP only on loopback", () => {
  it("knows loopback addresses from the rest", () => {
    for (const h of [
      "127.0.0.1",
      "127.0.0.2",
      "127.255.0.9",
      "localhost",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      "0.0.0.0",
      "::",
      "192.0.2.2",
      "10.0.0.1",
      "128.0.0.1",
      "localhost.evil.com",
      "127.0.0.1.nip.io",
      "1127.0.0.1",
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it("refuses to serve plain HTTP on a non-loopback address, saying how to fix it", () => {
    const e = refusal(() => assertTransportAllowed("0.0.0.0", false, "listen"));
    expect(e?.code).toBe("SLW_INSECURE_TRANSPORT");
    expect(e?.message).toContain("0.0.0.0");
    expect(e?.hint).toContain("--http");
    expect(refusal(() => assertTransportAllowed("192.0.2.2", false, "listen"))?.code).toBe(
      "SLW_INSECURE_TRANSPORT",
    );
  });

  it("refuses to send a token in plain HTTP to a remote host", () => {
    const e = refusal(() => assertTransportAllowed("deploy.example.com", false, "target"));
    expect(e?.code).toBe("SLW_INSECURE_TRANSPORT");
    expect(e?.hint).toContain("https://");
  });

  it("allows HTTPS anywhere and plain HTTP on loopback", () => {
    expect(refusal(() => assertTransportAllowed("0.0.0.0", true, "listen"))).toBeUndefined();
    expect(refusal(() => assertTransportAllowed("127.0.0.1", false, "listen"))).toBeUndefined();
    expect(refusal(() => assertTransportAllowed("[::1]", false, "target"))).toBeUndefined();
  });
});

describe("--listen", () => {
  it("reads ADDR:PORT and [v6]:PORT", () => {
    expect(parseListen("0.0.0.0:7443")).toEqual({ host: "0.0.0.0", port: 7443 });
    expect(parseListen("[::]:443")).toEqual({ host: "::", port: 443 });
  });

  it("names the flag and an example for anything else", () => {
    for (const bad of ["7443", "0.0.0.0", "host:99999", ":80", "a b:1"]) {
      const e = refusal(() => parseListen(bad));
      expect(e?.code, bad).toBe("SLW_BAD_REQUEST");
      expect(e?.message).toContain("--listen");
    }
  });
});

describe("fingerprints", () => {
  const hex = "ab".repeat(32);
  it("accepts what openssl and slipway print", () => {
    expect(normalizeFingerprint(`sha256:${hex}`)).toBe(`sha256:${hex}`);
    expect(normalizeFingerprint(hex.toUpperCase().match(/../g)!.join(":"))).toBe(`sha256:${hex}`);
  });
  it("refuses a short or non-hex one", () => {
    expect(refusal(() => normalizeFingerprint("sha256:abcd"))?.code).toBe("SLW_BAD_REQUEST");
    expect(refusal(() => normalizeFingerprint("z".repeat(64)))?.code).toBe("SLW_BAD_REQUEST");
  });
});
