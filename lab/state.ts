// What a running lab is made of, saved in STATE_FILE so `lab:down` and the tests find it again.
import * as fs from "fs";
import { STATE_DIR, STATE_FILE } from "./config";
import type { Nat64Pool } from "../components/config/types";

export interface LabHost {
    readonly name: string;
    readonly index: number;
    readonly ns: string;
    /** The host's own filesystem: every path listed in `binds` is mounted from here (in-ns.sh). */
    readonly root: string;
    readonly binds: readonly string[];
    readonly gua: string;
    readonly publicAddress: string;
    readonly uplinkLinkLocal: string;
    /** Its default route comes from the provider's router advertisements (radvd), not a static route. */
    readonly uplinkByRouterAdvertisements?: boolean;
    readonly ipv4: string | null;
    readonly ula: string;
    readonly wireguardAddress: string;
    readonly podUla: string;
    readonly podGua: string;
    readonly nat64: string | null;
    /** The stack's cluster.nat64Pool on an IPv4 host (its Tayga's IPv4 side), else null. */
    readonly nat64Pool: Nat64Pool | null;
}

export interface LabPod {
    readonly name: string;
    readonly host: string;
    readonly ns: string;
    readonly root: string;
    readonly ula: string;
    readonly gua: string;
}

export interface DnsState {
    /** "running", or "skipped" with the reason (CoreDNS could not be built or started). */
    readonly status: "running" | "skipped";
    readonly reason?: string;
    /** The cluster DNS pod's address (CoreDNS with the project's Corefile). */
    readonly server?: string;
    readonly corefile?: string;
}

export interface LabState {
    readonly stack: string;
    readonly startedAt: string;
    /** Directories created in the root filesystem as bind-mount targets; removed again when empty. */
    mountPoints: string[];
    hosts: LabHost[];
    pods: LabPod[];
    dns: DnsState;
    /** Seconds per bring-up phase. */
    timings: Record<string, number>;
    /** WireGuard public keys the hosts made, by node name. */
    publicKeys?: Record<string, string>;
    /** Set once the cluster lab (lab/cluster) has Kubernetes running. */
    cluster?: ClusterState;
}

/** What the cluster lab adds: where its admin kubeconfig and kubectl are. */
export interface ClusterState {
    readonly kubeconfig: string;
    readonly kubectl: string;
    /** The operator's namespace (the lab's IPv6 internet), where kubectl runs. */
    readonly operatorNs: string;
}

export function saveState(state: LabState): void {
    fs.mkdirSync(STATE_DIR, { recursive: true });
    fs.writeFileSync(`${STATE_FILE}.new`, JSON.stringify(state, null, 2));
    fs.renameSync(`${STATE_FILE}.new`, STATE_FILE);
}

export function loadState(): LabState | undefined {
    try {
        return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as LabState;
    } catch {
        return undefined;
    }
}

export function requireState(): LabState {
    const state = loadState();
    if (!state) throw new Error(`lab: no lab is up (${STATE_FILE} is missing): run npm run lab`);
    return state;
}

export function hostNamed(state: LabState, name: string): LabHost {
    const h = state.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab: no host ${name}`);
    return h;
}
