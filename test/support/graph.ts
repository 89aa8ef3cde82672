// Reading the dependency graph a mocked program run recorded (pulumiMocks.ts): shared by the
// program tests and the scale benchmark. Pure.
import type { RecordedResource } from "./pulumiMocks";

/** Every resource `name` waits for, directly or through others. */
export function upstream(rs: readonly RecordedResource[], name: string, seen = new Set<string>()): Set<string> {
    const r = rs.find((x) => x.name === name);
    if (!r) throw new Error(`${name} was not declared`);
    for (const d of r.dependsOn) {
        if (!seen.has(d)) {
            seen.add(d);
            if (rs.some((x) => x.name === d)) upstream(rs, d, seen);
        }
    }
    return seen;
}

/** The edges the engine receives: each resource's dependencies (dependsOn and those its inputs imply). */
export function dependencyEdges(rs: readonly RecordedResource[]): number {
    return rs.reduce((n, r) => n + r.dependsOn.length, 0);
}

/** Bytes of what the mesh's steps send to the hosts (command texts and stdin of the Mesh component's children). */
export function meshBytes(rs: readonly RecordedResource[], mesh = "mesh"): number {
    let bytes = 0;
    for (const r of rs) {
        if (r.parent !== mesh) continue;
        for (const k of ["create", "update", "stdin"]) {
            const v = r.inputs[k];
            if (typeof v === "string") bytes += Buffer.byteLength(v);
        }
    }
    return bytes;
}
