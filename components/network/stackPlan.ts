// The address plan of a validated stack config. hcloud nodes have no GUA until they exist.
import type { StackConfig } from "../config/types";
import { hasIpv4 } from "../config/types";
import { AddressPlan, planCluster } from "./plan";

export function planStack(config: StackConfig): AddressPlan {
    return planCluster(
        config.cluster.ulaPrefix,
        config.cluster.dnsServiceAddress,
        config.nodes.map((n) => ({
            name: n.name,
            index: n.index,
            roles: n.roles,
            gua: n.kind === "dedicated" ? n.gua : null,
            ipv4: hasIpv4(n),
        })),
    );
}
