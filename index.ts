// Wiring only: read the config once, build the cluster, export what operators read.
import { loadConfig } from "./components/config/pulumiConfig";
import { KubernetesCluster } from "./components/controlplane/cluster";
import { APISERVER_PORT } from "./components/controlplane/render/defaults";
import { createHosts } from "./components/hosts/hosts";
import { Mesh } from "./components/hosts/mesh";
import { NodeNetwork } from "./components/hosts/nodeNetwork";
import { nodeOutput } from "./components/hosts/outputs";
import type { PublicPort } from "./components/hosts/render/nftables";
import { planToJson } from "./components/network/plan";
import { planStack } from "./components/network/stackPlan";

const { config, secrets } = loadConfig();
const plan = planStack(config);
const ula = config.cluster.ulaPrefix;

const hosts = createHosts(config, plan, secrets, { apiserverPort: APISERVER_PORT });
// Control-plane nodes open the apiserver port to the configured admin prefixes, nobody else.
const apiserverPort: PublicPort[] = config.cluster.adminPrefixes.length === 0 ? [] : [
    { protocol: "tcp", port: APISERVER_PORT, from: config.cluster.adminPrefixes, why: "apiserver for admins" },
];
const networks = hosts.map((host) => new NodeNetwork(`node-${host.name}`, {
    host,
    clusterUla: ula,
    publicPorts: host.config.roles.includes("control-plane") ? apiserverPort : [],
}));
const mesh = new Mesh("mesh", { members: hosts.map((host, i) => ({ host, network: networks[i] })) });
const kubernetes = new KubernetesCluster("k8s", { config, plan, hosts, after: mesh.commands });

/** The cluster prefixes: ULA /64, service /112, CoreDNS address. */
export const cluster = planToJson(plan).cluster;
/** Per node: kind, roles, ULA/GUA/pod prefixes, NAT64 /96, WireGuard public key and endpoint. */
export const nodes = hosts.map((host, i) => nodeOutput(ula, host, networks[i]));
/** The NAT64 /96 prefixes, one per IPv4 host. */
export const nat64Prefixes = plan.nodes.flatMap((n) => (n.nat64 ? [n.nat64.toString()] : []));
/** Every control-plane apiserver, on its public address. */
export const apiserverEndpoints = kubernetes.apiserverEndpoints;
/** Admin kubeconfig (secret): `pulumi stack output --show-secrets kubeconfig > kubeconfig`. */
export const kubeconfig = kubernetes.adminKubeconfig;
