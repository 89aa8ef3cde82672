import { strict as assert } from "assert";
import { generateKeyPairSync } from "crypto";
import * as sshpk from "sshpk";
import { ConfigError } from "../../components/config/errors";
import { requiredSecrets, secretValueProblems, validateStackConfig } from "../../components/config/load";
import { formatV6 } from "../../components/network/prefix";
import { RawConfig, baseConfig, dedicated, hcloud } from "../support/fixtures";
import { fakeHostKey } from "../support/hostKeys";
import { parseEncryptionKeys } from "../../components/config/encryptionKey";

function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        validateStackConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
    return [];
}

type Case = [title: string, mutate: (c: RawConfig) => void, expected: string | RegExp];

// Each case breaks one thing in an otherwise valid config; the expected line names the key at fault.
const cases: Case[] = [
    [
        "unknown top-level key",
        (c) => {
            c.cluter = {};
        },
        'cluter: unknown key (did you mean "cluster"?)',
    ],
    [
        "cluster missing",
        (c) => {
            delete (c as Partial<RawConfig>).cluster;
        },
        "cluster: is required",
    ],
    [
        "cluster not a map",
        (c) => {
            (c as Record<string, unknown>).cluster = "fd00::/64";
        },
        /^cluster: expected object, got string/,
    ],
    [
        "ulaPrefix missing",
        (c) => {
            delete c.cluster.ulaPrefix;
        },
        "cluster.ulaPrefix: is required",
    ],
    [
        "ulaPrefix not a prefix",
        (c) => {
            c.cluster.ulaPrefix = "fd8a:31c2::zz/64";
        },
        /^cluster\.ulaPrefix: .* is not an IPv6 prefix/,
    ],
    [
        "ulaPrefix is a /48",
        (c) => {
            c.cluster.ulaPrefix = "fd8a:31c2:7c1f::/48";
        },
        "cluster.ulaPrefix: must be exactly a /64, got /48",
    ],
    [
        "ulaPrefix is global",
        (c) => {
            c.cluster.ulaPrefix = "2001:db8:1:2::/64";
        },
        /^cluster\.ulaPrefix: 2001:db8:1:2::\/64 is not a unique local prefix/,
    ],
    [
        "ulaPrefix has host bits",
        (c) => {
            c.cluster.ulaPrefix = "fd00::1/64";
        },
        /^cluster\.ulaPrefix: .*host bits set \(did you mean fd00::\/64\?\)/,
    ],
    [
        "ulaPrefix is IPv4",
        (c) => {
            c.cluster.ulaPrefix = "10.0.0.0/8";
        },
        /^cluster\.ulaPrefix: .*IPv4 prefix/,
    ],
    [
        "unknown cluster key",
        (c) => {
            c.cluster.ulaprefix = "x";
        },
        /^cluster\.ulaprefix: unknown key/,
    ],
    [
        "kubernetesVersion missing",
        (c) => {
            delete c.cluster.kubernetesVersion;
        },
        "cluster.kubernetesVersion: is required",
    ],
    [
        "kubernetesVersion as a YAML number",
        (c) => {
            c.cluster.kubernetesVersion = 1.34;
        },
        /^cluster\.kubernetesVersion: expected string, got number 1\.34 \(quote it in YAML\)/,
    ],
    [
        "kubernetesVersion with a v",
        (c) => {
            c.cluster.kubernetesVersion = "v1.34.2";
        },
        /^cluster\.kubernetesVersion: "v1\.34\.2" is not a release/,
    ],
    [
        "kubernetesVersion too old",
        (c) => {
            c.cluster.kubernetesVersion = "1.28.4";
        },
        /^cluster\.kubernetesVersion: 1\.28\.4 is older than/,
    ],
    [
        "etcdVersion on another etcd minor than the Kubernetes minor's",
        (c) => {
            c.cluster.kubernetesVersion = "1.34.2";
            c.cluster.etcdVersion = "3.5.36";
        },
        "cluster.etcdVersion: 3.5.36 is not an etcd 3.6 release, the etcd minor of Kubernetes 1.34.2 (kubeadm's: 3.6.8); only the patch may differ",
    ],
    [
        "etcdVersion not a release",
        (c) => {
            c.cluster.etcdVersion = "v3.6.9";
        },
        /^cluster\.etcdVersion: must be a release like "2\.1\.4" \(no v\)/,
    ],
    [
        "dnsServiceAddress outside the service range",
        (c) => {
            c.cluster.dnsServiceAddress = "fd8a:31c2:7c1f:1:0:1::a";
        },
        /^cluster\.dnsServiceAddress: .* is outside the service range fd8a:31c2:7c1f:1::\/112/,
    ],
    [
        "dnsServiceAddress is the apiserver service",
        (c) => {
            c.cluster.dnsServiceAddress = "fd8a:31c2:7c1f:1::1";
        },
        /^cluster\.dnsServiceAddress: .* taken by the kubernetes apiserver/,
    ],
    [
        "dnsServiceAddress is the network address",
        (c) => {
            c.cluster.dnsServiceAddress = "fd8a:31c2:7c1f:1::";
        },
        /^cluster\.dnsServiceAddress: .* network address/,
    ],
    [
        "dnsServiceAddress not an address",
        (c) => {
            c.cluster.dnsServiceAddress = "fd8a::/64";
        },
        /^cluster\.dnsServiceAddress: "fd8a::\/64" is not an IPv6 address/,
    ],
    [
        "nodes missing",
        (c) => {
            delete (c as Partial<RawConfig>).nodes;
        },
        "nodes: is required",
    ],
    [
        "nodes not a list",
        (c) => {
            (c as Record<string, unknown>).nodes = { cp1: {} };
        },
        "nodes: must be a list of nodes",
    ],
    [
        "nodes empty",
        (c) => {
            c.nodes = [];
        },
        "nodes: must list at least one node",
    ],
    [
        "node name missing",
        (c) => {
            delete c.nodes[1].name;
        },
        "nodes[1].name: is required",
    ],
    [
        "node name not a DNS label",
        (c) => {
            c.nodes[1].name = "CP_2";
        },
        /^nodes\[1\]\.name: must be a DNS label/,
    ],
    [
        "node name too long",
        (c) => {
            c.nodes[1].name = "a".repeat(64);
        },
        /^nodes\[1\]\.name: must be a DNS label/,
    ],
    [
        "duplicate node name",
        (c) => {
            c.nodes[3].name = "cp1";
        },
        'nodes[3].name: "cp1" is already used by node "cp1"',
    ],
    [
        "index missing",
        (c) => {
            delete c.nodes[2].index;
        },
        "nodes[2].index: is required",
    ],
    [
        "index 0 (the services /80)",
        (c) => {
            c.nodes[2].index = 0;
        },
        "nodes[2].index: 0 is below the minimum 1",
    ],
    [
        "index above 65535",
        (c) => {
            c.nodes[2].index = 65536;
        },
        "nodes[2].index: 65536 is above the maximum 65535",
    ],
    [
        "index not an integer",
        (c) => {
            c.nodes[2].index = 2.5;
        },
        /^nodes\[2\]\.index: expected an integer, got number 2\.5/,
    ],
    [
        "index as a string",
        (c) => {
            c.nodes[2].index = "3";
        },
        /^nodes\[2\]\.index: expected .*, got string "3"/,
    ],
    [
        "duplicate index",
        (c) => {
            c.nodes[2].index = 11;
        },
        'nodes[3].index: 11 is already used by node "cp3"',
    ],
    [
        "unknown kind",
        (c) => {
            c.nodes[4].kind = "cloud";
        },
        /^nodes\[4\]\.kind: string "cloud" is not one of "dedicated", "hcloud"/,
    ],
    [
        "roles empty",
        (c) => {
            c.nodes[3].roles = [];
        },
        "nodes[3].roles: must list at least 1",
    ],
    [
        "unknown role",
        (c) => {
            c.nodes[3].roles = ["master"];
        },
        /^nodes\[3\]\.roles\[0\]: string "master" is not one of/,
    ],
    [
        "role listed twice",
        (c) => {
            c.nodes[3].roles = ["worker", "worker"];
        },
        "nodes[3].roles: lists a role twice",
    ],
    [
        "dedicated without gua",
        (c) => {
            delete c.nodes[0].gua;
        },
        "nodes[0].gua: is required",
    ],
    [
        "dedicated with an hcloud key",
        (c) => {
            c.nodes[0].serverType = "cx33";
        },
        "nodes[0].serverType: unknown key (only for kind hcloud, this node is kind dedicated)",
    ],
    [
        "hcloud with a gua",
        (c) => {
            c.nodes[4].gua = "2001:db8::/64";
        },
        "nodes[4].gua: unknown key (only for kind dedicated, this node is kind hcloud)",
    ],
    [
        "hcloud without serverType",
        (c) => {
            delete c.nodes[4].serverType;
        },
        "nodes[4].serverType: is required",
    ],
    [
        "hcloud unknown location",
        (c) => {
            c.nodes[4].location = "mars1";
        },
        /^nodes\[4\]\.location: string "mars1" is not one of "fsn1"/,
    ],
    [
        "hcloud ipv4 as an address",
        (c) => {
            c.nodes[4].ipv4 = "203.0.113.9";
        },
        /^nodes\[4\]\.ipv4: expected boolean, got string/,
    ],
    [
        "misspelt node key",
        (c) => {
            c.nodes[3].gau = c.nodes[3].gua;
        },
        'nodes[3].gau: unknown key (did you mean "gua"?)',
    ],
    [
        "gua not a prefix",
        (c) => {
            c.nodes[1].gua = "2001:db8:a:2::";
        },
        /^nodes\[1\]\.gua: .* is not an IPv6 prefix/,
    ],
    [
        "gua longer than /80",
        (c) => {
            c.nodes[1].gua = "2001:db8:a:2::/96";
        },
        "nodes[1].gua: must be /80 or shorter, got /96",
    ],
    [
        "gua is a ULA",
        (c) => {
            c.nodes[1].gua = "fd00:1::/64";
        },
        /^nodes\[1\]\.gua: fd00:1::\/64 is not a global unicast prefix/,
    ],
    [
        "gua with host bits",
        (c) => {
            c.nodes[1].gua = "2001:db8:a:2::5/64";
        },
        /^nodes\[1\]\.gua: .*host bits set/,
    ],
    [
        "duplicate gua",
        (c) => {
            c.nodes[2].gua = "2001:db8:a:1::/64";
        },
        'nodes[2].gua: 2001:db8:a:1::/64 is already used by node "cp1"',
    ],
    [
        "overlapping gua",
        (c) => {
            c.nodes[3].gua = "2001:db8:a::/48";
        },
        'nodes[3].gua: 2001:db8:a::/48 overlaps 2001:db8:a:1::/64 of node "cp1"',
    ],
    [
        "ipv4 not an address",
        (c) => {
            c.nodes[1].ipv4 = "203.0.113";
        },
        /^nodes\[1\]\.ipv4: "203\.0\.113" is not a dotted-quad/,
    ],
    [
        "ipv4 private",
        (c) => {
            c.nodes[1].ipv4 = "192.168.1.4";
        },
        "nodes[1].ipv4: 192.168.1.4 is a private address, not a public one",
    ],
    [
        "ipv4 loopback",
        (c) => {
            c.nodes[1].ipv4 = "127.0.0.1";
        },
        "nodes[1].ipv4: 127.0.0.1 is a loopback address, not a public one",
    ],
    [
        "duplicate ipv4",
        (c) => {
            c.nodes[2].ipv4 = "203.0.113.10";
        },
        'nodes[2].ipv4: 203.0.113.10 is already used by node "cp1"',
    ],
    [
        "hostKey not an SSH public key",
        (c) => {
            c.nodes[1].hostKey = "AAAAC3NzaC1lZDI1NTE5";
        },
        /^nodes\[1\]\.hostKey: must be an SSH public host key/,
    ],
    [
        "dedicated without hostKey",
        (c) => {
            delete c.nodes[1].hostKey;
        },
        /^nodes\[1\]\.hostKey: is required: the server's SSH public host key, which every connection to it pins; .*`ssh-keyscan -t ed25519 2001:db8:a:2::2`/,
    ],
    [
        "dedicated without hostKey, with a publicAddress",
        (c) => {
            c.nodes[3].publicAddress = "2001:db8:b:1::7";
            delete c.nodes[3].hostKey;
        },
        /^nodes\[3\]\.hostKey: is required: .*ssh-keyscan -t ed25519 2001:db8:b:1::7`/,
    ],
    [
        "hostKey as ssh-keyscan prints it",
        (c) => {
            c.nodes[1].hostKey = `2001:db8:a:2::2 ${fakeHostKey("cp2")}`;
        },
        /^nodes\[1\]\.hostKey: starts with "2001:db8:a:2::2": give only the key/,
    ],
    [
        "hostKey an RSA key",
        (c) => {
            c.nodes[1].hostKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7";
        },
        /^nodes\[1\]\.hostKey: is an RSA key: .*OpenSSH 8\.8\+ refuses/,
    ],
    [
        "hostKey cut short",
        (c) => {
            c.nodes[1].hostKey = fakeHostKey("cp2").slice(0, -8);
        },
        /^nodes\[1\]\.hostKey: its key part is not/,
    ],
    [
        "hostKey names another type than its key",
        (c) => {
            c.nodes[1].hostKey = fakeHostKey("cp2").replace("ssh-ed25519", "ecdsa-sha2-nistp256");
        },
        /^nodes\[1\]\.hostKey: its key part is not an ecdsa-sha2-nistp256 public key/,
    ],
    [
        "hostKey of an unknown type",
        (c) => {
            c.nodes[1].hostKey = "ssh-dss AAAAB3NzaC1kc3M=";
        },
        /^nodes\[1\]\.hostKey: key type "ssh-dss" is not one of ssh-ed25519, ecdsa-sha2-nistp256/,
    ],
    [
        "hostKey on an hcloud node",
        (c) => {
            c.nodes[4].hostKey = fakeHostKey("w2");
        },
        "nodes[4].hostKey: unknown key (only for kind dedicated, this node is kind hcloud)",
    ],
    [
        "publicAddress outside the gua",
        (c) => {
            c.nodes[1].publicAddress = "2001:db8:a:1::2";
        },
        /^nodes\[1\]\.publicAddress: 2001:db8:a:1::2 is outside the node's gua/,
    ],
    [
        "publicAddress inside the pod prefix",
        (c) => {
            c.nodes[1].publicAddress = "2001:db8:a:2:0:1:0:5";
        },
        /^nodes\[1\]\.publicAddress: .* is inside the node's pod prefix 2001:db8:a:2:0:1::\/96/,
    ],
    [
        "no control-plane node",
        (c) => {
            c.nodes = c.nodes.filter((n) => String(n.name).startsWith("w"));
        },
        "nodes: no node has the control-plane role",
    ],
    [
        "even control-plane count",
        (c) => {
            c.nodes[3].roles = ["control-plane", "worker"];
        },
        /^nodes: 4 control-plane nodes: etcd needs an odd number for a quorum/,
    ],
    [
        "no worker",
        (c) => {
            c.nodes = c.nodes.slice(0, 3);
        },
        /^nodes: no node has the worker role: .*set cluster\.scheduleOnControlPlane: true/,
    ],
    [
        "no worker, scheduleOnControlPlane false",
        (c) => {
            c.nodes = c.nodes.slice(0, 3);
            c.cluster.scheduleOnControlPlane = false;
        },
        /^nodes: no node has the worker role/,
    ],
    [
        "scheduleOnControlPlane not a boolean",
        (c) => {
            c.cluster.scheduleOnControlPlane = "yes";
        },
        /^cluster\.scheduleOnControlPlane: expected boolean, got string "yes"/,
    ],
    [
        "pki generation negative",
        (c) => {
            c.cluster.pki = { generation: -1 };
        },
        "cluster.pki.generation: -1 is below the minimum 0",
    ],
    [
        "pki unknown key",
        (c) => {
            c.cluster.pki = { validityHours: 10 };
        },
        /^cluster\.pki\.validityHours: unknown key/,
    ],
    [
        "certificate validity under a day",
        (c) => {
            c.cluster.pki = { certificateValidityHours: 1 };
        },
        "cluster.pki.certificateValidityHours: 1 is below the minimum 24",
    ],
    [
        "apiserverExtraNames with a URL",
        (c) => {
            c.cluster.apiserverExtraNames = ["https://api.example.org"];
        },
        /^cluster\.apiserverExtraNames\[0\]: must be a DNS name or an IP address/,
    ],
    [
        "adminPrefixes not a prefix",
        (c) => {
            c.cluster.adminPrefixes = ["2001:db8::1"];
        },
        /^cluster\.adminPrefixes\[0\]: "2001:db8::1" is not a prefix/,
    ],
    [
        "sshPrefixes not a prefix",
        (c) => {
            c.cluster.sshPrefixes = ["2001:db8:ad::/48", "198.51.100.7"];
        },
        /^cluster\.sshPrefixes\[1\]: "198\.51\.100\.7" is not a prefix/,
    ],
    [
        "sshPrefixes empty (the runner locked out)",
        (c) => {
            c.cluster.sshPrefixes = [];
        },
        /^cluster\.sshPrefixes: must list at least one prefix: the Pulumi runner reaches every host over SSH/,
    ],
    [
        "externalIPNamespaces not a DNS label",
        (c) => {
            c.cluster.externalIPNamespaces = ["web", "Tenant_A"];
        },
        /^cluster\.externalIPNamespaces\[1\]: .*must be a DNS label/,
    ],
    [
        "containerdVersion with a v",
        (c) => {
            c.cluster.containerdVersion = "v2.1.4";
        },
        /^cluster\.containerdVersion: must be a release like/,
    ],
    [
        "kubernetesVersion newer than the image table",
        (c) => {
            c.cluster.kubernetesVersion = "1.99.0";
        },
        /^cluster\.kubernetesVersion: 1\.99 is newer than this program knows/,
    ],
    [
        "a public NodePort outside the NodePort range",
        (c) => {
            c.cluster.kubeProxy = { publicNodePorts: [{ port: 8080 }] };
        },
        "cluster.kubeProxy.publicNodePorts[0].port: 8080 is below the minimum 30000",
    ],
    [
        "joinEtcd on a worker",
        (c) => {
            c.nodes[3].joinEtcd = true;
        },
        "nodes[3].joinEtcd: only a control-plane node runs etcd",
    ],
    [
        "joinEtcd on every control-plane node",
        (c) => {
            for (const n of c.nodes.slice(0, 3)) n.joinEtcd = true;
        },
        "nodes: every control-plane node has joinEtcd: there is no etcd cluster to join",
    ],
    [
        "the last control-plane node leaving",
        (c) => {
            c.nodes = [c.nodes[0], c.nodes[3]];
            c.nodes[0].leaving = true;
        },
        "nodes: no control-plane node would stay: the last one cannot leave",
    ],
    [
        "a control-plane node leaving, two stay (even)",
        (c) => {
            c.nodes[2].leaving = true;
        },
        /^nodes: 2 control-plane nodes: etcd needs an odd number for a quorum/,
    ],
    [
        "two control-plane nodes leaving at once",
        (c) => {
            c.nodes[1].leaving = true;
            c.nodes[2].leaving = true;
        },
        "nodes[2].leaving: only one control-plane node may leave per run (etcd changes one member at a time)",
    ],
    [
        "leaving not a boolean",
        (c) => {
            c.nodes[3].leaving = "yes";
        },
        /^nodes\[3\]\.leaving: /,
    ],
    [
        "a public service on a leaving host",
        (c) => {
            c.nodes[3].leaving = true;
            c.services = [{ name: "web", namespace: "web", hosts: [c.nodes[3].name], ports: [{ port: 80 }] }];
        },
        /^services\[0\]\.hosts\[0\]: ".*" is leaving the cluster: its kube-proxy stops in this run$/,
    ],
    [
        "node not a map",
        (c) => {
            (c.nodes as unknown[])[1] = "cp2";
        },
        /^nodes\[1\]: /,
    ],
    // Cluster services (issue 6).
    [
        "nat64Pool not an IPv4 prefix",
        (c) => {
            c.cluster.nat64Pool = { ipv4Address: "198.51.100.1", dynamicPool: "2001:db8::/120" };
        },
        /^cluster\.nat64Pool\.dynamicPool: "2001:db8::\/120" is not an IPv4 prefix of \/30 or shorter/,
    ],
    [
        "nat64Pool smaller than a /30",
        (c) => {
            c.cluster.nat64Pool = { ipv4Address: "198.51.100.1", dynamicPool: "198.51.100.0/31" };
        },
        /^cluster\.nat64Pool\.dynamicPool: .* is not an IPv4 prefix of \/30 or shorter/,
    ],
    [
        "nat64Pool with host bits",
        (c) => {
            c.cluster.nat64Pool = { ipv4Address: "198.51.100.1", dynamicPool: "198.51.100.7/24" };
        },
        /^cluster\.nat64Pool\.dynamicPool: "198\.51\.100\.7\/24" is not an IPv4 prefix/,
    ],
    [
        "nat64Pool address outside the pool",
        (c) => {
            c.cluster.nat64Pool = { ipv4Address: "203.0.113.1", dynamicPool: "198.51.100.0/24" };
        },
        "cluster.nat64Pool.ipv4Address: 203.0.113.1 is outside the dynamic pool 198.51.100.0/24",
    ],
    [
        "nat64Pool address not IPv4",
        (c) => {
            c.cluster.nat64Pool = { ipv4Address: "2001:db8::1", dynamicPool: "198.51.100.0/24" };
        },
        "cluster.nat64Pool.ipv4Address: must be a dotted-quad IPv4 address",
    ],
    [
        "upstreamDns with an IPv4 resolver",
        (c) => {
            c.cluster.upstreamDns = ["203.0.113.53"];
        },
        /^cluster\.upstreamDns\[0\]: 203\.0\.113\.53 is an IPv4 address/,
    ],
    [
        "upstreamDns not an address",
        (c) => {
            c.cluster.upstreamDns = ["dns.example"];
        },
        'cluster.upstreamDns[0]: "dns.example" is not an IPv6 address',
    ],
    [
        "upstreamDns empty",
        (c) => {
            c.cluster.upstreamDns = [];
        },
        "cluster.upstreamDns: must list at least 1",
    ],
    [
        "upstreamDns longer than glibc reads",
        (c) => {
            c.cluster.upstreamDns = ["2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4"];
        },
        /^cluster\.upstreamDns: lists 4 resolvers, at most 3/,
    ],
    [
        "dns64Gateway names no node",
        (c) => {
            c.cluster.dns64Gateway = "gw9";
        },
        'cluster.dns64Gateway: no node is named "gw9"',
    ],
    [
        "dns64Gateway without IPv4",
        (c) => {
            c.cluster.dns64Gateway = "cp2";
        },
        'cluster.dns64Gateway: node "cp2" has no IPv4 address, so it runs no NAT64 gateway',
    ],
    [
        "coredns replicas 0",
        (c) => {
            c.cluster.coredns = { replicas: 0 };
        },
        "cluster.coredns.replicas: 0 is below the minimum 1",
    ],
    [
        "coredns unknown spread",
        (c) => {
            c.cluster.coredns = { spread: "always" };
        },
        /^cluster\.coredns\.spread: string "always" is not one of "required", "preferred"/,
    ],
    [
        "coredns misspelt key",
        (c) => {
            c.cluster.coredns = { replica: 3 };
        },
        'cluster.coredns.replica: unknown key (did you mean "replicas"?)',
    ],
    [
        "kubernetesProviderServer not https",
        (c) => {
            c.cluster.kubernetesProviderServer = "http://127.0.0.1:8080";
        },
        'cluster.kubernetesProviderServer: "http://127.0.0.1:8080" is not an https://host:port URL',
    ],
    [
        "ipv4Ports on a node without IPv4",
        (c) => {
            c.nodes[3].ipv4Ports = [{ port: 25 }];
        },
        'nodes[3].ipv4Ports: node "w1" has no IPv4 address to receive them on',
    ],
    [
        "ipv4Ports with SSH",
        (c) => {
            c.nodes[0].ipv4Ports = [{ port: 22 }];
        },
        "nodes[0].ipv4Ports[0]: TCP 22 is SSH on every host",
    ],
    [
        "ipv4Ports listed twice",
        (c) => {
            c.nodes[0].ipv4Ports = [{ port: 25 }, { port: 25, protocol: "TCP" }];
        },
        "nodes[0].ipv4Ports[1]: TCP 25 is listed twice",
    ],
    [
        "ipv4Ports protocol in lower case",
        (c) => {
            c.nodes[0].ipv4Ports = [{ port: 25, protocol: "tcp" }];
        },
        /^nodes\[0\]\.ipv4Ports\[0\]\.protocol: string "tcp" is not one of "TCP", "UDP"/,
    ],
    [
        "ipv4Ports misspelt key",
        (c) => {
            c.nodes[0].ipv4Ports = [{ prot: 25 }];
        },
        'nodes[0].ipv4Ports[0].prot: unknown key (did you mean "port"?)',
    ],
    [
        "services not a list",
        (c) => {
            c.services = { web: {} };
        },
        "services: must be a list of services",
    ],
    [
        "service name not a DNS-1035 label",
        (c) => {
            c.services = [svc({ name: "1web" })];
        },
        /^services\[0\]\.name: must be a DNS-1035 label/,
    ],
    [
        "dns zone not a lower-case DNS zone",
        (c) => {
            c.cluster.dns = { zone: "Example.org." };
        },
        /^cluster\.dns\.zone: must be a lower-case DNS zone like example\.org/,
    ],
    [
        "dns misspelt key",
        (c) => {
            c.cluster.dns = { zone: "example.org", managezone: true };
        },
        /^cluster\.dns\.managezone: unknown key \(did you mean "manageZone"\?\)/,
    ],
    [
        "dns ttl below a minute",
        (c) => {
            c.cluster.dns = { zone: "example.org", ttl: 5 };
        },
        /^cluster\.dns\.ttl: /,
    ],
    [
        "a service's dnsName outside cluster.dns.zone",
        (c) => {
            c.cluster.dns = { zone: "example.org" };
            c.services = [svc({ dnsName: "hello.example.net" })];
        },
        'services[0].dnsName: "hello.example.net" is not in cluster.dns.zone "example.org"',
    ],
    [
        "a service's dnsName is a node's own name in the zone",
        (c) => {
            c.cluster.dns = { zone: "example.org" };
            c.services = [svc({ dnsName: "W1.example.org" })];
        },
        `services[0].dnsName: "W1.example.org" is already published as node w1's own name`,
    ],
    [
        "two services publish one dnsName",
        (c) => {
            c.cluster.dns = { zone: "example.org" };
            c.services = [svc({ dnsName: "www.example.org" }), svc({ name: "other", dnsName: "www.example.org." })];
        },
        'services[1].dnsName: "www.example.org." is already published as services[0].dnsName',
    ],
    [
        "service misspelt key",
        (c) => {
            c.services = [{ ...svc(), host: ["w1"] }];
        },
        'services[0].host: unknown key (did you mean "hosts"?)',
    ],
    [
        "service without hosts",
        (c) => {
            c.services = [svc({ hosts: [] })];
        },
        "services[0].hosts: must list at least 1",
    ],
    [
        "service on an unknown host",
        (c) => {
            c.services = [svc({ hosts: ["w1", "w9"] })];
        },
        'services[0].hosts[1]: no node is named "w9"',
    ],
    [
        "service host listed twice",
        (c) => {
            c.services = [svc({ hosts: ["w1", "w1"] })];
        },
        'services[0].hosts[1]: "w1" is listed twice',
    ],
    [
        "service without ports",
        (c) => {
            c.services = [svc({ ports: [] })];
        },
        "services[0].ports: must list at least 1",
    ],
    [
        "service port is the apiserver's",
        (c) => {
            c.services = [svc({ ports: [{ port: 6443 }] })];
        },
        "services[0].ports[0]: TCP 6443 is the apiserver on every host",
    ],
    [
        "service port is the kubelet's (the externalIPs policy refuses it too)",
        (c) => {
            c.services = [svc({ ports: [{ port: 10250 }] })];
        },
        "services[0].ports[0]: TCP 10250 is the kubelet on every host",
    ],
    [
        "ipv4Ports with etcd's client port",
        (c) => {
            c.nodes[0].ipv4Ports = [{ port: 2379 }];
        },
        "nodes[0].ipv4Ports[0]: TCP 2379 is etcd's client port on every control-plane host",
    ],
    [
        "service port is WireGuard's",
        (c) => {
            c.services = [svc({ ports: [{ port: 51820, protocol: "UDP" }] })];
        },
        "services[0].ports[0]: UDP 51820 is the WireGuard mesh on every host",
    ],
    [
        "service port listed twice",
        (c) => {
            c.services = [svc({ ports: [{ port: 80 }, { port: 80, targetPort: 8080 }] })];
        },
        "services[0].ports[1]: TCP 80 is listed twice",
    ],
    [
        "service port misspelt key",
        (c) => {
            c.services = [svc({ ports: [{ port: 80, targetport: 8080 }] })];
        },
        'services[0].ports[0].targetport: unknown key (did you mean "targetPort"?)',
    ],
    [
        "two services on one host's port",
        (c) => {
            c.services = [svc(), svc({ name: "api", hosts: ["w2", "w1"] })];
        },
        'services[1].ports[0]: TCP 80 on host "w1" is already taken by service default/web',
    ],
    [
        "service on a port the node forwards for itself",
        (c) => {
            c.nodes[0].ipv4Ports = [{ port: 80 }];
            c.services = [svc({ hosts: ["cp1"] })];
        },
        'services[0].ports[0]: TCP 80 on host "cp1" is already taken by nodes cp1.ipv4Ports',
    ],
    [
        "service declared twice",
        (c) => {
            c.services = [svc(), svc({ hosts: ["w2"] })];
        },
        "services[1].name: default/web is already declared by services[0]",
    ],
    [
        "service dnsName not a name",
        (c) => {
            c.services = [svc({ dnsName: "https://web.example.org" })];
        },
        /^services\[0\]\.dnsName: must be a DNS name/,
    ],
    [
        "service workload image with a space",
        (c) => {
            c.services = [svc({ workload: { image: "nginx latest" } })];
        },
        /^services\[0\]\.workload\.image: must be an image reference/,
    ],
    [
        "kubelet reservation not a quantity",
        (c) => {
            c.cluster.kubelet = { systemReserved: { cpu: "lots" } };
        },
        /^cluster\.kubelet\.systemReserved\.cpu: must be a quantity like 100m, 2 or 256Mi/,
    ],
    [
        "kubelet eviction signal unknown",
        (c) => {
            c.nodes[0].kubelet = { evictionHard: { "memory.free": "1Gi" } };
        },
        /^nodes\[0\]\.kubelet\.evictionHard\.memory\.free: unknown key/,
    ],
    [
        "kubelet eviction threshold neither quantity nor percentage",
        (c) => {
            c.cluster.kubelet = { evictionHard: { "nodefs.available": "ten percent" } };
        },
        /^cluster\.kubelet\.evictionHard\.nodefs\.available: must be a quantity like 200Mi or a percentage like 10%/,
    ],
    [
        "kubelet critical-pod shutdown grace above the whole grace (cluster)",
        (c) => {
            c.cluster.kubelet = { shutdownGracePeriodSeconds: 5, shutdownGracePeriodCriticalPodsSeconds: 10 };
        },
        "cluster.kubelet: shutdownGracePeriodCriticalPodsSeconds: 10 exceeds shutdownGracePeriodSeconds 5",
    ],
    [
        "kubelet critical-pod shutdown grace above the cluster's whole grace (a node's block)",
        (c) => {
            c.cluster.kubelet = { shutdownGracePeriodSeconds: 20 };
            c.nodes[1].kubelet = { shutdownGracePeriodCriticalPodsSeconds: 25 };
        },
        "nodes[1].kubelet: shutdownGracePeriodCriticalPodsSeconds: 25 exceeds shutdownGracePeriodSeconds 20",
    ],
];

