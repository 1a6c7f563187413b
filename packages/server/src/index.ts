export { type ControlPlaneOptions, type RunningControlPlane, startControlPlane } from "./control-plane";
export { statePaths } from "./paths";
export { releaseConfigFor } from "./release-config";
export { edgePem, serverTls, type TlsMaterial } from "./tls";
