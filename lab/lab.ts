// Bringing the lab up: the stack file through the project's own config reader, address plan and
// renderers; namespaces as hosts on a provider network; every host prepared in parallel with the
// rendered commands; pods from the rendered CNI conflist; the NAT64 gateway; DNS.
import * as fs from "fs";
import { readStackFile } from "../components/config/stackFile";
import type { ClusterConfig, NodeConfig, StackConfig } from "../components/config/types";
import { dns64PrefixOf } from "../components/dns/render/corefile";
import { RenderedHost, renderStack } from "../components/offline";
import { formatV6 } from "../components/network/prefix";
import { planStack } from "../components/config/stackPlan";
import {
    DEFAULT_STACK,
    DNS_POD,
    HOSTS_DIR,
    LOG_DIR,
    PID_DIR,
    POD_SEARCH,
    RA_UPLINK_HOST,
    TEST_POD,
    assertLabAddress,
    hostNs,
    hostUplinkLinkLocal,
} from "./config";
import { ensureCoredns, startClusterDns, startUpstreamDns } from "./coredns";
import { HostExec, gatewayHost, hostDnsStep, labNat64Files, meshHost, nat64Host, prepareHost } from "./apply";
import { KUBERNETES_STATE_DIRS, bootMachine } from "./cluster/machine";
import { startSshd, sshOnHost } from "./cluster/ssh";
import { bindsFor, ensureMountPoints, prepareRoot } from "./machines";
import { addNetns } from "./netns";
import { addPod, setPodResolver } from "./pods";
import { AlreadyUpError, checkTools, isUp } from "./preflight";
import { waitMesh, waitSettled } from "./readiness";
import { startInternetServers, startStandIns } from "./servers";
import { DnsState, LabHost, LabState, saveState } from "./state";
import { buildInternet, plugHost, startRouterAdvertisements } from "./topology";

export interface UpOptions {
    /** Stack file; default lab/stacks/lab.yaml. */
    readonly stack?: string;
    /** Start DNS (CoreDNS); default true. */
    readonly dns?: boolean;
    readonly log?: (line: string) => void;
    /**
     * Prepare the hosts for a real Kubernetes (the cluster lab): their own directories for what
     * Kubernetes keeps, no stand-in listeners and no hand-made pods (the kubelet makes pods), and
     * DNS only upstream (the cluster's CoreDNS is a real Deployment then).
     */
    readonly kubernetes?: boolean;
    /**
     * With kubernetes: the machines only (their namespaces, uplinks, sshd) and the internet's
     * servers; every step of the program is left to `pulumi up` (lab/engine/labStack.ts).
     */
    readonly machinesOnly?: boolean;
}

/** One lab host from its stack node and what renderStack made of it (addresses checked first). */
function labHost(node: NodeConfig, cluster: ClusterConfig, rendered: RenderedHost, extraBinds: readonly string[] = []): LabHost {
    if (node.kind !== "dedicated") throw new Error(`lab: node ${node.name} is kind ${node.kind}; the lab has dedicated hosts only`);
    const net = rendered.net;
    const files = [...rendered.files.keys()];
    const host: LabHost = {
        name: node.name,
        index: node.index,
        ns: hostNs(node.name),
        root: `${HOSTS_DIR}/${node.name}`,
        binds: [],
        gua: node.gua.toString(),
        publicAddress: formatV6(node.publicAddress),
        uplinkLinkLocal: hostUplinkLinkLocal(node.index),
        ipv4: node.ipv4 ?? null,
        ula: net.ula,
        wireguardAddress: net.wireguardAddress,
        podUla: net.podUla.subnet,
        podGua: net.podGua.subnet,
        nat64: net.nat64,
        nat64Pool: net.nat64 === null ? null : cluster.nat64Pool,
    };
    // A Kubernetes host also gets its own directories for the Kubernetes files (and extraBinds),
    // and for production's whole gateway step (the DNS64 resolver's too) on an IPv4 host.
    const kubernetesFiles = extraBinds.length > 0 ? [...rendered.kubernetes.keys(), ...rendered.gateway.keys()] : [];
    const withNat64 = [...files, ...labNat64Files(host).keys(), ...kubernetesFiles];
    for (const a of [
        host.gua,
        host.publicAddress,
        host.ula,
        host.podUla,
        host.podGua,
        ...(host.ipv4 ? [host.ipv4] : []),
        ...(host.nat64 ? [host.nat64] : []),
        ...(host.nat64Pool ? [host.nat64Pool.ipv4Address, host.nat64Pool.dynamicPool] : []),
    ]) {
        assertLabAddress(a);
    }
    return { ...host, binds: [...new Set([...bindsFor(withNat64), ...extraBinds])].sort() };
}

/** The stack's hosts; `raHost` (if any) gets its default route from router advertisements. */
function labHosts(config: StackConfig, rendered: readonly RenderedHost[], extraBinds: readonly string[], raHost: string | null): LabHost[] {
    return config.nodes.map((node, i) => ({
        ...labHost(node, config.cluster, rendered[i], extraBinds),
        ...(node.name === raHost && { uplinkByRouterAdvertisements: true }),
    }));
}

