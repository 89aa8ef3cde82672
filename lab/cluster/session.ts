// The cluster the cluster checks run against: brought up once by the root hooks (mocha-hooks.ts).
import type { ClusterState, LabHost, LabState } from "../state";
import type { PreparedCluster } from "./up";

export interface InterruptedBootstrap {
    /** The first control-plane node, whose steps ran once before the "interruption". */
    readonly host: string;
    /** The re-run of its steps: exit code and seconds. */
    readonly code: number;
    readonly seconds: number;
    readonly output: string;
}

let current: PreparedCluster | undefined;
let interrupted: InterruptedBootstrap | undefined;
let rootBefore: Record<string, unknown> | undefined;

export function setCluster(c: PreparedCluster | undefined, root?: Record<string, unknown>): void {
    current = c;
    if (root) rootBefore = root;
}

export function cluster(): PreparedCluster {
    if (!current) throw new Error("lab: the cluster is not up (the root before-all hook failed; see above)");
    return current;
}

export function labState(): LabState {
    return cluster().state;
}

export function operator(): ClusterState {
    return cluster().state.cluster!;
}

export function hostNamed(name: string): LabHost {
    const h = labState().hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab: no host ${name}`);
    return h;
}

export function setInterrupted(r: InterruptedBootstrap): void {
    interrupted = r;
}

export function interruptedBootstrap(): InterruptedBootstrap {
    if (!interrupted) throw new Error("lab: the interrupted bootstrap was not run");
    return interrupted;
}

export function rootSnapshotBefore(): Record<string, unknown> {
    if (!rootBefore) throw new Error("lab: no snapshot of the root namespace was taken");
    return rootBefore;
}
