// A cluster-lab host's power cut and boot. Off: every process of the host stopped by PID (its
// recorded daemons and machine, its containers by their kubelet cgroup, anything left in its
// namespace), its namespace deleted, its volatile state (/run) lost, its disk kept. On: the
// provider plugs it in again, it boots what it enabled (network, mesh: lab/units.ts), then its
// machine, then (unit.sh, in the machine) the NAT64 gateway's units if it has them, containerd and
// the kubelet, as systemd would start them at boot.
import * as path from "path";
import { CONTAINERD_UNIT_PATH } from "../../components/controlplane/render/containerd";
import { KUBELET_UNIT_PATH } from "../../components/controlplane/render/kubelet";
import { DNS64_RESOLVER_UNIT_PATH } from "../../components/nat64/render/hostDns";
import { NAT64_UNIT_PATH } from "../../components/nat64/render/nat64Up";
import { PROVIDER_NS } from "../config";
import { VOLATILE_DIRS, clearDirs } from "../machines";
import * as fs from "fs";
import { START_KUBELET_PATH } from "../../components/controlplane/render/activate";
import { ETCD_BACKUP_SCRIPT_PATH, ETCD_BACKUP_UNIT } from "../../components/controlplane/render/etcdBackup";
import { ETCD_REJOIN_PATH } from "../../components/controlplane/render/etcdRejoin";
import { S3_AUTH_PATH, S3_CA_PATH, S3_SETTINGS_PATH } from "../../components/controlplane/render/etcdBackupS3";
import { CONTAINERD_STAMP_PATH, INSTALL_BINARIES_PATH } from "../../components/runtime/render/installBinaries";
import { run } from "../run";
import { addNetns, deleteNetns, netnsPids } from "../netns";
import { stopRecorded, stopUnrecorded } from "../processes";
import type { LabHost } from "../state";
import { plugHost, providerPort } from "../topology";
import { disableUnits, enabledUnits, startUnit } from "../units";
import { bootMachine, cgroupPids, hostCgroups, removeCgroups, shOnMachine } from "./machine";
import { dropHostKey, startSshd } from "./ssh";

/** What lives in /run on the host (tmpfs in production): gone at a power cut. */
const VOLATILE = [...VOLATILE_DIRS, "/run/containerd", "/run/netns"];
/** Started on the machine by unit.sh, in this order, not by the network lab's boot (when enabled). */
const MACHINE_UNITS = [NAT64_UNIT_PATH, DNS64_RESOLVER_UNIT_PATH, CONTAINERD_UNIT_PATH, KUBELET_UNIT_PATH].map((p) => path.basename(p));

export function powerOffCluster(host: LabHost): void {
    stopRecorded(`${host.name}-`);
    for (const pid of cgroupPids(hostCgroups(host.name))) stopUnrecorded(pid);
    for (const pid of netnsPids(host.ns)) stopUnrecorded(pid);
    deleteNetns(host.ns);
    removeCgroups(host.name);
    clearDirs(host, VOLATILE);
}

/** Boots the host; returns the units it started. */
export async function powerOnCluster(host: LabHost): Promise<string[]> {
    await addNetns(host.ns);
    // The provider's end of the old link goes with the old namespace; drop it should it linger.
    await run(["ip", "-n", PROVIDER_NS, "link", "del", providerPort(host)], { allowFail: true });
    await plugHost(host);
    // Services only: timers (the etcd backup) are not emulated in the lab (sh/glue/unit.sh).
    const enabled = enabledUnits(host);
    const full = (u: string) => (u.includes(".") ? u : `${u}.service`);
    const units = enabled.filter((u) => !MACHINE_UNITS.includes(full(u)) && full(u).endsWith(".service"));
    for (const u of units) await startUnit(host, u);
    await bootMachine(host);
    await startSshd(host);
    const onMachine = MACHINE_UNITS.filter((u) => enabled.map(full).includes(u));
    await shOnMachine(host, onMachine.map((u) => `systemctl start ${u}`).join(" && "));
    return [...units, ...onMachine];
}

/**
 * The host's own directories a reinstall empties: everything of Kubernetes, its runtime and root's
 * home. /etc/cni stays with the network configuration (network-up.sh checks the pod network's file).
 */
const REINSTALL_WIPES =
    /^\/(etc\/(kubernetes|containerd)|usr\/local\/(bin|sbin)|usr\/libexec\/kubernetes|var\/lib\/(cni|containerd|etcd|kubelet|v6k8s)|var\/log\/(containers|pods)|var\/backups\/etcd|root)(\/|$)/;
/** And the program's Kubernetes scripts (the network and mesh ones stay: below). */
const REINSTALL_REMOVES = [
    START_KUBELET_PATH,
    ETCD_REJOIN_PATH,
    ETCD_BACKUP_SCRIPT_PATH,
    INSTALL_BINARIES_PATH,
    CONTAINERD_STAMP_PATH,
    // The etcd backups' S3 store: its settings and credentials (their step writes them again).
    S3_SETTINGS_PATH,
    S3_AUTH_PATH,
    S3_CA_PATH,
];

/**
 * A reinstalled server (Robot installimage, a new disk), same name and addresses: powered off,
 * every directory of Kubernetes emptied (etcd's data, the certificates, kubeconfigs, manifests,
 * binaries, the kubelet's and containerd's state), containerd and the kubelet no longer enabled,
 * and a new SSH host key; then it boots. What the lab keeps, so the host boots onto its networks as
 * a freshly installed server does with its provider's address: the network and mesh units and
 * their scripts (the program rewrites them too: every step runs again on a new host key).
 */
export async function reinstallCluster(host: LabHost): Promise<void> {
    powerOffCluster(host);
    const binds = fs.readFileSync(path.join(host.root, ".binds"), "utf8").split("\n");
    clearDirs(
        host,
        binds.filter((p) => REINSTALL_WIPES.test(p)),
    );
    for (const p of REINSTALL_REMOVES) fs.rmSync(path.join(host.root, p), { force: true });
    disableUnits(host, ["containerd.service", "kubelet.service", `${ETCD_BACKUP_UNIT}.timer`]);
    dropHostKey(host);
    await powerOnCluster(host);
}
