export { CronScheduler } from "./scheduler";
export { cronFiles, cronPorts, stopCronRuns } from "./wiring";
