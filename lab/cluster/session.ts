// The cluster the cluster checks run against: brought up once by the root hooks (mocha-hooks.ts).
import { ClusterState, LabHost, LabState, hostNamed as hostOf } from "../state";
import type { PreparedCluster } from "./up";

export interface InterruptedBootstrap {
    /** The first control-plane node, whose steps ran once before the interruption. */
    readonly host: string;
    /** The first `pulumi up` was stopped (Ctrl-C) after that node's start step. */
    readonly interrupted: boolean;
    /** The interrupted run's exit code and what it said last (why it ended, when it was not cut). */
    readonly cutCode: number;
    readonly cutOutput: string;
    /** How many of its steps the re-run replaced. */
    readonly steps: number;
    /** The re-run of its steps: exit code and seconds. */
    readonly code: number;
    readonly seconds: number;
    readonly output: string;
}

let current: PreparedCluster | undefined;
let interrupted: InterruptedBootstrap | undefined;

export function setCluster(c: PreparedCluster | undefined): void {
    current = c;
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
    return hostOf(labState(), name);
}

export function setInterrupted(r: InterruptedBootstrap): void {
    interrupted = r;
}

export function interruptedBootstrap(): InterruptedBootstrap {
    if (!interrupted) throw new Error("lab: the interrupted bootstrap was not run");
    return interrupted;
}
