// npm run bench: validation + address plan for 3, 30 and 300 nodes (median of repeated runs), then
// the whole program at 30 and 300 nodes (bench/scale.ts). Not a test: it prints numbers for the
// README. The 300-node plan must stay well under 2 s; the whole program's goals are scale.ts's.
import { performance } from "perf_hooks";
import { validateStackConfig } from "../components/config/load";
import { planToJson } from "../components/network/plan";
import { planStack } from "../components/config/stackPlan";
import { sizedConfig } from "../test/support/fixtures";
import { runScaleBench } from "./scale";

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function timeOnce(n: number): number {
    const raw = sizedConfig(n);
    const t0 = performance.now();
    const plan = planToJson(planStack(validateStackConfig(raw)));
    const ms = performance.now() - t0;
    if (plan.nodes.length !== n) throw new Error(`planned ${plan.nodes.length} nodes, expected ${n}`);
    return ms;
}

const sizes = [3, 30, 300];
for (let i = 0; i < 5; i++) sizes.forEach(timeOnce); // warm up the JIT
const results = sizes.map((n) => ({ n, ms: median(Array.from({ length: 21 }, () => timeOnce(n))) }));
console.log("nodes  median ms  ms/node");
for (const { n, ms } of results) console.log(`${String(n).padStart(5)}  ${ms.toFixed(2).padStart(9)}  ${(ms / n).toFixed(3).padStart(7)}`);
const [, r30, r300] = results;
console.log(`300/30 cost ratio: ${(r300.ms / r30.ms).toFixed(1)} (10 = linear)`);
if (r300.ms > 2000) {
    console.error("300 nodes took over 2 s");
    process.exitCode = 1;
}
if (runScaleBench().length > 0) process.exitCode = 1;
