// `npm run lab:cluster`: the lab becomes a real IPv6-only Kubernetes cluster, the way an operator
// makes one: the machines first (network namespaces on a provider network, each host a machine
// with its own mount and UTS namespaces and its sshd; the release site, the registry mirror and the
// DNS on the lab's IPv6 internet), then `pulumi up` of the program (lab/engine/labStack.ts) with the
// real engine, which does everything else in its own order: the PKI (tls), every host's steps over
// SSH (command), the cluster services (kubernetes).
import { diagnostics } from "../engine/engine";
import * as fs from "fs";
import { readStackFile } from "../../components/config/stackFile";
import type { StackConfig } from "../../components/config/types";
import type { AddressPlan } from "../../components/network/plan";
import { planStack } from "../../components/config/stackPlan";
import { CLUSTER_STACK } from "../config";
import { ensureEngine } from "../engine/engine";
import { ApplyOptions, ApplyResult, LabEngine } from "../engine/labStack";
import { timed, up as upNetwork } from "../lab";
import { eventually } from "../run";
import { LabState, saveState } from "../state";
import { MIRROR_ADDRESS, RELEASES_ADDRESS, labSources, startMirror, startReleaseSite } from "./distribution";
import { KUBECONFIG, kubectl, operatorState } from "./operator";
import { LAB_STACK_FILE, writeLabStack } from "./ssh";
import { startS3Store } from "./s3";
import { HostSteps, hostStepsFromState } from "./steps";
import { ToolchainDirs, Versions, ensureToolchain, imageSpecs, versionsOf } from "./toolchain";
import { LabRelease, atRelease, setStackRelease } from "./upgrade";

/** The stack must send the hosts to the lab's release site and mirror, nowhere else. */
function checkSources(config: StackConfig): void {
    const want = labSources(Object.keys(config.cluster.registryMirrors));
    const bad: string[] = [];
    for (const [k, v] of Object.entries(want.releaseBases)) {
        if (config.cluster.releaseBases[k as keyof typeof want.releaseBases] !== v) bad.push(`cluster.releaseBases.${k} must be ${v}`);
    }
    for (const [r, v] of Object.entries(want.registryMirrors))
        if (config.cluster.registryMirrors[r] !== v) bad.push(`cluster.registryMirrors.${r} must be ${v}`);
    for (const r of ["registry.k8s.io", "docker.io", "lab.local"])
        if (!(r in config.cluster.registryMirrors)) bad.push(`cluster.registryMirrors.${r} is missing`);
    if (bad.length)
        throw new Error(
            `lab: the cluster stack must use the lab's release site [${RELEASES_ADDRESS}] and mirror [${MIRROR_ADDRESS}]:\n  ${bad.join("\n  ")}`,
        );
}

export interface ClusterUpOptions {
    readonly stack?: string;
    readonly log?: (l: string) => void;
    /**
     * Start the cluster at this release instead of the stack's (the upgrade check: upgrade.ts); the
     * release site and the mirror then serve both, and Pulumi.lab.yaml names this one.
     */
    readonly upgradeFrom?: LabRelease;
}

