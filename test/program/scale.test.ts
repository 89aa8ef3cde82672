// How the program grows with the number of nodes, where that is deterministic: dependency edges
// and mesh bytes (the time and memory are bench/scale.ts's, a benchmark, not a test). And the
// per-promise debug stacks the program drops (components/promiseStacks.ts).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { dropPromiseStacks, promiseStacksDropped } from "../../components/promiseStacks";
import { sizedConfig } from "../support/fixtures";
import { dependencyEdges, meshBytes } from "../support/graph";
import { RecordedResource } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";

describe("the program at 6, 12 and 24 nodes, under Pulumi mocks", function () {
    this.timeout(180_000);
    let six: RecordedResource[];
    let twelve: RecordedResource[];
    let twentyFour: RecordedResource[];
    before(async () => {
        // One after the other: a mocked run sets the process-wide runtime.
        six = (await sharedRun(sizedConfig(6))).resources;
        twelve = (await sharedRun(sizedConfig(12))).resources;
        twentyFour = (await sharedRun(sizedConfig(24))).resources;
    });

    it("has dependency edges linear in the nodes: each node from 12 to 24 adds as many as one from 6 to 12", () => {
        // Was N² (every node's first Kubernetes step on every mesh and DNS step, every mesh step on
        // every key, every NAT64 cleanup on every DNS step): 129 edges per node from 6 to 12, 201 from
        // 12 to 24. The ratio of twice the nodes alone would not tell: 2 is linear without an offset.
        const [e6, e12, e24] = [six, twelve, twentyFour].map(dependencyEdges);
        const [low, high] = [(e12 - e6) / 6, (e24 - e12) / 12];
        assert.ok(high <= 1.1 * low, `edges ${e6}, ${e12}, ${e24} at 6, 12, 24 nodes: ${low.toFixed(1)} then ${high.toFixed(1)} per node`);
    });

    it("lets only the aggregates depend on every host; every other resource has as many dependencies at 12 nodes as at 6", () => {
        const aggregates = ["mesh.peers", "hosts-ready", "dns-moved-on", "addons-provider"];
        const growing = six
            .filter((r) => {
                const other = twelve.find((x) => x.name === r.name && x.type === r.type);
                return other !== undefined && other.dependsOn.length !== r.dependsOn.length;
            })
            .map((r) => r.name);
        assert.deepEqual(growing.sort(), [...aggregates].sort());
        const byName = (name: string) => twelve.find((r) => r.name === name)!;
        assert.equal(byName("mesh.peers").dependsOn.filter((d) => /^node-n\d+-wireguard-key$/.test(d)).length, 12);
        assert.equal(byName("hosts-ready").dependsOn.filter((d) => /^(mesh|dns)-n\d+$/.test(d)).length, 24);
        assert.equal(byName("dns-moved-on").dependsOn.filter((d) => /^dns-n\d+$/.test(d)).length, 12);
        for (const name of aggregates.slice(0, 3)) {
            assert.equal(byName(name).type, "command:local:Command");
            assert.deepEqual(
                Object.keys(byName(name).inputs).filter((k) => ["create", "update", "delete"].includes(k)),
                [],
                `${name} runs nothing`,
            );
        }
    });

    it("sends each host the whole mesh: its bytes grow by one peer entry per node, the total as N², no faster", () => {
        // Each host's wg0.conf lists every other host (README, "Measured"): an unavoidable N² in all.
        const [h6, h12, h24] = [
            [six, 6],
            [twelve, 12],
            [twentyFour, 24],
        ].map(([rs, n]) => meshBytes(rs as RecordedResource[]) / (n as number));
        const [low, high] = [(h12 - h6) / 6, (h24 - h12) / 12];
        assert.ok(
            low > 100 && high <= 1.1 * low,
            `mesh bytes per host ${h6}, ${h12}, ${h24} at 6, 12, 24 nodes: ${low.toFixed(0)} then ${high.toFixed(0)} per peer`,
        );
    });
});

describe("Pulumi's per-promise debug stacks", () => {
    type Stamp = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;

    it("are captured with no frames, the limit restored after, even when the stamp throws", async () => {
        const limits: number[] = [];
        const fake: { debuggablePromise?: Stamp } = {
            debuggablePromise: (p, ctx) => {
                limits.push(Error.stackTraceLimit);
                if (ctx === "boom") throw new Error("boom");
                return p;
            },
        };
        const before = Error.stackTraceLimit;
        assert.equal(dropPromiseStacks(fake, {}), true);
        assert.equal(await fake.debuggablePromise!(Promise.resolve(7), "ctx"), 7);
        assert.throws(() => fake.debuggablePromise!(Promise.resolve(0), "boom"), /boom/);
        assert.deepEqual(limits, [0, 0]);
        assert.equal(Error.stackTraceLimit, before);
    });

    it("are left alone with PULUMI_DEBUG_PROMISE_LEAKS set (the leak report prints them), or when the SDK has no such function", () => {
        const stamp: Stamp = (p) => p;
        const fake = { debuggablePromise: stamp };
        assert.equal(dropPromiseStacks(fake, { PULUMI_DEBUG_PROMISE_LEAKS: "1" }), false);
        assert.equal(fake.debuggablePromise, stamp);
        assert.equal(dropPromiseStacks({}, {}), false);
    });

    it("are dropped in this process's @pulumi/pulumi, which still tracks pending promises for its leak check", async () => {
        assert.equal(promiseStacksDropped, !process.env.PULUMI_DEBUG_PROMISE_LEAKS);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: Stamp };
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };
        let resolve!: (v: number) => void;
        const p = new Promise<number>((r) => (resolve = r));
        const stamped = debuggable.debuggablePromise(p, "test");
        assert.ok(state.getStore().leakCandidates.has(p), "a pending promise is a leak candidate");
        if (promiseStacksDropped) assert.equal((p as unknown as { _debugStackTrace: string })._debugStackTrace, "Error");
        resolve(3);
        assert.equal(await stamped, 3);
        assert.ok(!state.getStore().leakCandidates.has(p), "a settled promise is not");
    });

    it("are dropped before the program declares anything: index.ts imports promiseStacks first", () => {
        const index = fs.readFileSync(path.join(__dirname, "..", "..", "index.ts"), "utf8");
        assert.equal(index.match(/^import .*$/m)?.[0], 'import "./components/promiseStacks";');
    });
});
