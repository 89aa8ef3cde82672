// "Pods": network namespaces wired by the host's own CNI conflist, read from the host's disk as
// the host installed it, with the real plugins in /usr/lib/cni invoked the way the container
// runtime's libcni invokes a chain (ADD, each plugin given the previous one's result).
import * as fs from "fs";
import * as path from "path";
import { CNI_BIN_DIR } from "../components/controlplane/render/containerd";
import { CNI_CONFLIST_PATH } from "../components/hosts/render/cni";
import { inPrefix } from "./checks/addresses";
import { POD_SEARCH, PODS_DIR, podNs } from "./config";
import { onHost } from "./machines";
import { addNetns } from "./netns";
import { LabHost, LabPod, LabState, saveState } from "./state";

const POD_IFNAME = "eth0";

interface Conflist {
    readonly cniVersion: string;
    readonly name: string;
    readonly plugins: readonly (Record<string, unknown> & { type: string })[];
}

interface CniResult {
    readonly ips?: readonly { address: string }[];
}

function readConflist(host: LabHost): Conflist {
    return JSON.parse(fs.readFileSync(path.join(host.root, CNI_CONFLIST_PATH), "utf8")) as Conflist;
}

/** Writes the pod's /etc/resolv.conf (bound over the machine's inside the pod); none when `nameserver` is null. */
export function setPodResolver(pod: LabPod, nameserver: string | null, search: readonly string[]): void {
    const binds = nameserver === null ? [] : ["/etc/resolv.conf"];
    fs.mkdirSync(path.join(pod.root, "etc"), { recursive: true });
    if (nameserver !== null) {
        const lines = [`nameserver ${nameserver}`, `search ${search.join(" ")}`, "options ndots:5", ""];
        fs.writeFileSync(path.join(pod.root, "etc/resolv.conf"), lines.join("\n"));
    }
    fs.writeFileSync(path.join(pod.root, ".binds"), binds.map((b) => `${b}\n`).join(""));
}

export async function addPod(host: LabHost, name: string): Promise<LabPod> {
    const ns = podNs(host.name, name);
    await addNetns(ns);
    const list = readConflist(host);
    const env = {
        CNI_COMMAND: "ADD",
        // Unique per sandbox, as a container runtime's IDs are (host-local keys its leases by it).
        CNI_CONTAINERID: `${ns}-${Date.now().toString(36)}`,
        CNI_NETNS: `/run/netns/${ns}`,
        CNI_IFNAME: POD_IFNAME,
        CNI_PATH: CNI_BIN_DIR,
    };
    let prevResult: unknown;
    for (const plugin of list.plugins) {
        const conf = { cniVersion: list.cniVersion, name: list.name, ...plugin, ...(prevResult === undefined ? {} : { prevResult }) };
        const out = await onHost(host, [path.join(CNI_BIN_DIR, plugin.type)], { input: JSON.stringify(conf), env });
        prevResult = JSON.parse(out.stdout);
    }
    const ips = ((prevResult as CniResult).ips ?? []).map((i) => i.address);
    const ula = ips.find((a) => inPrefix(a, host.podUla));
    const gua = ips.find((a) => inPrefix(a, host.podGua));
    if (!ula || !gua)
        throw new Error(`lab: pod ${ns} got ${ips.join(", ") || "no addresses"}, expected one in ${host.podUla} and one in ${host.podGua}`);
    const pod: LabPod = { name, host: host.name, ns, root: path.join(PODS_DIR, ns), ula: ula.split("/")[0], gua: gua.split("/")[0] };
    setPodResolver(pod, null, []);
    return pod;
}

/** A pod scheduled on a host of a running lab: made, given the cluster DNS (when it runs), and recorded in the state. */
export async function schedulePod(state: LabState, host: LabHost, name: string): Promise<LabPod> {
    const pod = await addPod(host, name);
    if (state.dns.server) setPodResolver(pod, state.dns.server, POD_SEARCH);
    state.pods.push(pod);
    saveState(state);
    return pod;
}
