// The address plan of a validated stack config: where the config meets components/network/'s plan
// maths. It lives here, not in network/, so network/ knows nothing of the config's shape (node kinds,
// how IPv4 is declared) and every import arrow points down. hcloud nodes have no GUA until they exist.
import type { StackConfig } from "./types";
import { hasIpv4 } from "./types";
import { AddressPlan, planCluster } from "../network/plan";

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
