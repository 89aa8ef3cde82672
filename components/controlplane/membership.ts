// A node's membership of the cluster as resources whose lifecycle is the node's: created when the
// node (or its control-plane role) appears, deleted when it goes. Their delete action is the
// removal: pulumi runs it when a node leaves the config (or loses its role), before the server
// itself is deleted (each depends on the node's server: dependents are deleted first).
//
// - `k8s-<node>-leave` (every node), on the node's own connection: delete = stop Kubernetes there
//   and delete its keys, certificates, kubeconfigs and manifests (render/leave.ts).
// - `k8s-<node>-membership` (every node): delete = drain, then delete the Node object.
// - `k8s-<node>-etcd-member` (control-plane nodes): create = `etcdctl member add` for a node joining a
//   running etcd (joinEtcd), before its own steps; delete = `etcdctl member remove`, refused while
//   it would break the quorum. It depends on the node's membership, so a removed control-plane
//   node leaves etcd (or the removal is refused, with nothing changed) before it is drained.
//
// Pulumi deletes dependents first, so the dependencies are the removal's order reversed: leave <-
// membership <- etcd-member. A node leaving (`leaving: true`; its other resources go with it) is
// therefore: its etcd member removed (quorum checked), drained, then stopped and wiped; at the end
// of that run, while it is still in every host's mesh (it leaves the mesh in the next run, once
// it is removed from `nodes`: the program refuses a removal without that first run).
//
// membership and etcd-member run on another control-plane node, the anchor (render/nodeRemoval.ts
// says why); all three use the connection stored at their last create or update: a new anchor (its
// node removed) or SSH key reaches them as an update whose command is a no-op, as for every step
// (hostStep).
//
// They have no triggers, unlike every other step: a replacement would run the delete, i.e. drain
// (or wipe) a node that stays. A changed script (or anchor) is only stored, by that no-op update; a new
// machine for the node (its identity) does not touch them either: it is the same member.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NOTHING_TO_REAPPLY } from "../hosts/render/commands";
import type { Host } from "../hosts/host";
import { renderAddEtcdMember, renderRemoveEtcdMember } from "./render/etcdMembers";
import { renderLeaveNode } from "./render/leave";
import { renderRemoveNode, renderTeardownNotice } from "./render/nodeRemoval";

export interface NodeMembershipArgs {
    readonly host: Host;
    /** The control-plane host the commands run on (membershipAnchor). */
    readonly anchor: Host;
    /** The node-local apiserver proxy port. */
    readonly proxyPort: number;
    /** Control-plane nodes: their etcd peer URL, and whether they join a running etcd (joinEtcd). */
    readonly etcd?: { readonly peerUrl: string; readonly joining: boolean };
    /** The etcd member step runs after these (the previous control-plane node's start: one member change at a time). */
    readonly etcdAfter?: pulumi.Input<pulumi.Resource>[];
    /** cluster.teardown: deletes only say so (pulumi destroy of the whole cluster). */
    readonly teardown: boolean;
}

export interface NodeMembership {
    /** Its delete stops Kubernetes on the node and deletes its keys (the last of a removal). */
    readonly leave: command.remote.Command;
    readonly node: command.remote.Command;
    /** Control-plane nodes only. */
    readonly etcd?: command.remote.Command;
}

/** The arguments of a command on `on` (the anchor, or the node): no triggers (never replaced), a no-op update. */
function anchoredStep(on: Host, step: { create?: string; delete: string }): command.remote.CommandArgs {
    return {
        connection: on.connection,
        ...(step.create === undefined ? {} : { create: step.create }),
        update: NOTHING_TO_REAPPLY,
        delete: step.delete,
    };
}

export function createNodeMembership(name: string, args: NodeMembershipArgs, parent: pulumi.Resource): NodeMembership {
    const { host, anchor, teardown } = args;
    const leave = new command.remote.Command(
        `${name}-${host.name}-leave`,
        anchoredStep(host, { delete: teardown ? renderTeardownNotice(`Kubernetes on ${host.name}`) : renderLeaveNode(host.name) }),
        { parent, dependsOn: [...host.ready] },
    );
    const node = new command.remote.Command(
        `${name}-${host.name}-membership`,
        anchoredStep(anchor, {
            delete: teardown
                ? renderTeardownNotice(`node ${host.name}`)
                : renderRemoveNode(host.name, anchor.name, { proxyPort: args.proxyPort }),
        }),
        { parent, dependsOn: [leave, ...host.ready, ...anchor.ready] },
    );
    if (!args.etcd) return { leave, node };
    const member = { name: host.name, peerUrl: args.etcd.peerUrl };
    const etcd = new command.remote.Command(
        `${name}-${host.name}-etcd-member`,
        anchoredStep(anchor, {
            // A member of the initial cluster is in it from its first start: nothing to add.
            create: args.etcd.joining ? renderAddEtcdMember(member, anchor.name) : undefined,
            delete: teardown
                ? renderTeardownNotice(`etcd member ${host.name}`)
                : renderRemoveEtcdMember(member, anchor.name, { proxyPort: args.proxyPort }),
        }),
        { parent, dependsOn: [node, ...(args.etcdAfter ?? [])] },
    );
    return { leave, node, etcd };
}
