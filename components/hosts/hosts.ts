// Builds the Host of every configured node, creating hcloud servers where the config asks for them.
import * as pulumi from "@pulumi/pulumi";
import type { NodeConfig } from "../config/types";
import type { AddressPlan } from "../network/plan";
import { dedicatedHost } from "./dedicated";
import { HcloudHosts } from "./hcloud";
import type { Host } from "./host";
import { openToEveryone } from "./render/sources";

export interface HostSecrets {
    readonly sshPrivateKey: pulumi.Output<string>;
    /** Required when any node is kind hcloud. */
    readonly hcloudToken?: pulumi.Output<string>;
}

export interface HostOptions {
    /** The apiservers' public port, opened to `adminPrefixes`. */
    readonly apiserverPort: number;
    /** cluster.adminPrefixes: the sources the hcloud firewall lets reach `apiserverPort`; none keeps it closed. */
    readonly adminPrefixes: readonly string[];
    /** cluster.sshPrefixes: the sources the hcloud firewall lets open SSH (the host firewall renders its own). */
    readonly sshPrefixes: readonly string[];
    /** Ports the hcloud firewall opens to everyone (public services, IPv4 ports on hcloud hosts); default none. */
    readonly hcloudPublicPorts?: readonly { port: number; protocol: "TCP" | "UDP" }[];
    /** What must be done before any server is created or any step runs on a host (the removal check). */
    readonly after?: readonly pulumi.Resource[];
}

/** Hosts in config (index) order: `nodes` are the config's, `plan` is planStack's of the same config. */
export function createHosts(nodes: readonly NodeConfig[], plan: AddressPlan, secrets: HostSecrets, opts: HostOptions): Host[] {
    const everyone = openToEveryone(opts.sshPrefixes);
    if (everyone.length > 0) {
        void pulumi.log.warn(
            `cluster.sshPrefixes opens SSH on every host to the whole ${everyone.join(" and ")} internet (host firewall and ` +
                "hcloud firewall). List the Pulumi runner's and the admins' prefixes instead to close it.",
        );
    }
    const planned = nodes.map((node, i) => ({ node, plan: plan.nodes[i] }));
    const hcloudNodes = planned.flatMap(({ node, plan }) => (node.kind === "hcloud" ? [{ config: node, plan }] : []));
    let cloud: Map<string, Host> = new Map();
    if (hcloudNodes.length > 0) {
        if (!secrets.hcloudToken) throw new Error("hcloudToken is required for hcloud nodes");
        const created = new HcloudHosts("hcloud", {
            nodes: hcloudNodes,
            token: secrets.hcloudToken,
            sshPrivateKey: secrets.sshPrivateKey,
            adminPrefixes: opts.adminPrefixes,
            sshPrefixes: opts.sshPrefixes,
            apiserverPort: opts.apiserverPort,
            publicPorts: opts.hcloudPublicPorts,
            after: opts.after,
        });
        cloud = new Map(created.hosts.map((h) => [h.name, h]));
    }
    return planned.map(({ node, plan }) =>
        node.kind === "dedicated" ? dedicatedHost(node, plan, secrets.sshPrivateKey, opts.after) : (cloud.get(node.name) as Host),
    );
}
