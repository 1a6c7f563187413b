export * from "./addons";
export * from "./edge";
export * from "./process";
export { writeFileAtomic } from "./system/atomic-file";
export { requireBinary, requirePostgresBinDir } from "./system/binaries";
export { assertPortFree, freePort } from "./system/ports";
export { assertTraversable, type RunAs, SERVICE_USER, serviceUser } from "./system/service-user";
