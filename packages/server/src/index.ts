export { type ControlPlaneOptions, type RunningControlPlane, startControlPlane } from "./control-plane";
export { statePaths } from "./paths";
export { releaseConfigFor } from "./release-config";
export { serverTls, type TlsMaterial } from "./tls";
