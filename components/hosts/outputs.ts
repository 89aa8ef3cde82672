// What operators read per node from the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { NodePlanJson, nodePlanToJson, planNode } from "../network/plan";
import { Prefix } from "../network/prefix";
import type { Host } from "./host";
import type { NodeNetwork } from "./nodeNetwork";
import { hostPort } from "../common/net";
import { WIREGUARD_PORT } from "../common/ports";

export interface NodeOutput extends NodePlanJson {
    kind: string;
    publicAddress: string;
    ipv4: string | null;
    wireguardPublicKey: string;
    wireguardEndpoint: string;
    /** The SSH host key the program pins (for known_hosts): from config, or made for an hcloud server. */
    hostKey: string;
    /** `leaving: true` in this run: the next run may remove it from `nodes` (config/removals.ts reads this). */
    leaving: boolean;
}

export function nodeOutput(cluster: Prefix, host: Host, network: NodeNetwork): pulumi.Output<NodeOutput> {
    return pulumi
        .all([host.providerGua, host.publicAddress, host.ipv4, network.wireguardPublicKey, host.hostKey])
        .apply(([gua, publicAddress, ipv4, wireguardPublicKey, hostKey]) => ({
            ...nodePlanToJson(planNode(cluster, { ...host.plan, gua: Prefix.parse(gua), ipv4: host.plan.nat64 !== null })),
            kind: host.config.kind,
            publicAddress,
            ipv4: ipv4 ?? null,
            wireguardPublicKey,
            wireguardEndpoint: hostPort(publicAddress, WIREGUARD_PORT, `${host.name}: public address`),
            hostKey,
            leaving: host.config.leaving,
        }));
}
