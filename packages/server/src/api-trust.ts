import type { Ctx } from "./context";

/**
 * What a service process needs, beside a stream's URL and token, to trust the API: over
 * HTTPS, the certificate's fingerprint, which the runtime SDK pins (a server's certificate is
 * often self-signed, and no CA the service knows vouches for it).
 */
export const apiTrustEnv = (ctx: Pick<Ctx, "apiFingerprint">): Record<string, string> =>
  ctx.apiFingerprint ? { SLIPWAY_API_FINGERPRINT: ctx.apiFingerprint } : {};
