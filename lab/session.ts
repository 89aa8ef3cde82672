// The lab the test suite runs against: brought up once by the root hooks (mocha-hooks.ts).
import { TEST_POD } from "./config";
import type { LabHost, LabPod, LabState } from "./state";

let current: LabState | undefined;
let othersBefore: string[] = [];

export function setSession(state: LabState | undefined, others?: string[]): void {
    current = state;
    if (others) othersBefore = others;
}

/** Namespaces that were not the lab's when it came up. */
export function otherNamespacesBefore(): string[] {
    return othersBefore;
}

export function lab(): LabState {
    if (!current) throw new Error("lab: the lab is not up (the root before-all hook failed; see above)");
    return current;
}

/** The test pod of every host (not the DNS pod). */
export function testPods(state: LabState = lab()): LabPod[] {
    return state.pods.filter((p) => p.name === TEST_POD);
}

export function podOf(host: LabHost, state: LabState = lab()): LabPod {
    const pod = testPods(state).find((p) => p.host === host.name);
    if (!pod) throw new Error(`lab: host ${host.name} has no test pod`);
    return pod;
}

export function gateway(state: LabState = lab()): LabHost {
    const gw = state.hosts.find((h) => h.nat64 !== null);
    if (!gw) throw new Error("lab: the lab stack has no IPv4 host (NAT64 gateway)");
    return gw;
}

export function ipv6OnlyHosts(state: LabState = lab()): LabHost[] {
    return state.hosts.filter((h) => h.ipv4 === null);
}
