// The seed's CNI config: one bridge per node, host-local IPAM with the ULA range first (Kubernetes
// keeps the first pod IP, so Endpoints use the ULA) and the GUA range second (for the internet);
// portmap for hostPorts.
import { HostNet, MESH_MTU, POD_BRIDGE, PodRange } from "./hostNet";

export const CNI_CONFLIST_PATH = "/etc/cni/net.d/10-cluster.conflist";
export const CNI_NETWORK_NAME = "cluster";

function rangeSet(r: PodRange) {
    return [{ subnet: r.subnet, rangeStart: r.rangeStart, rangeEnd: r.rangeEnd }];
}

export function cniConflist(host: HostNet) {
    return {
        cniVersion: "0.4.0",
        name: CNI_NETWORK_NAME,
        plugins: [
            { type: "loopback" },
            {
                type: "bridge",
                bridge: POD_BRIDGE,
                isGateway: true,
                isDefaultGateway: true,
                hairpinMode: true,
                forceAddress: true,
                // Pod traffic crosses the mesh at full size only if pods use the mesh MTU too.
                mtu: MESH_MTU,
                ipam: { type: "host-local", ranges: [rangeSet(host.podUla), rangeSet(host.podGua)] },
            },
            // A pod's hostPort: DNAT from the node's own addresses to the pod's first IPv6 address (its
            // ULA). The host firewall's forward chain drops what it translates from outside the mesh
            // (nftables.ts), so a hostPort answers over the mesh and to the node's pods, not the internet.
            { type: "portmap", capabilities: { portMappings: true } },
            { type: "firewall", backend: "iptables" },
        ],
    };
}

export function renderCniConflist(host: HostNet): string {
    return `${JSON.stringify(cniConflist(host), null, 4)}\n`;
}
