/**
 * Crash points for the crash-safety tests: with `SLIPWAY_FAULT=<point>` the control plane
 * kills itself with SIGKILL when it reaches that point, so a test can crash it between any
 * two steps of a rollout or a drain, deterministically. Unset, as always outside those
 * tests, it does nothing. Points: `build:progress`, `job:pid-unrecorded`,
 * `spawned:pid-unrecorded`, `after:<rollout step>` (e.g. `after:run-release-job`,
 * `after:start-target`, `after:move:starting`), `switch:recorded`, `drain:terminating`.
 */
export function faultInjector(point = process.env.SLIPWAY_FAULT): (at: string) => void {
  if (!point) return () => {};
  return (at) => {
    if (at === point) process.kill(process.pid, "SIGKILL");
  };
}
