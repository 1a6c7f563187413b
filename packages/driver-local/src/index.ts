export * from "./addons";
export * from "./addons/postgres-backup";
export * from "./addons/redis-snapshot";
export * from "./edge";
export { type LocalDriverOptions, localDriver } from "./local-driver";
export * from "./process";
export { installedPostgresMajor, requireBinary, requirePostgresBinDir } from "./system/binaries";
export { assertPortFree, freePort, isPortFree } from "./system/ports";
export { type RunResult, run as runToCompletion } from "./system/run";
export {
  ADDON_USER,
  APP_USER,
  addonUser,
  appUser,
  assertTraversable,
  ensureHome,
  type RunAs,
} from "./system/service-user";
