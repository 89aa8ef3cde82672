// The command text of each Kubernetes step on a host, in order: pki, files, binaries, start; and
// the cluster-wide wait. Pure: NodeKubernetes sends exactly these, and the lab runs them.
import { installFilesCommand } from "../hosts/render/commands";
import type { HostFiles } from "../hosts/render/files";
import { START_KUBELET_PATH, renderSkewCheck, renderWaitControlPlane } from "../runtime/render/activate";
import { INSTALL_BINARIES_PATH } from "../runtime/render/installBinaries";

/** The version-skew preflight first (a refused version changes nothing), then the certificates and keys. */
export function pkiCommand(kubernetesVersion: string, pkiFiles: HostFiles): string {
    return `${renderSkewCheck(kubernetesVersion)}\n${installFilesCommand(pkiFiles)}`;
}

/** Runtime and kubelet configuration, manifests, scripts (nodeKubernetesFiles). */
export const filesCommand = (files: HostFiles): string => installFilesCommand(files);
export const BINARIES_COMMAND = INSTALL_BINARIES_PATH;
export const START_COMMAND = START_KUBELET_PATH;

/** Runs on the first control-plane node once every control-plane node started. */
export const waitControlPlaneCommand = (proxyPort: number): string => renderWaitControlPlane({ proxyPort });