/** Production's steps 1-3 on one host, on its own disk: files, activate, wireguard-key. Returns its public key. */
async function prepareLabHost(host: LabHost, rendered: RenderedHost, exec?: HostExec): Promise<string> {
    prepareRoot(host.root, host.binds);
    return prepareHost(host, rendered, exec);
}

/**
 * Step 4 on one host (the mesh), then what runs there: the NAT64 gateway (IPv4 hosts), the
 * stand-in listeners. Over SSH (the cluster lab) the gateway is production's own step, files then
 * activate (Tayga, the inbound DNAT and the unbound DNS64 resolver, started by the unit glue); the
 * network lab, whose systemctl glue only logs, runs its NAT64 part itself (nat64Host).
 */
export async function startLabHost(host: LabHost, rendered: RenderedHost, standIns = true, exec?: HostExec): Promise<void> {
    await meshHost(host, rendered, exec);
    if (exec && rendered.gateway.size > 0) await gatewayHost(host, rendered, exec);
    else await nat64Host(host, "start");
    if (standIns) await startStandIns(host);
}

/**
 * One more host of `config` in a running lab, brought up by the same steps as up() brings up each
 * host, up to its public key: recorded in the state first (so `lab:down` knows it at any point),
 * its mount points, namespace and provider link, then files, activate, wireguard-key. Its mesh
 * (startLabHost) is the caller's: it needs every key, and production runs it together with the
 * other hosts' mesh updates.
 */
export async function addHost(state: LabState, config: StackConfig, name: string): Promise<{ host: LabHost; publicKey: string }> {
    const i = config.nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`lab: ${name} is not a node of the stack`);
    if (state.hosts.some((h) => h.name === name)) throw new Error(`lab: ${name} is already up`);
    const rendered = renderStack(config)[i];
    const host = labHost(config.nodes[i], config.cluster, rendered);
    state.hosts.push(host);
    saveState(state);
    state.mountPoints.push(...ensureMountPoints(host.binds));
    saveState(state);
    await addNetns(host.ns);
    await plugHost(host);
    return { host, publicKey: await prepareLabHost(host, rendered) };
}

/**
 * One more machine for a node of `config` in a running cluster lab, as hcloud creates a server:
 * recorded in the state first (so `lab:down` knows it at any point), its mount points, namespace
 * and provider link, its machine and sshd. Nothing of the program runs on it: that is `pulumi up`'s.
 */
export async function addMachine(state: LabState, config: StackConfig, name: string): Promise<LabHost> {
    const i = config.nodes.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`lab: ${name} is not a node of the stack`);
    if (state.hosts.some((h) => h.name === name)) throw new Error(`lab: ${name} already has a machine`);
    const host = labHost(config.nodes[i], config.cluster, renderStack(config)[i], KUBERNETES_STATE_DIRS);
    state.hosts.push(host);
    saveState(state);
    state.mountPoints.push(...ensureMountPoints(host.binds));
    saveState(state);
    await addNetns(host.ns);
    await plugHost(host);
    prepareRoot(host.root, host.binds);
    await bootMachine(host);
    await startSshd(host);
    return host;
}

/** Runs a phase of a bring-up: its seconds go into the state's timings and the log (`digits` decimals). */
export async function timed<T>(state: LabState, phase: string, log: (l: string) => void, work: () => Promise<T>, digits = 2): Promise<T> {
    const t0 = process.hrtime.bigint();
    const result = await work();
    state.timings[phase] = Number(process.hrtime.bigint() - t0) / 1e9;
    log(`lab: ${phase} ${state.timings[phase].toFixed(digits)} s`);
    saveState(state);
    return result;
}

/** The same network files: the files and activate commands (e.g. with and without the WireGuard keys). */
export function sameNetworkFiles(a: RenderedHost, b: RenderedHost): boolean {
    return a.commands.files === b.commands.files && a.commands.activate === b.commands.activate;
}

/**
 * Brings the lab up and returns its state. Throws (leaving the teardown to the caller, which must
 * always call down()) when anything fails.
 */
