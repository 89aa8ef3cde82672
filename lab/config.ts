// Fixed facts of the lab: names, paths and the addresses of everything that is not a cluster host.
// Every address is a documentation or ULA address (checked by assertLabAddress before use).
import * as os from "os";
import * as path from "path";
import * as ipaddr from "ipaddr.js";
import { APISERVER_PORT, ETCD_CLIENT_PORT, KUBELET_PORT, SSH_PORT } from "../components/common/ports";
import { DEFAULT_CLUSTER_DOMAIN } from "../components/controlplane/render/defaults";

/** Every network namespace the lab creates starts with this; teardown deletes only these. */
export const NS_PREFIX = "v6l-";
export const STATE_DIR = "/run/v6k8s-lab";
export const PID_DIR = path.join(STATE_DIR, "pids");
export const LOG_DIR = path.join(STATE_DIR, "logs");
export const HOSTS_DIR = path.join(STATE_DIR, "hosts");
export const PODS_DIR = path.join(STATE_DIR, "pods");
export const STATE_FILE = path.join(STATE_DIR, "state.json");

export const LAB_DIR = __dirname;
export const REPO_DIR = path.join(__dirname, "..");
export const DEFAULT_STACK = path.join(LAB_DIR, "stacks", "lab.yaml");
/** The cluster lab's stack (lab/cluster): three control-plane hosts and a worker, software from the lab's sites. */
export const CLUSTER_STACK = path.join(LAB_DIR, "stacks", "cluster.yaml");
export const IN_NS = path.join(LAB_DIR, "sh", "in-ns.sh");
/** The cluster lab's cache, kept across labs (toolchain, images, registry storage): $V6K8S_CACHE or ~/.cache/v6k8s. */
export const clusterCache = (): string => process.env.V6K8S_CACHE ?? path.join(os.homedir(), ".cache", "v6k8s");
export const GLUE_DIR = path.join(LAB_DIR, "sh", "glue");
export const WIREGUARD_GO_GLUE = path.join(LAB_DIR, "sh", "wireguard-go-lab.sh");

/** The provider's network: a router namespace with one bridge all hosts' uplinks plug into. */
export const PROVIDER_NS = `${NS_PREFIX}prov`;
export const PROVIDER_BRIDGE = "prov0";
/** Hetzner's gateway is fe80::1; each host's /64 is routed to the host's link-local address. */
export const PROVIDER_GATEWAY_LL = "fe80::1";
/** Locally administered, fixed: the router's MAC does not change when a host's port goes. */
export const PROVIDER_ROUTER_MAC = "02:00:5e:00:53:01";
export const PROVIDER_V4_GATEWAY = "203.0.113.1";
export const PROVIDER_V4_LENGTH = 24;
export const UPLINK = "eth0";
/**
 * The network lab's host whose uplink gets its default route from router advertisements (a real
 * radvd on the provider's bridge, unicast to that host alone), as a server image that relies on
 * RAs has it: the network step must keep that route when it turns forwarding on (check 3).
 */
export const RA_UPLINK_HOST = "lab3";
export const RADVD = "/usr/sbin/radvd";

/** The "IPv6 internet": a web server (whoami) and the upstream DNS server. */
export const INET6_NS = `${NS_PREFIX}inet6`;
export const INET6_ROUTER = "2001:db8:ffff::1";
export const INET6_SERVER = "2001:db8:ffff::10";
export const INET6_DNS = "2001:db8:ffff::53";
export const INET6_LENGTH = 64;

/** The "IPv4 internet": an IPv4-only server. */
export const INET4_NS = `${NS_PREFIX}inet4`;
export const INET4_ROUTER = "192.0.2.1";
export const INET4_SERVER = "192.0.2.10";
export const INET4_LENGTH = 24;

/** The A-only name the lab DNS serves, and a name with both A and AAAA (must not be synthesised). */
export const DNS_ZONE = "lab.example";
export const V4ONLY_NAME = `v4only.${DNS_ZONE}`;
export const DUAL_NAME = `dual.${DNS_ZONE}`;

/** The pod every host gets, and the cluster DNS pod (on the first IPv6-only host). */
export const TEST_POD = "p0";
export const DNS_POD = "dns";
/** A pod's resolv.conf search list, as the kubelet writes it for namespace "default". */
export const POD_SEARCH = [`default.svc.${DEFAULT_CLUSTER_DOMAIN}`, `svc.${DEFAULT_CLUSTER_DOMAIN}`, DEFAULT_CLUSTER_DOMAIN];

export const WHOAMI_PORT = 80;
/** Stand-ins for the control plane's ports until it lands (the firewall check needs listeners). */
export const STAND_IN_PORTS = { ssh: SSH_PORT, etcd: ETCD_CLIENT_PORT, kubelet: KUBELET_PORT, apiserver: APISERVER_PORT } as const;

const ALLOWED_PREFIXES = ["2001:db8::/32", "fd00::/8", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "fe80::/10"];

/** Throws unless the address (or prefix) lies in the documentation/ULA ranges the lab may use. */
export function assertLabAddress(text: string): string {
    const [addrText, len] = text.split("/");
    const addr = ipaddr.parse(addrText);
    const ok = ALLOWED_PREFIXES.some((p) => {
        const [net, bits] = ipaddr.parseCIDR(p);
        return net.kind() === addr.kind() && addr.match(net, bits) && (len === undefined || Number(len) >= bits);
    });
    if (!ok) throw new RangeError(`lab: ${text} is outside the lab's documentation/ULA ranges (${ALLOWED_PREFIXES.join(", ")})`);
    return text;
}

export function hostNs(node: string): string {
    return `${NS_PREFIX}${node}`;
}

export function podNs(node: string, pod: string): string {
    return `${NS_PREFIX}${node}-${pod}`;
}

/** The host's uplink link-local address, the next hop the provider routes the host's /64 to. */
export function hostUplinkLinkLocal(index: number): string {
    return `fe80::2:${index.toString(16)}`;
}
