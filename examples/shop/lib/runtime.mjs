// What every shop process needs from its environment. Slipway sets these; reading them in
// one place keeps the services' own files about behaviour, not plumbing.

/** Reads a required env var, failing at boot with a message that says who should set it. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    // Only the name is printed: values may be connection strings carrying passwords.
    throw new Error(`${name} is not set (Slipway injects it; check the service's \`uses\` in the spec)`);
  }
  return value;
}

/** Identity of this process, shown by /api/version and written next to data it produces. */
export const release = process.env.SLIPWAY_RELEASE ?? "unreleased";
export const build = process.env.SLIPWAY_BUILD ?? "dev";
export const service = process.env.SLIPWAY_SERVICE ?? "unknown";

/** One-line logs prefixed with service and release, so interleaved revisions stay readable. */
export function log(message, ...rest) {
  console.log(`[${service} ${release}] ${message}`, ...rest);
}

export function logError(message, err) {
  // The message only, which for pg and ioredis names hosts and users but never passwords.
  console.error(`[${service} ${release}] ${message}: ${err instanceof Error ? err.message : String(err)}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
