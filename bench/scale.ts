// The whole program at 30 and 300 dedicated nodes under the project's mocks (update mode), each
// run in a fresh process (bench/scaleRun.ts), the sizes interleaved so that other load on the
// machine falls on both; medians of BENCH_SCALE_RUNS rounds (default 3). Prints resources, program
// run time, RSS and peak heap added, dependency edges and mesh bytes, the 300/30 ratios, and the
// issue's goals as PASS/FAIL lines. A benchmark, not a test. With BENCH_SCALE_STACKS=1 it also
// runs with Pulumi's per-promise debug stacks captured (PULUMI_DEBUG_PROMISE_LEAKS=1), as every
// program run was before components/promiseStacks.ts.
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import type { ScaleSample } from "./scaleRun";

const SMALL = 30;
const LARGE = 300;
/** Linear: ten times the nodes may cost at most this much more (resources grow a little slower). */
const LINEAR = 10.5;
const LARGE_SECONDS = 20;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function sample(nodes: number, env: NodeJS.ProcessEnv): ScaleSample {
    const run = spawnSync(
        process.execPath,
        ["--expose-gc", "-r", require.resolve("ts-node/register/transpile-only"), path.join(__dirname, "scaleRun.ts"), String(nodes)],
        {
            env,
            encoding: "utf8",
            maxBuffer: 16 * 2 ** 20,
        },
    );
    const line = run.stdout.trim().split("\n").at(-1) ?? "";
    if (run.status !== 0 || !line.startsWith("{"))
        throw new Error(`scaleRun ${nodes} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
    return JSON.parse(line) as ScaleSample;
}

type Row = { [K in keyof ScaleSample]: number };

function medians(samples: ScaleSample[]): Row {
    const keys = Object.keys(samples[0]) as (keyof ScaleSample)[];
    return Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k]))])) as Row;
}

function measureSizes(rounds: number, env: NodeJS.ProcessEnv): [Row, Row] {
    const small: ScaleSample[] = [];
    const large: ScaleSample[] = [];
    for (let i = 0; i < rounds; i++) {
        small.push(sample(SMALL, env));
        large.push(sample(LARGE, env));
    }
    return [medians(small), medians(large)];
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);
const columns: [string, (r: Row) => string][] = [
    ["nodes", (r) => String(r.nodes)],
    ["resources", (r) => String(r.resources)],
    ["run s", (r) => fmt(r.seconds, 2)],
    ["cpu s", (r) => fmt(r.cpuSeconds, 2)],
    ["RSS +MB", (r) => fmt(r.rssAddedMb, 0)],
    ["heap +MB", (r) => fmt(r.peakHeapMb, 0)],
    ["edges", (r) => String(r.edges)],
    ["mesh MB", (r) => fmt(r.meshBytes / 1e6, 2)],
];

function table(rows: Row[]): void {
    const width = columns.map(([h]) => Math.max(h.length, ...rows.map((r) => columns.find(([x]) => x === h)![1](r).length)));
    console.log(columns.map(([h], i) => h.padStart(width[i])).join("  "));
    for (const r of rows) console.log(columns.map(([, f], i) => f(r).padStart(width[i])).join("  "));
}

/** Runs the benchmark and prints it; returns the goals that failed. */
export function runScaleBench(): string[] {
    const rounds = Number(process.env.BENCH_SCALE_RUNS ?? 3);
    const load = () =>
        os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(" ");
    console.log(`\nWhole program under mocks (update), ${SMALL} and ${LARGE} dedicated nodes, median of ${rounds} fresh processes each`);
    console.log(`machine: ${os.cpus().length} CPUs, load average ${load()} before`);
    const env = { ...process.env };
    delete env.PULUMI_DEBUG_PROMISE_LEAKS;
    const [small, large] = measureSizes(rounds, env);
    table([small, large]);
    const ratio = (k: keyof Row) => large[k] / small[k];
    console.log(
        `${LARGE}/${SMALL} ratios: resources ${fmt(ratio("resources"))}, run ${fmt(ratio("seconds"))}, cpu ${fmt(ratio("cpuSeconds"))}, ` +
            `RSS ${fmt(ratio("rssAddedMb"))}, heap ${fmt(ratio("peakHeapMb"))}, edges ${fmt(ratio("edges"))}, mesh bytes ${fmt(ratio("meshBytes"))} (N² by nature, README)`,
    );
    console.log(`load average ${load()} after`);
    const goals: [string, boolean][] = [
        [`program run ${LARGE}/${SMALL} <= ${LINEAR} (linear): ${fmt(ratio("seconds"))}`, ratio("seconds") <= LINEAR],
        [`program run at ${LARGE} nodes < ${LARGE_SECONDS} s: ${fmt(large.seconds, 2)} s`, large.seconds < LARGE_SECONDS],
        [`dependency edges ${LARGE}/${SMALL} <= ${LINEAR} (linear): ${fmt(ratio("edges"))}`, ratio("edges") <= LINEAR],
        // RSS is not the measure: the 30-node run fits in heap the warm-up already reserved.
        [`memory (peak heap) ${LARGE}/${SMALL} <= ${LINEAR} (linear): ${fmt(ratio("peakHeapMb"))}`, ratio("peakHeapMb") <= LINEAR],
    ];
    for (const [text, ok] of goals) console.log(`${ok ? "PASS" : "FAIL"}  ${text}`);
    if (process.env.BENCH_SCALE_STACKS) {
        console.log(
            "\nThe same with Pulumi's per-promise debug stacks captured (PULUMI_DEBUG_PROMISE_LEAKS=1, as before components/promiseStacks.ts):",
        );
        table([...measureSizes(1, { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "1" })]);
    }
    return goals.filter(([, ok]) => !ok).map(([text]) => text);
}

if (require.main === module) {
    process.exitCode = runScaleBench().length > 0 ? 1 : 0;
}
