// Host firewall. From the internet: WireGuard, ICMP, SSH (to cluster.sshPrefixes) and the ports a
// role opens on purpose.
// etcd, kubelet and apiserver are reachable only over the mesh (and from the node's own pods).
// Pods' GUAs are for their own outbound traffic: the internet cannot open connections to them
// (services are exposed through externalIPs, which kube-proxy translates to pod ULAs first).
// What kube-proxy translates (DNAT) from outside the mesh is forwarded only for the ports this
// host publishes: its public services and the public NodePorts. Anything else kube-proxy would
// forward (another NodePort, a ClusterIP or a pod's ULA sent to the uplink) is dropped, whatever
// kube-proxy's own settings are.
// A table of our own, replaced atomically, so kube-proxy's and CNI's iptables rules are untouched.
import { POD_BRIDGE, WIREGUARD_INTERFACE } from "./hostNet";
import { WIREGUARD_PORT } from "../../common/ports";

export const FIREWALL_PATH = "/etc/v6k8s/host-firewall.nft";
export const FIREWALL_TABLE = "v6k8s_host";

export interface PublicPort {
    readonly protocol: "tcp" | "udp";
    readonly port: number;
    /** Source prefixes allowed; empty = anyone. */
    readonly from: readonly string[];
    readonly why: string;
}

/** A port kube-proxy may forward to pods from outside the mesh on this host. */
export interface ForwardedPort {
    readonly protocol: "tcp" | "udp";
    readonly port: number;
    readonly why: string;
}

/** What the forward chain lets in from outside the mesh. */
export interface ForwardPolicy {
    /** The cluster /64: a translated connection to one of its addresses never comes from outside. */
    readonly clusterUla: string;
    /** This host's public service ports and the public NodePorts (render/plan.ts hostForwardedPorts). */
    readonly ports: readonly ForwardedPort[];
    /** The host is a NAT64 gateway: Tayga's interface carries IPv4 clients in and pods' IPv4 out. */
    readonly nat64Interface: string | null;
}

export function renderFirewall(hostName: string, podGua: string, publicPorts: readonly PublicPort[], forward: ForwardPolicy): string {
    const rules = publicPorts.map((p) => {
        const v6 = p.from.filter((f) => f.includes(":"));
        const v4 = p.from.filter((f) => !f.includes(":"));
        const accept = `${p.protocol} dport ${p.port} accept comment "${p.why}"`;
        if (p.from.length === 0) return [`        ${accept}`];
        return [
            ...(v6.length ? [`        ip6 saddr { ${v6.join(", ")} } ${accept}`] : []),
            ...(v4.length ? [`        ip saddr { ${v4.join(", ")} } ${accept}`] : []),
        ];
    });
    return [
        "#!/usr/sbin/nft -f",
        `# Host firewall of ${hostName}, rendered by v6k8s. Loading it replaces the table atomically.`,
        `table inet ${FIREWALL_TABLE}`,
        `delete table inet ${FIREWALL_TABLE}`,
        `table inet ${FIREWALL_TABLE} {`,
        "    chain input {",
        "        type filter hook input priority filter; policy drop;",
        "        ct state established,related accept",
        "        ct state invalid drop",
        '        iifname "lo" accept',
        `        iifname "${WIREGUARD_INTERFACE}" accept comment "the mesh: etcd, kubelet, apiserver, node to node"`,
        `        iifname "${POD_BRIDGE}" accept comment "this node's pods"`,
        '        meta l4proto ipv6-icmp accept comment "neighbour discovery, path MTU discovery"',
        "        meta l4proto icmp accept",
        `        udp dport ${WIREGUARD_PORT} accept comment "wireguard"`,
        ...rules.flat(),
        "    }",
        "    chain forward {",
        "        type filter hook forward priority filter; policy accept;",
        "        ct state established,related accept",
        `        iifname { "${WIREGUARD_INTERFACE}", "${POD_BRIDGE}" } accept`,
        ...(forward.nat64Interface
            ? [
                  `        iifname "${forward.nat64Interface}" accept comment "NAT64: IPv4 clients in, pods' IPv4 out"`,
                  `        oifname "${forward.nat64Interface}" accept comment "NAT64: IPv4 clients to Tayga"`,
              ]
            : []),
        `        ip6 daddr ${podGua} ct state new drop comment "no inbound connections to pods' GUAs"`,
        ...forward.ports.map(
            (p) =>
                `        ct state new ct status dnat ct original ip6 daddr != ${forward.clusterUla} meta l4proto ${p.protocol} ct original proto-dst ${p.port} accept comment "${p.why}"`,
        ),
        `        ct state new ct status dnat drop comment "nothing else kube-proxy translates is open from outside the mesh"`,
        "    }",
        "}",
        "",
    ].join("\n");
}
