// The kubelet: its KubeletConfiguration and its systemd unit. The only process the init system
// starts (with containerd); on control-plane nodes it runs the rest from MANIFEST_DIR.
import { posix } from "path";
import { WIREGUARD_INTERFACE } from "../../hosts/render/hostNet";
import { NETWORK_UNIT_PATH } from "../../hosts/render/scripts";
import { MANIFEST_DIR, PATHS } from "../paths";
import { KUBELET_HEALTHZ_PORT } from "./defaults";
import { ClusterFacts, NodeFacts } from "./inputs";
import { CONTROL_PLANE_TAINT } from "./nodeRoles";
import { LOOPBACK, v6 } from "../../common/net";
import { dnsAddress } from "./serviceRange";
import { renderYaml } from "./staticPod";
import { TLS_MIN_VERSION } from "./hardening";
import { DEFAULT_KUBELET, KubeletSettings } from "../../config/kubeletSettings";

export const KUBELET_UNIT_PATH = "/etc/systemd/system/kubelet.service";
/** Where the runtime step installs the binary (the release's static build). */
export const KUBELET_BINARY = "/usr/local/bin/kubelet";
export const CONTAINERD_SOCKET = "unix:///run/containerd/containerd.sock";
/** The mesh at boot (the mesh step enables it). */
export const MESH_UNIT = `wg-quick@${WIREGUARD_INTERFACE}.service`;

/** The kubelet's configuration; `node` adds what differs per node (the control-plane taint). */
export function kubeletConfiguration(cluster: ClusterFacts, node?: NodeFacts) {
    return {
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        address: "::",
        healthzBindAddress: LOOPBACK,
        healthzPort: KUBELET_HEALTHZ_PORT,
        staticPodPath: MANIFEST_DIR,
        cgroupDriver: "systemd",
        containerRuntimeEndpoint: CONTAINERD_SOCKET,
        clusterDNS: [dnsAddress(cluster)],
        clusterDomain: cluster.clusterDomain,
        authentication: {
            anonymous: { enabled: false },
            webhook: { enabled: true },
            x509: { clientCAFile: PATHS.clusterCa.cert },
        },
        authorization: { mode: "Webhook" },
        // The Pulumi program issues the serving certificate (mesh address and name in its SANs) and
        // the client certificate; there is no CSR signer in the cluster to rotate or bootstrap them.
        tlsCertFile: PATHS.kubeletServing.cert,
        tlsPrivateKeyFile: PATHS.kubeletServing.key,
        tlsMinVersion: TLS_MIN_VERSION,
        rotateCertificates: false,
        serverTLSBootstrap: false,
        // Applied when the Node object is created, before anything can be scheduled on it; the
        // label needs an admin (render/nodeRoles.ts).
        ...(node?.controlPlaneTaint && { registerWithTaints: [{ ...CONTROL_PLANE_TAINT }] }),
        ...kubeletSettingsFields(node?.kubelet ?? DEFAULT_KUBELET),
    };
}

/**
 * The settings' fields. Reservations only lower what the scheduler sees as allocatable
 * (enforceNodeAllocatable stays the kubelet's default, "pods": no cgroup limits on the system).
 * Graceful shutdown takes a systemd-logind inhibitor lock; without logind the kubelet logs that its
 * shutdown manager did not start and runs on.
 */
function kubeletSettingsFields(s: KubeletSettings) {
    return {
        systemReserved: { ...s.systemReserved },
        kubeReserved: { ...s.kubeReserved },
        evictionHard: { ...s.evictionHard },
        shutdownGracePeriod: `${s.shutdownGracePeriodSeconds}s`,
        shutdownGracePeriodCriticalPods: `${s.shutdownGracePeriodCriticalPodsSeconds}s`,
    };
}

export function renderKubeletConfig(cluster: ClusterFacts, node?: NodeFacts): string {
    return renderYaml("Rendered by v6k8s: KubeletConfiguration.", kubeletConfiguration(cluster, node));
}

export function kubeletArgs(node: NodeFacts): string[] {
    return [
        `--config=${PATHS.kubeletConfig}`,
        `--kubeconfig=${PATHS.kubeletKubeconfig}`,
        // The mesh address becomes the node's InternalIP: what the apiserver dials and Endpoints use.
        `--node-ip=${v6(node.meshAddress, `node ${node.name}.meshAddress`)}`,
        `--hostname-override=${node.name}`,
    ];
}

/**
 * The kubelet unit. It is ordered after the mesh but does not pull it in (no Wants=): the mesh step
 * enables MESH_UNIT for boot and brings the interface up itself the first time, so a Wants= would
 * start the unit while the interface exists, wg-quick would fail on it, and the unit would show as
 * failed. containerd needs no ordering: it starts no container by itself, the kubelet does.
 */
export function renderKubeletUnit(node: NodeFacts): string {
    const network = posix.basename(NETWORK_UNIT_PATH);
    return `# Rendered by v6k8s: the kubelet of ${node.name}.
[Unit]
Description=Kubernetes kubelet
Documentation=https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/
Wants=containerd.service ${network}
After=containerd.service ${network}
# Not before the mesh after a reboot: etcd binds its address, the kubelet checks --node-ip.
After=${MESH_UNIT}
# Never give up: a kubelet that waits for its certificates or the apiservers must keep trying.
StartLimitIntervalSec=0

[Service]
ExecStart=${KUBELET_BINARY} \\
${kubeletArgs(node)
    .map((a) => `    ${a}`)
    .join(" \\\n")}
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
`;
}
