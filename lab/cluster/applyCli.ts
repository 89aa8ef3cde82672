// npm run lab:apply [-- --stack FILE] [-- PULUMI-UP-ARGS...]
//   `pulumi up --stack lab --yes` of FILE (default /run/v6k8s-lab/Pulumi.lab.yaml, the stack the
//   bring-up wrote) on the running cluster lab, with the real engine from the operator's namespace
//   (lab/engine/labStack.ts); the engine's own output as it runs, its exit code. A node the stack
//   adds gets a machine first, as hcloud would create a server; a node it drops keeps its machine,
//   as a Robot server does. E.g. copy the file, add a worker, and apply the copy.
// npm run -s lab:ssh -- NODE -- COMMAND...
//   COMMAND on NODE over its SSH, as the operator (the lab key, the pinned host key); stdout and
//   stderr untouched, the exit code passed through.
import { parseArgs } from "util";
import { exitWith } from "../owner";
import { requireRoot } from "../preflight";
import { hostNamed, requireState } from "../state";
import { runInherited } from "../run";
import { LAB_STACK_FILE, sshArgv } from "./ssh";
import { openCluster, applyToLab } from "./labApply";

async function apply(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args: argv, options: { stack: { type: "string" } }, allowPositionals: true });
    const c = await openCluster();
    const r = await applyToLab(c, values.stack ?? LAB_STACK_FILE, {
        args: positionals,
        onLine: (l) => process.stdout.write(`${l}\n`),
    });
    return r.code;
}

async function ssh(argv: string[]): Promise<number> {
    const sep = argv.indexOf("--");
    const [node, ...rest] = sep < 0 ? argv : [...argv.slice(0, sep), ...argv.slice(sep + 1)];
    if (!node || rest.length === 0) {
        process.stderr.write("usage: npm run -s lab:ssh -- NODE -- COMMAND...\n");
        return 2;
    }
    return runInherited(sshArgv(hostNamed(requireState(), node), rest.join(" ")));
}

async function main([command, ...rest]: string[]): Promise<number> {
    requireRoot();
    if (command === "apply") return apply(rest);
    if (command === "ssh") return ssh(rest);
    process.stderr.write("usage: ts-node lab/cluster/applyCli.ts apply [--stack FILE] | ssh NODE -- COMMAND...\n");
    return 2;
}

exitWith(main(process.argv.slice(2)));
