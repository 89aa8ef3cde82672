// npm run bench:lab:cluster: measurements, not tests (root). On the cluster stack, warm toolchain:
// empty -> every node Ready (wall clock, and per phase), `pulumi up` of the unchanged stack, a
// `pulumi up` replacing every step (every remote command without a delete), and the memory of the
// running cluster (resident set of every process of the lab: the
// kubelets, containerd and their containers, the machines, the mesh). Prints a Markdown table.
import * as fs from "fs";
import { guardRun, takeOverLab } from "../owner";
import { isUp } from "../preflight";
import { procStat, records } from "../processes";
import { down } from "../teardown";
import { LAB_CGROUPS, cgroupPids } from "./machine";
import { LAB_STACK_FILE } from "./ssh";
import { applyStack, upCluster, waitNodesReady } from "./up";

function rssMiB(pids: Iterable<number>): number {
    let kib = 0;
    for (const pid of new Set(pids)) {
        try {
            const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
            if (m) kib += Number(m[1]);
        } catch {
            // Gone.
        }
    }
    return kib / 1024;
}

/** Every descendant of the recorded processes, and everything in the kubelets' cgroups. */
function labPids(): number[] {
    const parent = new Map<number, number>();
    for (const e of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
        const st = procStat(Number(e));
        if (st) parent.set(Number(e), st.ppid);
    }
    const mine = new Set(records().map((r) => r.pid));
    for (let grew = true; grew;) {
        grew = false;
        for (const [pid, ppid] of parent) {
            if (!mine.has(pid) && mine.has(ppid)) {
                mine.add(pid);
                grew = true;
            }
        }
    }
    for (const pid of cgroupPids(LAB_CGROUPS)) mine.add(pid);
    return [...mine];
}

async function main(): Promise<void> {
    guardRun();
    takeOverLab((l) => process.stderr.write(`${l}\n`));
    const t0 = Date.now();
    const c = await upCluster({ log: () => undefined });
    const { state, config } = c;
    const bringUp = (Date.now() - t0) / 1000;
    const noop = await applyStack(c, LAB_STACK_FILE);
    // A no-op preview as every user gets it (Pulumi.yaml: transpile only; bench:typecheck has the type-check's cost).
    const p0 = Date.now();
    const p = await c.engine.preview(LAB_STACK_FILE, ["--expect-no-changes"]);
    if (p.code !== 0) throw new Error(`preview failed:\n${p.stdout.slice(-2000)}${p.stderr}`);
    const preview = (Date.now() - p0) / 1000;
    // The same with the engine's default: a checkpoint (serialized, never written) after every step.
    const c0 = Date.now();
    const pc = await c.engine.preview(LAB_STACK_FILE, ["--expect-no-changes"], { PULUMI_SKIP_CHECKPOINTS: "false" });
    if (pc.code !== 0) throw new Error(`preview failed:\n${pc.stdout.slice(-2000)}${pc.stderr}`);
    const previewCheckpoints = (Date.now() - c0) / 1000;
    const steps = (await c.engine.resources()).filter((r) => r.type === "command:remote:Command" && !r.outputs.delete);
    const r0 = Date.now();
    const replaced = await applyStack(c, LAB_STACK_FILE, { args: steps.flatMap((s) => ["--replace", s.urn]) });
    await waitNodesReady(state, config);
    const rerun = (Date.now() - r0) / 1000;
    const memory = rssMiB(labPids());
    down();
    const rows = [
        ["empty -> every node Ready (warm toolchain, images cached)", `${bringUp.toFixed(1)} s`],
        ...Object.entries(state.timings)
            .filter(([k]) => k !== "total")
            .map(([k, v]) => [`  of which: ${k}`, `${v.toFixed(1)} s`]),
        [
            "no-op `pulumi preview --expect-no-changes` (the lab's config set included; PULUMI_SKIP_CHECKPOINTS=true)",
            `${preview.toFixed(1)} s`,
        ],
        ["the same with the engine's checkpoints (PULUMI_SKIP_CHECKPOINTS=false)", `${previewCheckpoints.toFixed(1)} s`],
        [`\`pulumi up\` of the unchanged stack (${JSON.stringify(noop.summary)}; preview included)`, `${noop.seconds.toFixed(1)} s`],
        [
            `\`pulumi up\` replacing every step (${replaced.summary.replaced ?? 0} replaced), until every node is Ready`,
            `${rerun.toFixed(1)} s`,
        ],
        [`memory of the running cluster (RSS, ${config.nodes.length} nodes)`, `${memory.toFixed(0)} MiB`],
    ];
    process.stdout.write(["| measure | value |", "| --- | --- |", ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join("\n") + "\n");
}

main().catch((e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    if (isUp()) down();
    process.exit(1);
});
