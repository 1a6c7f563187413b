export { type ControlPlaneOptions, type RunningControlPlane, startControlPlane } from "./control-plane";
export { statePaths } from "./paths";
