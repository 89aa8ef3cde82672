// npm run bench:tests: runs the whole suite (`mocha` with the project's .mocharc) once and prints
// its wall time, the counts, the machine's load and the ten slowest tests and hooks. A benchmark,
// not a test: nothing here asserts a time. It exits non-zero if a test failed.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import type { Timing, TimingReport } from "./timings";

const ROOT = path.join(__dirname, "..");
const MOCHA = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");

const load = () =>
    os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ");
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function slowest(label: string, timings: Timing[], n: number): void {
    console.log(`\n${label}:`);
    for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, n)) {
        console.log(`${String(t.ms).padStart(7)} ms  ${t.title}  (${path.relative(ROOT, t.file ?? "")})`);
    }
}

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-bench-tests-")), "timings.json");
const loadBefore = load();
const t0 = performance.now();
// The same node that runs this script (npm's node@22), the same .mocharc; only the reporter differs.
const run = spawnSync(
    process.execPath,
    [MOCHA, "--reporter", path.join(__dirname, "timingReporter.ts"), "--reporter-option", `output=${out}`],
    {
        cwd: ROOT,
        stdio: "inherit",
    },
);
const wall = performance.now() - t0;
if (!fs.existsSync(out)) {
    console.error(`mocha wrote no timings (exit ${run.status}${run.signal ? `, ${run.signal}` : ""})`);
    process.exit(1);
}
const report = JSON.parse(fs.readFileSync(out, "utf8")) as TimingReport;

console.log(`\nsuite wall time   ${seconds(wall)}`);
console.log(`tests             ${report.passes} passing, ${report.failures.length} failing, ${report.pending} pending`);
const mocharc = JSON.parse(fs.readFileSync(path.join(ROOT, ".mocharc.json"), "utf8")) as { parallel?: boolean; jobs?: number };
console.log(`mocha             ${mocharc.parallel ? `parallel, ${mocharc.jobs ?? "default"} jobs` : "serial"} (.mocharc.json)`);
console.log(`machine           ${os.cpus().length} CPUs, load average (1/5/15 min) ${loadBefore} before, ${load()} after`);
slowest("ten slowest tests", report.tests, 10);
slowest("five slowest hooks (shared program runs are paid here)", report.hooks, 5);
for (const f of report.failures) console.log(`\nFAILED ${f.title}\n  ${f.message}`);
process.exitCode = report.failures.length > 0 || run.status !== 0 ? 1 : 0;
