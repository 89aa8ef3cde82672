// hcloud servers, IPv6-only unless a node asks for IPv4. No data sources: preview must work
// without the hcloud API. Their /64 flows into the rest of the program as an Output.
import { sha256 } from "../common/hash";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { HcloudNodeConfig } from "../config/types";
import type { NodePlan } from "../network/plan";
import { hostKeyUserData } from "./render/cloudInit";
import { Host, sshConnection } from "./host";
import { publicKeyOf } from "./sshPublicKey";
import { SSH_PORT, WIREGUARD_PORT } from "../common/ports";

export interface HcloudHostsArgs {
    /** hcloud nodes from the config, with their address plans. */
    readonly nodes: readonly { config: HcloudNodeConfig; plan: NodePlan }[];
    /** API token (secret). */
    readonly token: pulumi.Input<string>;
    /** The stack's SSH private key (secret); its public key is installed on every server. */
    readonly sshPrivateKey: pulumi.Output<string>;
    /** Labels put on every hcloud resource; default `{ "v6k8s-stack": <stack> }`. */
    readonly labels?: Record<string, string>;
    /** Sources allowed to the apiserver port; none = the port stays closed. */
    readonly adminPrefixes?: readonly string[];
    /** cluster.sshPrefixes: who may open SSH (the hcloud firewall); default everyone. */
    readonly sshPrefixes?: readonly string[];
    /** The apiserver's public port (6443). */
    readonly apiserverPort?: number;
    /** Ports open to everyone (public services on hcloud hosts, IPv4 ports); default none. */
    readonly publicPorts?: readonly { port: number; protocol: "TCP" | "UDP" }[];
    /** What must be done before any server is created (the removal check). */
    readonly after?: readonly pulumi.Resource[];
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** `<stack>-v6k8s-<8 hex of the key's sha256>`: unique per key, stable while the key is. */
export function sshKeyName(stack: string, publicKey: string): string {
    return `${stack}-v6k8s-${sha256(publicKey.trim()).slice(0, 8)}`;
}

/** The cloud firewall mirrors the host firewall's public part: SSH, WireGuard, ICMP. */
const FIREWALL_RULES: hcloud.types.input.FirewallRule[] = [
    { direction: "in", protocol: "udp", port: String(WIREGUARD_PORT), sourceIps: ANYWHERE, description: "wireguard mesh" },
    { direction: "in", protocol: "icmp", sourceIps: ANYWHERE, description: "icmp, icmpv6 (PMTU, NDP)" },
];

export class HcloudHosts extends pulumi.ComponentResource {
    /** One Host per server, in `nodes` order: addresses known after creation, SSH connection (its key a secret) pinned to the host key. */
    public readonly hosts: Host[];

