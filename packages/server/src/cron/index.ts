export { CronScheduler } from "./scheduler";
export { cronLogFile, cronPorts, stopCronRuns } from "./wiring";
