// npm run bench:lab:day2: measurements, not tests (root). On the cluster stack, warm toolchain: each
// day-2 operation of checks 1a, 7c and 7d as one `lab:apply` (the real engine) with the workload
// and the apiservers probed once a second from lab1 (day2.ts): the upgrade from the release one
// minor back (upgrade.ts: the lab starts there; probed from lab1's machine, as every node is
// drained once); grow a worker that also carries the public service, its leaving run, its removal;
// then a control-plane node joining etcd, its leaving run, its removal. Per operation: the engine's wall clock and changes, and each probe's
// longest gap between two answers. Prints a Markdown table; the checks assert, this only measures.
import { guardRun, takeOverLab } from "../owner";
import { isUp } from "../preflight";
import { down } from "../teardown";
import { startToolboxes } from "./checks";
import { applyProbed, startHostProbes, startWorkload } from "./day2";
import { readStackFile } from "../../components/config/stackFile";
import { CLUSTER_STACK } from "../config";
import { UPGRADE_FROM, releaseOf, setStackRelease } from "./upgrade";
import { setCluster } from "./session";
import { LAB_STACK_FILE } from "./ssh";
import { upCluster } from "./up";
import { CP4, W2, withNode } from "./variants";

async function main(): Promise<void> {
    guardRun();
    takeOverLab((l) => process.stderr.write(`${l}\n`));
    const c = await upCluster({ log: () => undefined, upgradeFrom: UPGRADE_FROM });
    setCluster(c);
    await startWorkload(["w1", "lab2"], "lab1", { fromMachine: true });
    const target = releaseOf(readStackFile(CLUSTER_STACK));
    const upgrade = async () => {
        setStackRelease(LAB_STACK_FILE, target);
        return LAB_STACK_FILE;
    };
    const rows: string[][] = [];
    const measure = async (what: string, file: string, probes?: typeof startHostProbes) => {
        const { r, probes: results } = await applyProbed(file, { probes });
        if (r.code !== 0) throw new Error(`${what}: pulumi up failed (exit ${r.code}):\n${r.stdout.slice(-3000)}${r.stderr}`);
        const gap = (name: string) => results.find((p) => p.name.startsWith(name))!.longestGapSeconds.toFixed(1);
        rows.push([what, `${r.seconds.toFixed(1)} s`, JSON.stringify(r.summary), `${gap("workload")} s`, `${gap("apiservers")} s`]);
    };
    await measure(
        `upgrade ${UPGRADE_FROM.kubernetesVersion} -> ${target.kubernetesVersion} (probes from lab1's machine)`,
        await upgrade(),
        startHostProbes,
    );
    // The toolbox pods after the upgrade: its drains would refuse pods without a controller.
    await startToolboxes();
    const operations: [string, () => Promise<string>][] = [
        ["grow: worker w2 (also a host of the public service)", () => withNode("bench-grow-w2", W2, false)],
        ["shrink, run 1: w2 `leaving: true` (drain, stop, wipe)", () => withNode("bench-leave-w2", W2, true)],
        ["shrink, run 2: w2 removed from `nodes` (mesh drops it)", async () => LAB_STACK_FILE],
        ["grow: control-plane node cp4 joins etcd (`joinEtcd: true`)", () => withNode("bench-grow-cp4", CP4, false)],
        ["shrink, run 1: cp4 `leaving: true` (member remove, drain, wipe)", () => withNode("bench-leave-cp4", CP4, true)],
        ["shrink, run 2: cp4 removed from `nodes`", async () => LAB_STACK_FILE],
    ];
    for (const [what, file] of operations) await measure(what, await file());
    down();
    const header = ["operation", "pulumi up", "changes", "longest gap: workload by name", "longest gap: apiservers via [::1]:7445"];
    process.stdout.write(
        [`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n") +
            "\n",
    );
}

main().catch((e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    if (isUp()) down();
    process.exit(1);
});