    constructor(name: string, args: HcloudHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        // Not `args`: a component's inputs are kept in state, and these hold the API token and SSH key.
        super("v6k8s:hosts:HcloudHosts", name, {}, opts);
        const labels = args.labels ?? { "v6k8s-stack": pulumi.getStack() };
        const provider = new hcloud.Provider(`${name}-provider`, { token: args.token }, { parent: this });
        const child = { parent: this, provider };

        const publicKey = pulumi.unsecret(args.sshPrivateKey.apply(publicKeyOf));
        // A new key (rotation) replaces this resource, and hcloud refuses a second key of the same
        // name: the name carries the key's fingerprint, so the new key is created beside the old one.
        const sshKey = new hcloud.SshKey(
            `${name}-ssh`,
            {
                name: publicKey.apply((k) => sshKeyName(pulumi.getStack(), k)),
                publicKey,
                labels,
            },
            child,
        );
        const admins = args.adminPrefixes ?? [];
        const hasControlPlane = args.nodes.some((n) => n.config.roles.includes("control-plane"));
        // One firewall covers every hcloud server: open the apiserver port only if one of them serves it.
        const apiserverRule: hcloud.types.input.FirewallRule[] =
            admins.length === 0 || !hasControlPlane
                ? []
                : [
                      {
                          direction: "in",
                          protocol: "tcp",
                          port: String(args.apiserverPort ?? 6443),
                          sourceIps: [...admins],
                          description: "apiserver for admins",
                      },
                  ];
        const publicRules: hcloud.types.input.FirewallRule[] = (args.publicPorts ?? []).map((p) => ({
            direction: "in",
            protocol: p.protocol === "TCP" ? "tcp" : "udp",
            port: String(p.port),
            sourceIps: ANYWHERE,
            description: "public service",
        }));
        const firewall = new hcloud.Firewall(
            `${name}-firewall`,
            {
                name: `${pulumi.getStack()}-v6k8s`,
                rules: [
                    // cluster.sshPrefixes (the runner among them): every step runs over SSH.
                    {
                        direction: "in",
                        protocol: "tcp",
                        port: String(SSH_PORT),
                        sourceIps: [...(args.sshPrefixes ?? ANYWHERE)],
                        description: "ssh",
                    },
                    ...FIREWALL_RULES,
                    ...apiserverRule,
                    ...publicRules,
                ],
                labels,
            },
            child,
        );
        // Spread: no two control-plane servers on the same physical host.
        const spread = hasControlPlane
            ? new hcloud.PlacementGroup(
                  `${name}-control-plane`,
                  { name: `${pulumi.getStack()}-control-plane`, type: "spread", labels },
                  child,
              )
            : undefined;

        // Each server's SSH host key, made here so its public half is known before the server
        // exists and every connection can pin it. The key is its own resource: it stays the same
        // across updates and server replacements (a replaced server gets it again), and only a
        // `--replace` of the key itself makes a new one (which then replaces the server).
        const hostKeys = args.nodes.map(
            ({ config: node }) => new tls.PrivateKey(`${name}-${node.name}-host-key`, { algorithm: "ED25519" }, { parent: this }),
        );
        const publicHostKeys = hostKeys.map((k) => k.publicKeyOpenssh.apply((p) => p.trim()));

        const servers = args.nodes.map(
            ({ config: node }, i) =>
                new hcloud.Server(
                    `${name}-${node.name}`,
                    {
                        name: node.name,
                        serverType: node.serverType,
                        location: node.location,
                        image: node.image,
                        sshKeys: [sshKey.id],
                        firewallIds: [firewall.id.apply(Number)],
                        placementGroupId: node.roles.includes("control-plane") && spread ? spread.id.apply(Number) : undefined,
                        // IPv6-only unless asked: a primary IPv4 costs money and is only needed for NAT64.
                        publicNets: [{ ipv4Enabled: node.ipv4, ipv6Enabled: true }],
                        labels: { ...labels, "v6k8s-node": node.name },
                        // The host key's private half, for cloud-init: a secret in state and in the plan (the
                        // output too). It is made of the key alone, so no other change alters it; hcloud
                        // replaces a server whose user data changes.
                        userData: pulumi.secret(
                            pulumi
                                .all([hostKeys[i].privateKeyOpenssh, publicHostKeys[i]])
                                .apply(([privateKey, publicKey]) => hostKeyUserData({ privateKey, publicKey })),
                        ),
                        // sshKeys only matter at creation; rotating the key must not replace servers.
                        // The server's name is the node's hostname, which hcloud allows only once: a replaced
                        // server (new image or location) must be gone before its successor is created.
                    },
                    {
                        ...child,
                        dependsOn: [...(args.after ?? [])],
                        ignoreChanges: ["sshKeys"],
                        deleteBeforeReplace: true,
                        additionalSecretOutputs: ["userData"],
                    },
                ),
        );

        this.hosts = args.nodes.map(({ config, plan }, i) => {
            const server = servers[i];
            return {
                name: config.name,
                config,
                plan,
                providerGua: server.ipv6Network,
                publicAddress: server.ipv6Address,
                ipv4: config.ipv4 ? server.ipv4Address : pulumi.output(undefined),
                connection: sshConnection(server.ipv6Address, args.sshPrivateKey, publicHostKeys[i]),
                hostKey: publicHostKeys[i],
                ready: [server],
                // The server id, not the host key: a replaced server gets the same key (see above).
                identity: server.id.apply((id) => `hcloud server ${id}`),
                hcloudServerId: server.id.apply(Number),
            };
        });
        // By name and address only: a Host's connection holds the SSH private key.
        this.registerOutputs({ hosts: this.hosts.map((h) => ({ name: h.name, publicAddress: h.publicAddress })) });
    }
}
