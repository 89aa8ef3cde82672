// The one shape every host has, whichever kind it is: downstream code never asks how it was made.
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { NodeConfig } from "../config/types";
import type { NodePlan } from "../network/plan";

export interface Host {
    readonly name: string;
    readonly config: NodeConfig;
    /** The node's ULA-side plan (known before anything exists); its `gua` is null for hcloud. */
    readonly plan: NodePlan;
    /** The provider's prefix (usually a /64): from config, or from hcloud once the server exists. */
    readonly providerGua: pulumi.Output<string>;
    /** The public IPv6 address SSH and the WireGuard peers use. */
    readonly publicAddress: pulumi.Output<string>;
    /** The public IPv4 address, when the host has one. */
    readonly ipv4: pulumi.Output<string | undefined>;
    /** SSH as root over IPv6, with the stack's private key (a secret). */
    readonly connection: command.types.input.remote.ConnectionArgs;
    /** What must exist before any command runs on the host (the server itself, for hcloud). */
    readonly ready: pulumi.Resource[];
}

/** SSH settings shared by all hosts. New hcloud servers take a while to accept SSH: retry for ~5 min. */
export function sshConnection(host: pulumi.Input<string>, privateKey: pulumi.Input<string>): command.types.input.remote.ConnectionArgs {
    return { host, user: "root", port: 22, privateKey, dialErrorLimit: 30, perDialTimeout: 10 };
}
