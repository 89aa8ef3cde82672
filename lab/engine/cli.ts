// `npm run lab:engine -- <pulumi args>`: the real Pulumi engine on the lab's services stack, by hand,
// against a running cluster lab (npm run lab:cluster). State and PULUMI_HOME live in
// /run/v6k8s-lab/engine (gone with npm run lab:down); the stack `lab` is created on first use. E.g.
//   npm run lab:engine -- up --yes        npm run lab:engine -- preview --diff
//   npm run lab:engine -- config set v6k8s-lab-engine:corednsReplicas 3
//   npm run lab:engine -- destroy --yes
// Objects the bring-up applied with kubectl exist already: delete them first (see 6-engine.ts).
import * as fs from "fs";
import * as path from "path";
import { STATE_DIR } from "../config";
import { EngineStack, engineToolchain } from "./engine";

async function main(): Promise<number> {
    const { bin, missing } = engineToolchain();
    if (missing.length > 0) {
        process.stderr.write(
            `lab engine: missing ${missing.join(", ")} in ${bin}: tools/pulumi-toolchain.sh --only pulumi,language-nodejs,kubernetes\n`,
        );
        return 1;
    }
    if (!fs.existsSync(STATE_DIR)) {
        process.stderr.write("lab engine: no cluster lab is up (npm run lab:cluster)\n");
        return 1;
    }
    const dir = path.join(STATE_DIR, "engine");
    const fresh = !fs.existsSync(path.join(dir, "state"));
    const stack = new EngineStack(bin, "lab", dir);
    if (fresh) await stack.init();
    const args = process.argv.slice(2);
    const r = await stack.pulumi([...args, "--stack", stack.name], { allowFail: true, timeoutMs: 1_800_000 });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.code;
}

main().then(
    (code) => process.exit(code),
    (e: Error) => {
        process.stderr.write(`lab engine: ${e.message}\n`);
        process.exit(1);
    },
);
