// Kernel settings a node needs: IPv6 forwarding for pods, bridge netfilter for kube-proxy.
export const SYSCTL_PATH = "/etc/sysctl.d/90-v6k8s.conf";
export const MODULES_PATH = "/etc/modules-load.d/v6k8s.conf";

export function renderSysctl(opts: { ipv4Gateway: boolean }): string {
    const lines = [
        "# Rendered by v6k8s. Pods are routed, not bridged to the uplink, so the host forwards IPv6.",
        "net.ipv6.conf.all.forwarding = 1",
        "net.ipv6.conf.default.forwarding = 1",
        "# kube-proxy's ip6tables rules must see traffic between pods on the same bridge (hairpin).",
        "net.bridge.bridge-nf-call-ip6tables = 1",
        "net.bridge.bridge-nf-call-iptables = 1",
    ];
    if (opts.ipv4Gateway) {
        lines.push("# NAT64 gateway: translated IPv4 packets leave through the uplink.", "net.ipv4.ip_forward = 1");
    }
    return `${lines.join("\n")}\n`;
}

export function renderModules(): string {
    return "# Rendered by v6k8s: needed for the net.bridge.bridge-nf-call-* sysctls.\nbr_netfilter\n";
}