/** A valid public service to break. */
function svc(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { name: "web", hosts: ["w1"], ports: [{ port: 80 }], ...extra };
}

describe("config validation: each bad config names the key at fault", () => {
    it("accepts the base config", () => {
        assert.deepEqual(problemsOf(baseConfig()), []);
    });

    for (const [title, mutate, expected] of cases) {
        it(title, () => {
            const raw = baseConfig();
            mutate(raw);
            const problems = problemsOf(raw);
            const hit = problems.some((p) => (typeof expected === "string" ? p === expected : expected.test(p)));
            assert.ok(hit, `expected a line matching ${String(expected)}, got:\n${problems.join("\n")}`);
        });
    }

    it("has at least 25 distinct bad-config cases", () => {
        assert.ok(new Set(cases.map((c) => c[0])).size >= 25);
    });

    it("reports every problem at once, one line each", () => {
        const raw = baseConfig();
        raw.cluster.ulaPrefix = "fd00::/48";
        raw.nodes[1].index = 1;
        raw.nodes[3].gau = "x";
        const problems = problemsOf(raw);
        assert.deepEqual(problems, [
            "cluster.ulaPrefix: must be exactly a /64, got /48",
            'nodes[3].gau: unknown key (did you mean "gua"?)',
            'nodes[1].index: 1 is already used by node "cp1"',
        ]);
        assert.ok(problems.every((p) => !p.includes("\n")));
    });
});

