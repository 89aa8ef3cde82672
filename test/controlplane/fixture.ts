// The 3-control-plane fixture of the control-plane renderers, built from the project's own address
// plan: cluster fd8a:31c2:7c1f:1::/64, cp1..cp3 at indexes 1..3, worker w1 at index 11.
import { APISERVER_PROXY_PORT, DEFAULT_CLUSTER_DOMAIN, defaultImages } from "../../components/controlplane/render/defaults";
import { ClusterFacts, NodeFacts } from "../../components/controlplane/render/inputs";
import { controlPlaneTainted } from "../../components/controlplane/render/nodeRoles";
import { NodePlanInput, planCluster } from "../../components/network/plan";
import { Prefix, formatV6 } from "../../components/network/prefix";
import { APISERVER_PORT } from "../../components/common/ports";

export const CLUSTER_ULA = "fd8a:31c2:7c1f:1::/64";
export const KUBERNETES_VERSION = "1.34.2";

const NODES: readonly (NodePlanInput & { guaText: string })[] = [
    { name: "cp1", index: 1, roles: ["control-plane"], gua: null, ipv4: true, guaText: "2001:db8:a:1::/64" },
    { name: "cp2", index: 2, roles: ["control-plane"], gua: null, ipv4: false, guaText: "2001:db8:a:2::/64" },
    { name: "cp3", index: 3, roles: ["control-plane"], gua: null, ipv4: false, guaText: "2001:db8:a:3::/64" },
    { name: "w1", index: 11, roles: ["worker"], gua: null, ipv4: false, guaText: "2001:db8:b:1::/64" },
];

export interface Fixture {
    readonly cluster: ClusterFacts;
    readonly nodes: readonly NodeFacts[];
    node(name: string): NodeFacts;
}

/** `controlPlane` overrides which nodes are members (to test adding one). */
export function fixture(opts: { members?: readonly string[]; version?: string } = {}): Fixture {
    const ula = Prefix.parse(CLUSTER_ULA);
    const inputs = NODES.map(({ guaText, ...n }) => ({ ...n, gua: Prefix.parse(guaText) }));
    const plan = planCluster(ula, undefined, inputs);
    const nodes: NodeFacts[] = plan.nodes.map((n) => ({
        name: n.name,
        meshAddress: formatV6(n.wireguard),
        // Robot's convention: the host's main address is <provider prefix>::2.
        publicAddress: formatV6(n.gua!.address(2)),
        controlPlane: n.roles.includes("control-plane"),
        controlPlaneTaint: controlPlaneTainted(n.roles, false),
    }));
    const memberNames = opts.members ?? nodes.filter((n) => n.controlPlane).map((n) => n.name);
    const version = opts.version ?? KUBERNETES_VERSION;
    const cluster: ClusterFacts = {
        kubernetesVersion: version,
        serviceRange: plan.cluster.services,
        dnsAddress: formatV6(plan.cluster.dns),
        clusterDomain: DEFAULT_CLUSTER_DOMAIN,
        controlPlane: nodes.filter((n) => memberNames.includes(n.name)).map((n) => ({ name: n.name, meshAddress: n.meshAddress })),
        apiserverPort: APISERVER_PORT,
        apiserverProxyPort: APISERVER_PROXY_PORT,
        images: defaultImages(version),
    };
    return { cluster, nodes, node: (name) => nodes.find((n) => n.name === name)! };
}