export async function up(opts: UpOptions = {}): Promise<LabState> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    if (isUp()) throw new AlreadyUpError();
    checkTools();
    const stack = opts.stack ?? DEFAULT_STACK;
    const config = readStackFile(stack);
    const first = renderStack(config);
    const k8s = opts.kubernetes === true;
    // The network lab has one host configured by router advertisements; the cluster lab's are static.
    const hosts = labHosts(config, first, k8s ? KUBERNETES_STATE_DIRS : [], k8s ? null : RA_UPLINK_HOST);
    const state: LabState = {
        stack,
        startedAt: new Date().toISOString(),
        mountPoints: [],
        hosts,
        pods: [],
        dns: { status: "skipped", reason: "not started" },
        timings: {},
    };
    for (const d of [PID_DIR, LOG_DIR, HOSTS_DIR]) fs.mkdirSync(d, { recursive: true });
    saveState(state);
    state.mountPoints = ensureMountPoints(new Set(hosts.flatMap((h) => h.binds)));
    saveState(state);
    const t0 = Date.now();
    const settle = () =>
        timed(state, "settle: addresses and mesh handshakes", log, async () => {
            await waitSettled(state);
            await waitMesh(state);
        });
    const done = (): LabState => {
        state.timings.total = (Date.now() - t0) / 1000;
        saveState(state);
        return state;
    };
    // Built (first run only) while the hosts come up; a failure becomes a reason, never a rejection.
    const corednsBuild =
        opts.dns === false ? undefined : ensureCoredns().catch((e: Error) => ({ reason: `CoreDNS build could not run: ${e.message}` }));

    await timed(state, "namespaces and provider network", log, async () => {
        await Promise.all([buildInternet(), ...hosts.map((h) => addNetns(h.ns))]);
        await Promise.all(hosts.map(plugHost));
        await startRouterAdvertisements(hosts);
    });
    // The cluster lab's hosts are servers as the program meets them: booted (their machine), sshd
    // on the public address; every step then goes over SSH (cluster/ssh.ts).
    const exec: HostExec | undefined = k8s ? sshOnHost : undefined;
    if (k8s) {
        await timed(state, "machines and their sshd", log, () =>
            Promise.all(
                hosts.map(async (h) => {
                    prepareRoot(h.root, h.binds);
                    await bootMachine(h);
                    await startSshd(h);
                }),
            ),
        );
    }
    if (k8s && opts.machinesOnly) {
        const coredns = await (corednsBuild ?? Promise.resolve({ reason: "DNS not requested" }));
        if ("reason" in coredns) throw new Error(`lab: the lab's upstream DNS needs CoreDNS: ${coredns.reason}`);
        await timed(state, "the internet's DNS and web servers", log, () =>
            Promise.all([startUpstreamDns(coredns.binary), startInternetServers()]),
        );
        return done();
    }
    // Production's order per host; all hosts at once (Promise.all), as Pulumi runs them.
    const keys = await timed(state, "hosts: files, activate, wireguard-key", log, async () =>
        Promise.all(hosts.map((h, i) => prepareLabHost(h, first[i], exec))),
    );
    const publicKeys = Object.fromEntries(hosts.map((h, i) => [h.name, keys[i]]));
    state.publicKeys = publicKeys;
    const rendered = renderStack(config, { publicKeys });
    rendered.forEach((r, i) => {
        if (!sameNetworkFiles(r, first[i])) throw new Error(`lab: ${r.net.name}'s network files changed when the keys were added`);
    });
    await timed(state, "mesh, NAT64, stand-in listeners", log, () =>
        Promise.all(hosts.map((h, i) => startLabHost(h, rendered[i], !k8s, exec))),
    );
    if (k8s) {
        await settle();
        const coredns = await (corednsBuild ?? Promise.resolve({ reason: "DNS not requested" }));
        if ("reason" in coredns) throw new Error(`lab: the lab's upstream DNS needs CoreDNS: ${coredns.reason}`);
        await Promise.all([startUpstreamDns(coredns.binary), startInternetServers()]);
        // Production's host DNS step, once the gateways' resolvers run (HostDns after the gateways).
        const dnsStep = hostDnsStep(config);
        await timed(state, "host DNS (resolv.conf to the gateways' DNS64 resolvers)", log, () =>
            Promise.all(hosts.map((h) => sshOnHost(h, dnsStep))),
        );
        return done();
    }
    const dnsHost = hosts.find((h) => h.ipv4 === null) ?? hosts[0];
    state.pods = await timed(state, "pods (CNI) and internet servers", log, async () => {
        const [pods] = await Promise.all([
            Promise.all([...hosts.map((h) => addPod(h, TEST_POD)), ...(opts.dns === false ? [] : [addPod(dnsHost, DNS_POD)])]),
            startInternetServers(),
        ]);
        return pods;
    });
    await settle();
    if (corednsBuild) {
        state.dns = await timed(state, "DNS (CoreDNS upstream and cluster)", log, () => startDns(state, config, corednsBuild, log));
    }
    return done();
}

async function startDns(
    state: LabState,
    config: StackConfig,
    build: Promise<{ binary: string } | { reason: string }>,
    log: (l: string) => void,
): Promise<DnsState> {
    const coredns = await build;
    if ("reason" in coredns) {
        log(`\n!!!!! DNS64 CHECK WILL BE SKIPPED: ${coredns.reason}\n`);
        return { status: "skipped", reason: coredns.reason };
    }
    const dnsPod = state.pods.find((p) => p.name === DNS_POD);
    if (!dnsPod) throw new Error("lab: no DNS pod");
    await startUpstreamDns(coredns.binary);
    const testPods = state.pods.filter((p) => p.name !== DNS_POD);
    const dns = await startClusterDns(coredns.binary, dnsPod, dns64PrefixOf(planStack(config)), testPods);
    for (const p of testPods) setPodResolver(p, dnsPod.ula, POD_SEARCH);
    return dns;
}
