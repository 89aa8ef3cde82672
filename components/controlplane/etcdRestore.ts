// cluster.etcdRestore as resources: per control-plane node a check, a data and a start step
// (render/etcdRestore.ts), each step of every node after the previous step of all of them, so a
// node that cannot restore stops the restore before anything stopped anywhere, and no member
// starts on restored data while another still runs on the old. Their only trigger is the restore
// (id, file, sha256): a second `pulumi up` with the same restore changes nothing, and a new host
// identity (a reinstall) does not re-run them; a changed connection is stored by a no-op update.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { EtcdRestoreConfig } from "../config/types";
import { NOTHING_TO_REAPPLY } from "../hosts/render/commands";
import type { Host } from "../hosts/host";
import { DEFAULT_ETCD_CLUSTER_TOKEN, etcdPeerUrl } from "./render/etcd";
import { EtcdRestoreSpec, renderRestoreCheck, renderRestoreData, renderRestoreStart } from "./render/etcdRestore";
import type { ClusterFacts } from "./render/inputs";
import { members } from "./render/members";

export interface EtcdRestoreArgs {
    readonly restore: EtcdRestoreConfig;
    /** The control-plane hosts, each a member after the restore. */
    readonly hosts: readonly Host[];
    readonly cluster: ClusterFacts;
    /** "3.6.8" */
    readonly etcdVersion: string;
    /** What must be done on every host first (the control-plane nodes' start steps). */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

/** The restore's steps; returns the start steps (the cluster-wide wait comes after them). */
export function createEtcdRestore(name: string, args: EtcdRestoreArgs, parent: pulumi.Resource): command.remote.Command[] {
    const all = members(args.cluster);
    const initialCluster = all.map((m) => `${m.name}=${etcdPeerUrl(m)}`).join(",");
    const specOf = (h: Host): EtcdRestoreSpec => {
        const self = all.find((m) => m.name === h.name);
        if (!self) throw new RangeError(`etcdRestore: ${h.name} is no control-plane member`);
        return {
            ...args.restore,
            etcdVersion: args.etcdVersion,
            name: h.name,
            peerUrl: etcdPeerUrl(self),
            initialCluster,
            clusterToken: args.cluster.etcdClusterToken ?? DEFAULT_ETCD_CLUSTER_TOKEN,
        };
    };
    const { id, snapshot, sha256 } = args.restore;
    const phase = (step: string, render: (s: EtcdRestoreSpec) => string, after: pulumi.Input<pulumi.Resource>[]) =>
        args.hosts.map(
            (h) =>
                new command.remote.Command(
                    `${name}-${h.name}-etcd-restore-${step}`,
                    { connection: h.connection, create: render(specOf(h)), update: NOTHING_TO_REAPPLY, triggers: [id, snapshot, sha256] },
                    { parent, dependsOn: after },
                ),
        );
    const checks = phase("check", renderRestoreCheck, args.after);
    const data = phase("data", renderRestoreData, checks);
    return phase("start", renderRestoreStart, data);
}