/** The cluster lab: its machines, the stack it was applied with, and each host's steps as the engine sent them. */
export interface PreparedCluster {
    readonly state: LabState;
    /** The stack last applied (Pulumi.lab.yaml's, or a later lab:apply's). */
    config: StackConfig;
    plan: AddressPlan;
    /** Each host's steps from the engine's state (empty before the first apply). */
    steps: HostSteps[];
    readonly engine: LabEngine;
    readonly log: (l: string) => void;
    /** Runs `work`, timing it as a phase of the bring-up. */
    phase<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Everything before the program runs: the toolchain and the engine, the lab's machines with their
 * sshd, the release site, the mirror and the internet's DNS, and /run/v6k8s-lab/Pulumi.lab.yaml
 * (the stack file with each machine's host key).
 */
export async function prepareCluster(opts: ClusterUpOptions = {}): Promise<PreparedCluster> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const stack = opts.stack ?? CLUSTER_STACK;
    const config = readStackFile(stack);
    checkSources(config);
    const configs = opts.upgradeFrom ? [atRelease(config, opts.upgradeFrom), config] : [config];
    const t0 = Date.now();
    // The slow part on a cold machine; done before any namespace exists.
    const sets: { config: StackConfig; versions: Versions; dirs: ToolchainDirs }[] = [];
    for (const c of configs) sets.push({ config: c, versions: versionsOf(c), dirs: await ensureToolchain(versionsOf(c), log) });
    const { dirs } = sets.at(-1)!;
    await ensureEngine(log);
    const toolchainSeconds = (Date.now() - t0) / 1000;
    const state = await upNetwork({ stack, kubernetes: true, machinesOnly: true, log });
    const engine = await LabEngine.open(log);
    state.timings.toolchain = toolchainSeconds;
    const phase = <T>(name: string, work: () => Promise<T>): Promise<T> => timed(state, name, log, work, 1);
    await phase("release site, registry mirror and S3 store", async () => {
        await startReleaseSite(sets);
        const specs = sets.flatMap((s) => imageSpecs(s.config, s.dirs));
        await startMirror(
            specs.filter((s, i) => specs.findIndex((t) => t.ref === s.ref) === i),
            log,
        );
        await startS3Store(log);
    });
    await writeLabStack(stack, state.hosts);
    if (opts.upgradeFrom) setStackRelease(LAB_STACK_FILE, opts.upgradeFrom);
    // kubectl of the stack's release: one minor newer than the apiservers at most (the skew policy's allowance).
    state.cluster = operatorState(`${dirs.kubernetes}/kubectl`);
    saveState(state);
    return { state, config: configs[0], plan: planStack(configs[0]), steps: [], engine, log, phase };
}

/**
 * `pulumi up` of a stack file on the lab (default: Pulumi.lab.yaml), the engine's output shown as
 * it runs; then the admin kubeconfig from the stack's output and each host's steps from its state.
 * Throws when the engine fails, with the end of its output.
 */
export async function applyStack(c: PreparedCluster, stackFile = LAB_STACK_FILE, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const r = await c.engine.apply(stackFile, opts);
    if (r.code !== 0) {
        throw Object.assign(new Error(`lab: pulumi up of ${stackFile} failed (exit ${r.code}):\n${diagnostics(r.stdout + r.stderr)}`), {
            result: r,
        });
    }
    await refresh(c, stackFile);
    return r;
}

/** After an apply: the stack it applied, the admin kubeconfig, each host's steps. */
export async function refresh(c: PreparedCluster, stackFile = LAB_STACK_FILE): Promise<void> {
    c.config = readStackFile(stackFile);
    c.plan = planStack(c.config);
    const outputs = await c.engine.outputs();
    fs.writeFileSync(KUBECONFIG, String(outputs.kubeconfig), { mode: 0o600 });
    const resources = await c.engine.resources();
    c.steps = hostStepsFromState(c.config, c.state.hosts, resources);
    c.state.publicKeys = Object.fromEntries(c.steps.map((s) => [s.host.name, keyOf(resources, s.host.name)]));
    saveState(c.state);
}

const keyOf = (resources: Awaited<ReturnType<LabEngine["resources"]>>, name: string): string =>
    String(resources.find((r) => r.name === `node-${name}-wireguard-key`)?.outputs.stdout ?? "").trim();

/**
 * From a prepared lab: `pulumi up` of Pulumi.lab.yaml (`apply: false`: the caller's apply did it,
 * only the lab's view is read from the state), then every node Ready.
 */
export async function finishCluster(c: PreparedCluster, opts: { apply?: boolean } = {}): Promise<void> {
    const { state, phase } = c;
    if (opts.apply === false) await refresh(c);
    else {
        await phase("pulumi up (the real engine: PKI, every host's steps over SSH, the cluster services)", async () => {
            const r = await applyStack(c, LAB_STACK_FILE, { onLine: (l) => c.log(`pulumi: ${l}`) });
            c.log(`lab: pulumi up: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        });
    }
    await phase("nodes Ready", () => waitNodesReady(state, c.config));
    state.timings.total = Object.entries(state.timings)
        .filter(([k]) => k !== "total")
        .reduce((a, [, v]) => a + v, 0);
    saveState(state);
}

export async function upCluster(opts: ClusterUpOptions = {}): Promise<PreparedCluster> {
    const c = await prepareCluster(opts);
    await finishCluster(c);
    return c;
}

/** Waits until every node of the stack is registered and Ready. */
export async function waitNodesReady(state: LabState, config: StackConfig, timeoutMs = 300_000): Promise<void> {
    // `kubectl wait` fails at once for a node that has not registered yet.
    const names = config.nodes.map((n) => n.name);
    const registered = await eventually(
        async () => {
            const r = await kubectl(state.cluster!, ["get", "nodes", "-o", "name"], { allowFail: true });
            return names.every((n) => r.stdout.includes(`node/${n}\n`));
        },
        timeoutMs,
        2000,
    );
    if (!registered) throw new Error(`lab: not every node registered within ${timeoutMs / 1000} s`);
    const r = await kubectl(
        state.cluster!,
        ["wait", "--for=condition=Ready", `--timeout=${Math.round(timeoutMs / 1000)}s`, ...config.nodes.map((n) => `node/${n.name}`)],
        {
            allowFail: true,
            timeoutMs: timeoutMs + 10_000,
        },
    );
    if (r.code !== 0) throw new Error(`lab: nodes not Ready: ${(r.stderr || r.stdout).trim()}`);
}
