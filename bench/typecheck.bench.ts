// npm run bench:typecheck: what a type-check costs every `pulumi preview` and `up`, measured on the
// program's part of a run: loading index.ts and everything it imports through ts-node, as the SDK's
// `pulumi` run does, in fresh processes. "transpile only" is the project's setting (Pulumi.yaml's
// tsconfig.pulumi.json, noCheck); "type-checked" is ts-node's default with tsconfig.json (what a
// run cost before). The load ends where the program asks the engine for its config (outside a
// Pulumi run that throws; the time to it is the compile). The engine adds its own work on top
// (registrations, diffs), the same in both: bench:lab:cluster times a real no-op preview.
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// Prints the wall time to the config read, and the peak RSS, as one JSON line, then exits.
const PROBE = `
const t0 = process.hrtime.bigint();
process.on("exit", () => {
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(JSON.stringify({ seconds: s, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\\n");
});
try { require(${JSON.stringify(path.join(ROOT, "index.ts"))}); } catch (e) { if (!/config|project|stack/i.test(String(e))) { console.error(e); process.exitCode = 2; } }
`;

function once(project: string, transpileOnly: boolean): { seconds: number; maxRssMb: number } {
    const r = spawnSync(process.execPath, ["-r", require.resolve("ts-node/register"), "-e", PROBE], {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, project), TS_NODE_TRANSPILE_ONLY: String(transpileOnly) },
        encoding: "utf8",
    });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    if (r.status !== 0 || !line.startsWith("{")) throw new Error(`probe failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    return JSON.parse(line) as { seconds: number; maxRssMb: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const variants = [
    { label: "transpile only (tsconfig.pulumi.json: the project's default)", project: "tsconfig.pulumi.json", transpileOnly: true },
    { label: "type-checked (tsconfig.json, ts-node's default)", project: "tsconfig.json", transpileOnly: false },
];
const samples = variants.map(() => [] as { seconds: number; maxRssMb: number }[]);
for (let i = 0; i < RUNS; i++) variants.forEach((v, j) => samples[j].push(once(v.project, v.transpileOnly)));
const rows = variants.map((v, j) => ({
    label: v.label,
    seconds: median(samples[j].map((s) => s.seconds)),
    rss: median(samples[j].map((s) => s.maxRssMb)),
}));
process.stdout.write(
    [
        `program load (index.ts and its imports), median of ${RUNS} fresh processes:`,
        "| variant | seconds | peak RSS MB |",
        "| --- | --- | --- |",
        ...rows.map((r) => `| ${r.label} | ${r.seconds.toFixed(2)} | ${r.rss.toFixed(0)} |`),
        `type-check costs ${(rows[1].seconds - rows[0].seconds).toFixed(2)} s and ${(rows[1].rss - rows[0].rss).toFixed(0)} MB per run`,
        "",
    ].join("\n"),
);
