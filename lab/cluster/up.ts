// `npm run lab:cluster`: the lab becomes a real IPv6-only Kubernetes cluster. The network lab
// first (hosts, mesh, NAT64, upstream DNS; lab.ts), then what production does next: the release
// site and the registry mirror on the lab's IPv6 internet, each host's machine (its own mount and
// UTS namespaces), the PKI, every host's Kubernetes steps as the program sends them, and the
// cluster services from the program's own objects.
import { readStackFile } from "../../components/config/stackFile";
import type { StackConfig } from "../../components/config/types";
import type { AddressPlan } from "../../components/network/plan";
import { planStack } from "../../components/config/stackPlan";
import { CLUSTER_STACK } from "../config";
import { timed, up as upNetwork } from "../lab";
import { eventually } from "../run";
import { LabState, hostNamed, saveState } from "../state";
import { HostSteps, bootstrapKubernetes, hostSteps } from "./bootstrap";
import { MIRROR_ADDRESS, RELEASES_ADDRESS, labSources, startMirror, startReleaseSite } from "./distribution";
import { applyObjects, kubectl, operatorState, programObjects, writeAdminKubeconfig } from "./operator";
import { issueLabPki } from "./pki";
import { writeLabStack } from "./ssh";
import { ensureToolchain, imageSpecs, versionsOf } from "./toolchain";

export interface ClusterUp {
    readonly state: LabState;
    readonly config: StackConfig;
    readonly steps: HostSteps[];
}

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
}

export interface PreparedCluster extends ClusterUp {
    readonly plan: AddressPlan;
    readonly log: (l: string) => void;
    /** Runs `work`, timing it as a phase of the bring-up. */
    phase<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Everything before the first Kubernetes step: the toolchain, the network lab, the release site
 * and the mirror, every host's machine, the PKI and each host's steps.
 */
export async function prepareCluster(opts: ClusterUpOptions = {}): Promise<PreparedCluster> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const stack = opts.stack ?? CLUSTER_STACK;
    const config = readStackFile(stack);
    checkSources(config);
    const versions = versionsOf(config);
    const t0 = Date.now();
    // The slow part on a cold machine; done before any namespace exists.
    const dirs = await ensureToolchain(versions, log);
    const toolchainSeconds = (Date.now() - t0) / 1000;
    const state = await upNetwork({ stack, kubernetes: true, log });
    state.timings.toolchain = toolchainSeconds;
    const phase = <T>(name: string, work: () => Promise<T>): Promise<T> => timed(state, name, log, work, 1);
    await phase("release site and registry mirror", async () => {
        await startReleaseSite(versions, dirs);
        await startMirror(imageSpecs(config, dirs), log);
    });
    await writeLabStack(stack, state.hosts);
    const plan = planStack(config);
    const pki = issueLabPki(
        config,
        plan,
        config.nodes.map((n) => hostNamed(state, n.name).publicAddress),
    );
    const steps = hostSteps(config, state.hosts, pki, state.publicKeys ?? {});
    state.cluster = operatorState(`${dirs.kubernetes}/kubectl`);
    writeAdminKubeconfig(pki, steps.find((s) => s.controlPlane)!.host);
    saveState(state);
    return { state, config, steps, plan, log, phase };
}

/** From a prepared lab: every host's steps, the cluster services, every node Ready. */
export async function finishCluster(c: PreparedCluster): Promise<void> {
    const { state, config, steps, plan, phase } = c;
    await phase("kubernetes: every host's steps, control plane first", () => bootstrapKubernetes(steps, c.log));
    await phase("cluster services (kubectl apply of the program's objects)", async () => {
        await applyObjects(state.cluster!, programObjects(config, plan, state.hosts));
    });
    await phase("nodes Ready", () => waitNodesReady(state, config));
    state.timings.total = Object.entries(state.timings)
        .filter(([k]) => k !== "total")
        .reduce((a, [, v]) => a + v, 0);
    saveState(state);
}

export async function upCluster(opts: ClusterUpOptions = {}): Promise<ClusterUp> {
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
