// Builds the Host of every configured node, creating hcloud servers where the config asks for them.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/types";
import type { AddressPlan } from "../network/plan";
import { dedicatedHost } from "./dedicated";
import { HcloudHosts } from "./hcloud";
import type { Host } from "./host";

export interface HostSecrets {
    readonly sshPrivateKey: pulumi.Output<string>;
    /** Required when any node is kind hcloud. */
    readonly hcloudToken?: pulumi.Output<string>;
}

export interface HostOptions {
    /** The apiservers' public port, opened to `cluster.adminPrefixes`. */
    readonly apiserverPort: number;
    /** Ports the hcloud firewall opens to everyone (public services, IPv4 ports on hcloud hosts); default none. */
    readonly hcloudPublicPorts?: readonly { port: number; protocol: "TCP" | "UDP" }[];
}

/** Hosts in config (index) order. */
export function createHosts(config: StackConfig, plan: AddressPlan, secrets: HostSecrets, opts: HostOptions): Host[] {
    const planned = config.nodes.map((node, i) => ({ node, plan: plan.nodes[i] }));
    const hcloudNodes = planned.flatMap(({ node, plan }) => (node.kind === "hcloud" ? [{ config: node, plan }] : []));
    let cloud: Map<string, Host> = new Map();
    if (hcloudNodes.length > 0) {
        if (!secrets.hcloudToken) throw new Error("hcloudToken is required for hcloud nodes");
        const created = new HcloudHosts("hcloud", {
            nodes: hcloudNodes,
            token: secrets.hcloudToken,
            sshPrivateKey: secrets.sshPrivateKey,
            adminPrefixes: config.cluster.adminPrefixes,
            apiserverPort: opts.apiserverPort,
            publicPorts: opts.hcloudPublicPorts,
        });
        cloud = new Map(created.hosts.map((h) => [h.name, h]));
    }
    return planned.map(({ node, plan }) =>
        node.kind === "dedicated" ? dedicatedHost(node, plan, secrets.sshPrivateKey) : (cloud.get(node.name) as Host),
    );
}
