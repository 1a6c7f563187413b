export * from "./addons";
export * from "./addons/postgres-backup";
export * from "./edge";
export * from "./process";
export { writeFileAtomic } from "./system/atomic-file";
export { requireBinary, requirePostgresBinDir } from "./system/binaries";
export { assertPortFree, freePort } from "./system/ports";
export {
  appendFileNoFollow,
  openAppendNoFollow,
  readFileNoFollow,
} from "./system/safe-files";
export {
  ADDON_USER,
  APP_USER,
  addonUser,
  appUser,
  assertTraversable,
  ensureHome,
  type RunAs,
} from "./system/service-user";
