// Hetzner Robot servers already exist: nothing is created, they are only reached over SSH, pinned
// to the host key from config (who the server is: a reinstall brings a new one).
import * as pulumi from "@pulumi/pulumi";
import type { DedicatedNodeConfig } from "../config/types";
import type { NodePlan } from "../network/plan";
import { formatV6 } from "../network/prefix";
import { Host, sshConnection } from "./host";

export function dedicatedHost(
    node: DedicatedNodeConfig,
    plan: NodePlan,
    sshPrivateKey: pulumi.Input<string>,
    after: readonly pulumi.Resource[] = [],
): Host {
    const publicAddress = pulumi.output(formatV6(node.publicAddress));
    return {
        name: node.name,
        config: node,
        plan,
        providerGua: pulumi.output(node.gua.toString()),
        publicAddress,
        ipv4: pulumi.output(node.ipv4),
        connection: sshConnection(publicAddress, sshPrivateKey, node.hostKey),
        hostKey: pulumi.output(node.hostKey),
        ready: [...after],
        identity: pulumi.output(`ssh host key ${node.hostKey}`),
    };
}
