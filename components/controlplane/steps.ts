// The command text of each Kubernetes step on a host, in order: preflight, pki, files, binaries,
// start; and the cluster-wide wait. Pure: NodeKubernetes sends exactly these, and the lab runs them.
import { INSTALL_STDIN_FILES, filesOnStdin, installFilesCommand } from "../hosts/render/commands";
import type { HostFiles } from "../hosts/render/files";
import type { ControlPlaneNodeRole } from "./render/nodeRoles";
import { START_KUBELET_PATH, renderSkewCheck, renderWaitControlPlane } from "../runtime/render/activate";
import { INSTALL_BINARIES_PATH } from "../runtime/render/installBinaries";

/** The version-skew preflight, its own step: a refused version changes nothing, and its error holds no key. */
export const preflightCommand = (kubernetesVersion: string): string => renderSkewCheck(kubernetesVersion);
/** The pki step's text: a fixed installer; the certificates and keys come on its stdin (pkiStdinOf). */
export const PKI_COMMAND = INSTALL_STDIN_FILES;
export const pkiStdinOf = (pkiFiles: HostFiles): string => filesOnStdin(pkiFiles);
/** Runtime and kubelet configuration, manifests, scripts (nodeKubernetesFiles). */
export const filesCommand = (files: HostFiles): string => installFilesCommand(files);
export const BINARIES_COMMAND = INSTALL_BINARIES_PATH;
export const START_COMMAND = START_KUBELET_PATH;

/**
 * Runs on the first control-plane node once every control-plane node started; then labels the
 * control-plane nodes and converges their taint (facts.ts controlPlaneNodeRoles).
 */
export const waitControlPlaneCommand = (proxyPort: number, controlPlaneNodes: readonly ControlPlaneNodeRole[] = []): string =>
    renderWaitControlPlane({ proxyPort, controlPlaneNodes });