describe("config validation: what a valid config becomes", () => {
    it("sorts nodes by index whatever the order in the file", () => {
        const raw = baseConfig();
        raw.nodes.reverse();
        assert.deepEqual(
            validateStackConfig(raw).nodes.map((n) => n.index),
            [1, 2, 3, 11, 12],
        );
    });

    it("defaults dnsServiceAddress to <cluster>::a and a dedicated publicAddress to <gua>::2", () => {
        const cfg = validateStackConfig(baseConfig());
        assert.equal(formatV6(cfg.cluster.dnsServiceAddress), "fd8a:31c2:7c1f:1::a");
        const cp1 = cfg.nodes[0];
        assert.ok(cp1.kind === "dedicated");
        assert.equal(formatV6(cp1.publicAddress), "2001:db8:a:1::2");
    });

    it("keeps an explicit dnsServiceAddress and publicAddress", () => {
        const raw = baseConfig();
        raw.cluster.dnsServiceAddress = "fd8a:31c2:7c1f:1::53";
        raw.nodes[1].publicAddress = "2001:db8:a:2::1";
        const cfg = validateStackConfig(raw);
        assert.equal(formatV6(cfg.cluster.dnsServiceAddress), "fd8a:31c2:7c1f:1::53");
        const cp2 = cfg.nodes[1];
        assert.ok(cp2.kind === "dedicated" && formatV6(cp2.publicAddress) === "2001:db8:a:2::1");
    });

    it("keeps a host key as `<type> <base64>` (the comment dropped); ECDSA keys are accepted", () => {
        const raw = baseConfig();
        raw.nodes[1].hostKey = `  ${fakeHostKey("cp2")} root@cp2 \n`;
        const ecdsa = sshpk
            .parseKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }), "pem")
            .toString("ssh");
        raw.nodes[2].hostKey = ecdsa;
        const cfg = validateStackConfig(raw);
        const hostKeyOf = (name: string) => {
            const n = cfg.nodes.find((x) => x.name === name);
            return n?.kind === "dedicated" ? n.hostKey : undefined;
        };
        assert.equal(hostKeyOf("cp2"), fakeHostKey("cp2"));
        assert.match(ecdsa, /^ecdsa-sha2-nistp256 /);
        assert.equal(hostKeyOf("cp3"), ecdsa.split(" ").slice(0, 2).join(" "));
    });

    it("defaults hcloud ipv4 to false and accepts true", () => {
        const raw = baseConfig();
        raw.nodes.push(hcloud("w3", 13, ["worker"], { ipv4: true }));
        const cfg = validateStackConfig(raw);
        const w2 = cfg.nodes.find((n) => n.name === "w2");
        const w3 = cfg.nodes.find((n) => n.name === "w3");
        assert.ok(w2?.kind === "hcloud" && w2.ipv4 === false);
        assert.ok(w3?.kind === "hcloud" && w3.ipv4 === true);
    });

    it("allows an even control-plane count only while a member joins (growing 1 -> 2 -> 3)", () => {
        const raw = baseConfig();
        raw.nodes = [
            dedicated("cp1", 1, ["control-plane", "worker"], "2001:db8::/64"),
            dedicated("cp2", 2, ["control-plane"], "2001:db8:0:1::/64", { joinEtcd: true }),
        ];
        assert.equal(validateStackConfig(raw).nodes.length, 2);
        delete raw.nodes[1].joinEtcd;
        assert.throws(() => validateStackConfig(raw), /2 control-plane nodes: etcd needs an odd number/);
    });

    it("allows a single node that is both control plane and worker", () => {
        const raw = baseConfig();
        raw.nodes = [dedicated("solo", 1, ["control-plane", "worker"], "2001:db8::/64")];
        assert.equal(validateStackConfig(raw).nodes.length, 1);
    });

    it("allows control-plane-only nodes without a worker only with cluster.scheduleOnControlPlane: true (default false)", () => {
        const raw = baseConfig();
        raw.nodes = raw.nodes.filter((n) => (n.roles as string[]).includes("control-plane"));
        assert.throws(() => validateStackConfig(raw), /nodes: no node has the worker role/);
        raw.cluster.scheduleOnControlPlane = true;
        const cfg = validateStackConfig(raw);
        assert.equal(cfg.cluster.scheduleOnControlPlane, true);
        assert.ok(cfg.nodes.every((n) => !n.roles.includes("worker")));
        // Reported alongside other cluster problems, not instead of them.
        delete raw.cluster.ulaPrefix;
        assert.deepEqual(problemsOf(raw), ["cluster.ulaPrefix: is required"]);
        assert.equal(validateStackConfig(baseConfig()).cluster.scheduleOnControlPlane, false);
    });

    it("defaults the cluster-service keys: Hetzner's resolvers, 2 CoreDNS replicas spread strictly, Tayga's own pool, no services", () => {
        const cfg = validateStackConfig(baseConfig());
        assert.deepEqual(cfg.cluster.upstreamDns, ["2a01:4ff:ff00::add:1", "2a01:4ff:ff00::add:2"]);
        assert.deepEqual(cfg.cluster.nat64Pool, { ipv4Address: "192.168.255.1", dynamicPool: "192.168.255.0/24" });
        assert.deepEqual(cfg.cluster.coredns, { replicas: 2, spread: "required" });
        assert.equal(cfg.cluster.dns64Gateway, undefined);
        assert.equal(cfg.cluster.kubernetesProviderServer, undefined);
        assert.deepEqual(cfg.services, []);
        assert.deepEqual(cfg.nodes[0].ipv4Ports, []);
    });

    it("normalises resolver addresses and fills service defaults", () => {
        const raw = baseConfig();
        raw.cluster.upstreamDns = ["2001:DB8:0:0::53"];
        raw.services = [
            svc({ ports: [{ port: 53, protocol: "UDP" }], workload: { image: "registry.k8s.io/e2e-test-images/agnhost:2.53" } }),
        ];
        const cfg = validateStackConfig(raw);
        assert.deepEqual(cfg.cluster.upstreamDns, ["2001:db8::53"]);
        assert.deepEqual(cfg.services[0], {
            name: "web",
            namespace: "default",
            hosts: ["w1"],
            ports: [{ port: 53, protocol: "UDP" }],
            workload: { image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: [], replicas: 1 },
        });
    });

    it("asks for the hcloud token only when there are hcloud nodes, for the encryption key always", () => {
        assert.deepEqual(requiredSecrets(validateStackConfig(baseConfig())), ["sshPrivateKey", "hcloudToken", "encryptionKey"]);
        const raw = baseConfig();
        raw.nodes = raw.nodes.filter((n) => n.kind === "dedicated");
        assert.deepEqual(requiredSecrets(validateStackConfig(raw)), ["sshPrivateKey", "encryptionKey"]);
        // Hetzner DNS is the same API and token.
        raw.cluster.dns = { zone: "example.org" };
        assert.deepEqual(requiredSecrets(validateStackConfig(raw)), ["sshPrivateKey", "hcloudToken", "encryptionKey"]);
    });

    it("encryptionKey: base64 of exactly 32 bytes, or several comma-separated for a rotation; problems never echo the value", () => {
        const key = (fill: string, n = 32) => Buffer.alloc(n, fill).toString("base64");
        assert.deepEqual(secretValueProblems({}), []);
        assert.deepEqual(secretValueProblems({ encryptionKey: key("a") }), []);
        assert.deepEqual(parseEncryptionKeys(`${key("a")}, ${key("b")}`), { keys: [key("a"), key("b")] });
        const bad: [string, RegExp][] = [
            [key("a", 16), /^encryptionKey: the key is 16 bytes, secretbox needs exactly 32/],
            ["not base64!", /^encryptionKey: the key is not base64 \(make one with: head -c 32 \/dev\/urandom \| base64\)$/],
            [`${key("a")},${key("b", 31)}`, /^encryptionKey: key 2 is 31 bytes/],
            [`${key("a")},${key("a")}`, /^encryptionKey: lists a key twice$/],
            ["", /^encryptionKey: the key is not base64/],
        ];
        for (const [value, expected] of bad) {
            const lines = secretValueProblems({ encryptionKey: value });
            assert.equal(lines.length, 1, value);
            assert.match(lines[0], expected);
            if (value.length > 8) assert.ok(!lines[0].includes(value.split(",")[0]), "the value is not echoed");
        }
    });
});
