// Applying a stack file to the running cluster lab with the real engine (`npm run lab:apply`): the
// machines the stack needs first (a node without one gets one, as hcloud would create a server,
// its host key written into the file the engine gets; a node the stack drops keeps its machine, as
// a Robot server does), then `pulumi up` (up.ts applyStack).
import * as fs from "fs";
import * as path from "path";
import { Document, parseDocument } from "yaml";
import { projectName } from "../../components/config/stackFile";
import { readStackFile } from "../../components/config/stackFile";
import { planStack } from "../../components/config/stackPlan";
import { ApplyOptions, ApplyResult, LabEngine, PULUMI_DIR } from "../engine/labStack";
import { addMachine, timed } from "../lab";
import { requireState } from "../state";
import { LAB_STACK_FILE, writeLabStack } from "./ssh";
import { PreparedCluster, applyStack, refresh } from "./up";

/** The cluster lab another process brought up, with its engine and the stack last applied. */
export async function openCluster(log: (l: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<PreparedCluster> {
    const state = requireState();
    if (!state.cluster) throw new Error("lab: the running lab has no cluster (npm run lab:cluster brings one up)");
    const engine = await LabEngine.open(log);
    const config = readStackFile(LAB_STACK_FILE);
    const c: PreparedCluster = {
        state,
        config,
        plan: planStack(config),
        steps: [],
        engine,
        log,
        phase: (name, work) => timed(state, name, log, work, 1),
    };
    return c;
}

/**
 * `pulumi up` of `stackFile` on the lab: machines for its new nodes first. Resolves with the
 * engine's result, also when it failed (the caller reports it); the lab's view (kubeconfig, steps)
 * is refreshed after a success.
 */
export async function applyToLab(c: PreparedCluster, stackFile: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const config = readStackFile(stackFile);
    const added: string[] = [];
    for (const n of config.nodes) {
        if (c.state.hosts.some((h) => h.name === n.name)) continue;
        await c.phase(`a machine for ${n.name} (new in the stack)`, () => addMachine(c.state, config, n.name));
        added.push(n.name);
    }
    const file = added.length
        ? await writeLabStack(stackFile, c.state.hosts, {
              only: added,
              out: path.join(PULUMI_DIR, `with-new-machines-${path.basename(stackFile)}`),
          })
        : stackFile;
    try {
        return await applyStack(c, file, opts);
    } catch (e) {
        const result = (e as { result?: ApplyResult }).result;
        if (!result) throw e;
        await refresh(c, file).catch(() => undefined);
        return result;
    }
}

/**
 * A variant of Pulumi.lab.yaml (a check's stack edit): `edit` gets the YAML document and the
 * config key prefix ("v6k8s:"); the file is written under /run/v6k8s-lab/pulumi/stacks/NAME.yaml.
 */
export function stackVariant(name: string, edit: (doc: Document, key: (k: string) => string) => void, from = LAB_STACK_FILE): string {
    const doc = parseDocument(fs.readFileSync(from, "utf8"));
    edit(doc, (k) => `${projectName()}:${k}`);
    const dir = path.join(PULUMI_DIR, "stacks");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, doc.toString());
    return file;
}
