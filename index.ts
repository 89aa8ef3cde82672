// Wiring only: read the config once, build the cluster, export what operators read.
import { loadConfig } from "./components/config/pulumiConfig";
import { planToJson } from "./components/network/plan";
import { planStack } from "./components/network/stackPlan";

const { config } = loadConfig();
const plan = planToJson(planStack(config));

/** The cluster prefixes: ULA /64, service /112, CoreDNS address. */
export const cluster = plan.cluster;
/** Per node: ULA /80, WireGuard address, pod /96s, GUA /80, NAT64 /96 (null without IPv4). */
export const nodes = plan.nodes;
/** The NAT64 /96 prefixes, one per IPv4 host. */
export const nat64Prefixes = plan.nodes.flatMap((n) => (n.nat64 ? [n.nat64] : []));
