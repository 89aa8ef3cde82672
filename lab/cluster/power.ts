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
import { run } from "../run";
import { addNetns, deleteNetns, netnsPids } from "../netns";
import { stopRecorded, stopUnrecorded } from "../processes";
import type { LabHost } from "../state";
import { plugHost, providerPort } from "../topology";
import { enabledUnits, startUnit } from "../units";
import { bootMachine, cgroupPids, hostCgroups, removeCgroups, shOnMachine } from "./machine";
import { startSshd } from "./ssh";

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
