// One measurement for bench/scale.ts, in a fresh process: the whole program under the project's
// mocks (update mode) for a stack of N dedicated nodes (sizedConfig: 3 control-plane, the rest
// workers). Prints one JSON line (ScaleSample) on stdout. Run with --expose-gc.
import { performance } from "perf_hooks";
import * as v8 from "v8";
import { sizedConfig } from "../test/support/fixtures";
import { dependencyEdges, meshBytes } from "../test/support/graph";
import { runProgram } from "../test/support/pulumiMocks";

export interface ScaleSample {
    nodes: number;
    resources: number;
    /** Wall time of the program run (declaring every resource until the last registration). */
    seconds: number;
    /** CPU time of this process during the run (user + system): less sensitive to other load. */
    cpuSeconds: number;
    /** RSS after the run minus before it. */
    rssAddedMb: number;
    /** The largest heap seen during the run (before any GC, or at its end) minus the heap before it. */
    peakHeapMb: number;
    /** Each resource's dependencies as the engine receives them, summed. */
    edges: number;
    /** Bytes of the mesh steps' texts (what the hosts are sent for the mesh). */
    meshBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;

async function measure(nodes: number): Promise<ScaleSample> {
    if (!gc) throw new Error("run with --expose-gc");
    // Warm up: module loading and TypeScript compilation are paid once per process, not per node.
    await runProgram(sizedConfig(3));
    gc();
    const profiler = new v8.GCProfiler();
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    profiler.start();
    const t0 = performance.now();
    const { resources } = await runProgram(sizedConfig(nodes));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const gcs = profiler.stop()?.statistics ?? [];
    const end = process.memoryUsage();
    const peak = Math.max(end.heapUsed, ...gcs.map((s) => s.beforeGC.heapStatistics.usedHeapSize));
    return {
        nodes,
        resources: resources.length,
        seconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        rssAddedMb: (end.rss - rss0) / MB,
        peakHeapMb: (peak - heap0) / MB,
        edges: dependencyEdges(resources),
        meshBytes: meshBytes(resources),
    };
}

if (require.main === module) {
    measure(Number(process.argv[2]))
        .then((s) => {
            process.stdout.write(`${JSON.stringify(s)}\n`);
            // The mocked runtime keeps handles open; the measurement is done.
            process.exit(0);
        })
        .catch((e) => {
            console.error(e);
            process.exit(1);
        });
}
