// etcd on a control-plane node: a static pod, peers and clients on the mesh address, mutual TLS
// everywhere, metrics and health on [::1] only. The flags are shared with the lab, which runs
// Debian's etcd 3.4 with exactly etcdFlags(): every flag here exists, undeprecated, in 3.4, 3.5
// and 3.6 (no experimental-*, no feature gates, no snapshot-count).
import { ETCD_DATA_DIR, ETCD_PKI_DIR, PATHS } from "../paths";
import { ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT } from "./defaults";
import { ClusterFacts, ControlPlaneMember, NodeFacts } from "./inputs";
import { members, selfMember } from "./members";
import { LOOPBACK, httpUrl, httpsUrl } from "../../common/net";
import { livenessProbe, manifestPath, podAnnotations, renderStaticPod, startupProbe } from "./staticPod";

export const ETCD_MANIFEST_PATH = manifestPath("etcd");
export const DEFAULT_ETCD_CLUSTER_TOKEN = "v6k8s-etcd";

/** "new" bootstraps the first members together; a node joining a running cluster (after `etcdctl member add`) uses "existing". */
export type EtcdClusterState = "new" | "existing";

export function etcdClientUrl(m: ControlPlaneMember): string {
    return httpsUrl(m.meshAddress, ETCD_CLIENT_PORT, `${m.name}.meshAddress`);
}

export function etcdPeerUrl(m: ControlPlaneMember): string {
    return httpsUrl(m.meshAddress, ETCD_PEER_PORT, `${m.name}.meshAddress`);
}

/** `--initial-cluster`: every member, sorted by name. */
export function etcdInitialCluster(cluster: ClusterFacts): string {
    return members(cluster)
        .map((m) => `${m.name}=${etcdPeerUrl(m)}`)
        .join(",");
}

/** etcd's command-line flags for `node` (without the binary name). */
export function etcdFlags(cluster: ClusterFacts, node: NodeFacts, state: EtcdClusterState): string[] {
    if (state !== "new" && state !== "existing") throw new RangeError(`initial-cluster-state: "${state}" is not new or existing`);
    const self = selfMember(cluster, node);
    return [
        `--name=${self.name}`,
        `--data-dir=${ETCD_DATA_DIR}`,
        // zap is the only logger of 3.5+; 3.4 defaults to the deprecated capnslog, so the same flag
        // gives the same structured logs in the lab and in the cluster.
        "--logger=zap",
        `--listen-client-urls=${httpsUrl(LOOPBACK, ETCD_CLIENT_PORT)},${etcdClientUrl(self)}`,
        `--advertise-client-urls=${etcdClientUrl(self)}`,
        `--listen-peer-urls=${etcdPeerUrl(self)}`,
        `--initial-advertise-peer-urls=${etcdPeerUrl(self)}`,
        `--initial-cluster=${etcdInitialCluster(cluster)}`,
        `--initial-cluster-state=${state}`,
        `--initial-cluster-token=${cluster.etcdClusterToken ?? DEFAULT_ETCD_CLUSTER_TOKEN}`,
        "--client-cert-auth=true",
        `--trusted-ca-file=${PATHS.etcdCa.cert}`,
        `--cert-file=${PATHS.etcdServer.cert}`,
        `--key-file=${PATHS.etcdServer.key}`,
        "--peer-client-cert-auth=true",
        `--peer-trusted-ca-file=${PATHS.etcdCa.cert}`,
        `--peer-cert-file=${PATHS.etcdPeer.cert}`,
        `--peer-key-file=${PATHS.etcdPeer.key}`,
        `--listen-metrics-urls=${httpUrl(LOOPBACK, ETCD_METRICS_PORT)}`,
    ];
}

export function renderEtcdManifest(cluster: ClusterFacts, node: NodeFacts, state: EtcdClusterState): string {
    const flags = etcdFlags(cluster, node, state);
    return renderStaticPod(`Rendered by v6k8s: etcd member ${node.name} (initial-cluster-state ${state}), a static pod.`, {
        name: "etcd",
        image: cluster.images.etcd,
        command: ["etcd", ...flags],
        requests: { cpu: "100m", memory: "100Mi" },
        mounts: [
            { name: "etcd-data", hostPath: ETCD_DATA_DIR, type: "DirectoryOrCreate", readOnly: false },
            { name: "etcd-certs", hostPath: ETCD_PKI_DIR, type: "Directory", readOnly: true },
        ],
        annotations: podAnnotations(cluster),
        // Liveness is serializable and ignores NOSPACE: a member that lost quorum or hit its quota
        // is still alive, and restarting it would not help. Startup waits for a linearizable read,
        // i.e. for the member to have joined a quorum.
        liveness: livenessProbe(LOOPBACK, ETCD_METRICS_PORT, "/health?exclude=NOSPACE&serializable=true", "HTTP"),
        startup: startupProbe(LOOPBACK, ETCD_METRICS_PORT, "/health?serializable=false", "HTTP"),
    });
}
