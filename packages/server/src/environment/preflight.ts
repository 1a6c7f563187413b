import { requireBinary, requirePostgresBinDir } from "@slipway/driver-local";
import type { Stack } from "@slipway/spec";

/**
 * Every system binary the environment will need, checked before anything starts: a missing
 * redis-server must not leave a freshly started Postgres behind.
 */
export function preflight(stack: Stack): void {
  requireBinary("haproxy", "haproxy");
  for (const addon of Object.values(stack.addons)) {
    if (addon.type === "postgres") requirePostgresBinDir(addon.version);
    if (addon.type === "redis") requireBinary("redis-server", "redis-server");
  }
}
