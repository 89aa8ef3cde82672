// etcd on a control-plane node: a static pod, peers and clients on the mesh address, mutual TLS
// everywhere, metrics and health on [::1] only. The flags are shared with the network lab, which
// runs Debian's etcd 3.4 with etcdFlags() less --tls-min-version (3.5+): every other flag here
// exists, undeprecated, in 3.4, 3.5 and 3.6 (no experimental-*, no feature gates, no snapshot-count).
import { ETCD_TLS_MIN_VERSION } from "./hardening";
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

/**
 * `--initial-cluster` of `self`: the members as they were when it first started, sorted by name.
 * etcd reads the flag only then (a member with data ignores it), but the kubelet restarts a static
 * pod whenever its manifest changes: a flag listing every current member would restart every
 * running member whenever one joins or leaves, possibly while the new one is not up yet (3 of 4
 * running: the next restart loses the quorum). So the flag changes only when it must be true:
 * - a member of the first bootstrap (not joining) lists the bootstrap members: the non-joining
 *   control-plane nodes (the list of a `new` cluster must be the same on every member). A member
 *   joining adds nothing to it;
 * - a joining member (`existing`) lists the bootstrap members and the joining ones up to itself
 *   by node index (so a new joiner needs a higher index than every member that joined before
 *   it: README, "Add control-plane nodes"; nothing can check that before the join): exactly the membership after its `member add`, which etcd checks against the
 *   running cluster. Members joining later change nothing for it, as long as each keeps joinEtcd.
 * A member leaving (`leaving: true`) stays in these lists for its leaving run, so no running
 * member restarts before its removal; the run that drops it from `nodes` drops it from them too,
 * one restart at a time behind the restart gate (etcdRestartGate.ts), after its member is gone.
 */
export function etcdInitialCluster(cluster: ClusterFacts, self: ControlPlaneMember): string {
    const all = [...members(cluster), ...(cluster.etcdLeaving ?? [])];
    const bootstrap = all.filter((m) => m.joinOrder === undefined);
    const mine = self.joinOrder;
    const listed = mine === undefined ? bootstrap : [...bootstrap, ...all.filter((m) => m.joinOrder !== undefined && m.joinOrder <= mine)];
    return listed
        .slice()
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
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
        `--initial-cluster=${etcdInitialCluster(cluster, self)}`,
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
        // Client and peer listeners alike.
        `--tls-min-version=${ETCD_TLS_MIN_VERSION}`,
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
