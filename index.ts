// Wiring only: read the config once, build the cluster, export what operators read.
import { loadConfig } from "./components/config/pulumiConfig";
import { createHosts } from "./components/hosts/hosts";
import { Mesh } from "./components/hosts/mesh";
import { NodeNetwork } from "./components/hosts/nodeNetwork";
import { nodeOutput } from "./components/hosts/outputs";
import { planToJson } from "./components/network/plan";
import { planStack } from "./components/network/stackPlan";

const { config, secrets } = loadConfig();
const plan = planStack(config);
const ula = config.cluster.ulaPrefix;

const hosts = createHosts(config, plan, secrets);
const networks = hosts.map((host) => new NodeNetwork(`node-${host.name}`, { host, clusterUla: ula }));
new Mesh("mesh", { members: hosts.map((host, i) => ({ host, network: networks[i] })) });

/** The cluster prefixes: ULA /64, service /112, CoreDNS address. */
export const cluster = planToJson(plan).cluster;
/** Per node: kind, roles, ULA/GUA/pod prefixes, NAT64 /96, WireGuard public key and endpoint. */
export const nodes = hosts.map((host, i) => nodeOutput(ula, host, networks[i]));
/** The NAT64 /96 prefixes, one per IPv4 host. */
export const nat64Prefixes = plan.nodes.flatMap((n) => (n.nat64 ? [n.nat64.toString()] : []));
