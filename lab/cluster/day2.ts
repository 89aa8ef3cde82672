// What keeps serving while a day-2 `pulumi up` runs, and how long it did not: a Deployment of two
// replicas with a PodDisruptionBudget (minAvailable 1) behind a ClusterIP Service, probed once a
// second by name from a pod on a node that is not touched; and the apiservers, probed once a
// second through that node's `[::1]:7445`. Each probe records the times of its successes; the
// longest gap between two of them is the outage (the day-2 checks allow 5 s).
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import { TOOLBOX_IMAGE } from "./toolchain";
import { NODE_LOCAL_APISERVER, PROBE_CPU_REQUEST, TEST_NS, toolboxExec, toolboxPod } from "./checks";
import { eventually, run } from "../run";
import { machineArgv } from "./machine";
import { kubectl, kubectlJson } from "./operator";
import { DNS_SERVICE } from "../../components/addons/render/coredns";
import { cluster, hostNamed, labState, operator } from "./session";
import { applyToLab } from "./labApply";
import type { ApplyResult } from "../engine/labStack";
import { testLog } from "../owner";
import { inNs } from "../netns";

export const DAY2_NS = "day2";
export const DAY2_APP = "day2";
/** The longest gap between two successful probes a day-2 operation may cause. */
export const MAX_GAP_SECONDS = 5;

/** The workload, its budget and its Service; its two pods go to `nodes` (one each). */
export function day2Workload(nodes: readonly [string, string]): object[] {
    const labels = { app: DAY2_APP };
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: DAY2_NS } },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: DAY2_APP, namespace: DAY2_NS },
            spec: {
                replicas: 2,
                selector: { matchLabels: labels },
                // One pod per node, on exactly two nodes: a rollout that moves one of them cannot
                // surge (the new pod's node may still hold an old pod: the default 1 surge, 0
                // unavailable waited forever in check 7c when the old pod on the other node went
                // first). One at a time instead: the other pod serves meanwhile.
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
                template: {
                    metadata: { labels },
                    spec: {
                        affinity: {
                            nodeAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: {
                                    nodeSelectorTerms: [
                                        { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [...nodes] }] },
                                    ],
                                },
                            },
                            podAntiAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: [
                                    { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } },
                                ],
                            },
                        },
                        terminationGracePeriodSeconds: 5,
                        containers: [
                            {
                                name: "httpd",
                                image: TOOLBOX_IMAGE,
                                args: ["httpd", "-f", "-p", "8080", "-h", "/www"],
                                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
                                resources: { requests: { cpu: PROBE_CPU_REQUEST } },
                            },
                        ],
                    },
                },
            },
        },
        {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: DAY2_APP, namespace: DAY2_NS },
            spec: { minAvailable: 1, selector: { matchLabels: labels } },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: DAY2_APP, namespace: DAY2_NS },
            spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
        },
    ];
}

/**
 * Applies the workload and waits until both replicas serve, asked from `from`'s toolbox pod (check
 * 2's), or from its machine (`fromMachine`: before check 2, or for startHostProbes).
 */
export async function startWorkload(nodes: readonly [string, string], from = "lab1", opts: { fromMachine?: boolean } = {}): Promise<void> {
    const c = operator();
    await kubectl(c, ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: day2Workload(nodes) }) });
    await kubectl(c, ["-n", DAY2_NS, "rollout", "status", `deployment/${DAY2_APP}`, "--timeout=240s"], { timeoutMs: 250_000 });
    // Serving by name from the probes' pod before any probe starts: a Service just (re)created may
    // still be a cached NXDOMAIN in CoreDNS (its cache keeps denials up to 30 s), which a probe
    // started at once counted as an outage of the operation it watched (check 7d after 7c).
    const service = `${DAY2_APP}.${DAY2_NS}.svc.cluster.local`;
    const check = `ip=$(nslookup -type=AAAA ${service} 2>/dev/null | awk '/^Address: / {a=$2} END {print a}'); [ -n "$ip" ] && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "$ip" 80 | grep -q 'hello from'`;
    const byName = opts.fromMachine ? machineByName(service, (await clusterDnsServers())[0].address) : undefined;
    const answers = async () =>
        byName
            ? (await run(machineArgv(hostNamed(from), ["bash", "-c", `${byName.resolve} && ${byName.request}`]), { allowFail: true }))
                  .code === 0
            : (await toolboxExec(from, ["sh", "-c", check])).code === 0;
    const serving = await eventually(answers, 120_000, 2000);
    if (!serving)
        throw new Error(
            `lab: ${service} does not answer from ${opts.fromMachine ? `${from}'s machine` : toolboxPod(from)} within 120 s after its rollout`,
        );
}

export interface ProbeResult {
    readonly name: string;
    readonly successes: number;
    readonly failures: number;
    /** The longest time between two successes (or from the start to the first, the last to the end). */
    readonly longestGapSeconds: number;
    /** When that gap started and ended (epoch ms), and what the probe said in it. */
    readonly gap: { readonly from: number; readonly to: number; readonly lines: readonly string[] };
    /** What the diagnostics sampler saw in that gap (each apiserver's /readyz, the machine's load). */
    readonly context: readonly string[];
}

/** A probe loop printing `ok <epoch ms>` or `fail <epoch ms>` once a second, until stopped. */
class Probe {
    private readonly child: ChildProcess;
    private readonly lines: string[] = [];
    private readonly started = Date.now();

    constructor(
        readonly name: string,
        argv: readonly string[],
    ) {
        this.child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "ignore"], detached: true });
        let rest = "";
        this.child.stdout!.on("data", (d: Buffer) => {
            const parts = (rest + d.toString()).split("\n");
            rest = parts.pop() ?? "";
            this.lines.push(...parts);
        });
    }

    /** The lines whose time (their second word, epoch ms) is within [from, to]. */
    linesBetween(from: number, to: number): string[] {
        return this.lines.filter((l) => Number(l.split(" ")[1]) >= from && Number(l.split(" ")[1]) <= to);
    }

    /** Stops the loop (its whole process group). */
    kill(): void {
        try {
            process.kill(-this.child.pid!, "SIGKILL");
        } catch {
            // gone already
        }
    }

    /** Stops the loop (its whole process group) and computes the gaps. */
    stop(context?: Probe): ProbeResult {
        const ended = Date.now();
        this.kill();
        // The probe's own clock (inside the pod or machine) and ours: both are this machine's.
        const ok = this.lines.filter((l) => l.startsWith("ok ")).map((l) => Number(l.split(" ")[1]));
        const marks = [this.started, ...ok, ended];
        let at = 1;
        for (let i = 1; i < marks.length; i++) if (marks[i] - marks[i - 1] > marks[at] - marks[at - 1]) at = i;
        const [from, to] = [marks[at - 1], marks[at]];
        return {
            name: this.name,
            successes: ok.length,
            failures: this.lines.filter((l) => l.startsWith("fail ")).length,
            longestGapSeconds: (to - from) / 1000,
            gap: { from, to, lines: this.linesBetween(from, to) },
            context: context ? context.linesBetween(from - 2000, to) : [],
        };
    }
}

const LOOP = (check: string) =>
    `while true; do if ${check} >/dev/null 2>&1; then echo "ok $(date +%s%3N)"; else echo "fail $(date +%s%3N)"; fi; sleep 1; done`;

/**
 * Starts both probes from `from` (a node the operation does not touch): the workload by name from
 * its toolbox pod (busybox: the name through nslookup, the request through nc), the apiservers
 * through its node-local proxy.
 */
export async function startProbes(from: string): Promise<{ stop(): ProbeResult[] }> {
    const c = operator();
    const dnsServers = await clusterDnsServers();
    const service = `${DAY2_APP}.${DAY2_NS}.svc.cluster.local`;
    // busybox's date has no %N: the pod prints seconds, good enough at a one-second cadence.
    const inPod =
        `while true; do t=$(date +%s); out=$(nslookup -type=AAAA ${service} 2>&1); ip=$(echo "$out" | awk '/^Address: / {a=$2} END {print a}'); ` +
        `if [ -z "$ip" ]; then echo "fail $(date +%s)000 no address from DNS (asked at $t): $(echo "$out" | grep -Ev '^Server:|^Address:|^$' | tail -n 2 | tr '\n' ' ')"; ` +
        `elif printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "$ip" 80 | grep -q 'hello from'; then echo "ok $(date +%s)000"; ` +
        `else echo "fail $(date +%s)000 no answer from [$ip]:80 (asked at $t)"; fi; sleep 1; done`;
    const workload = new Probe(
        "workload by name",
        inNs(c.operatorNs, [c.kubectl, `--kubeconfig=${c.kubeconfig}`, "-n", TEST_NS, "exec", toolboxPod(from), "--", "sh", "-c", inPod]),
    );
    const api = new Probe(
        `apiservers through ${from}'s [::1]:7445`,
        machineArgv(hostNamed(from), ["bash", "-c", LOOP(`curl -fsSk --max-time 2 '${NODE_LOCAL_APISERVER}/readyz'`)]),
    );
    const diag = new Probe("diagnostics", machineArgv(hostNamed(from), ["bash", "-c", diagLoop(service, dnsServers)]));
    return {
        stop: () => {
            diag.kill();
            return [workload.stop(diag), api.stop(diag)];
        },
    };
}

/**
 * Both probes from `from`'s machine itself rather than a pod on it: for an operation that touches
 * every node (an upgrade drains each, restarts each kubelet, and a `kubectl exec` stream ends with
 * its kubelet). The workload by name through the cluster DNS Service (dig), the request to its
 * ClusterIP through the host's kube-proxy rules; the apiservers through its `[::1]:7445`.
 */
export async function startHostProbes(from: string): Promise<{ stop(): ProbeResult[] }> {
    const dnsServers = await clusterDnsServers();
    const service = `${DAY2_APP}.${DAY2_NS}.svc.cluster.local`;
    const q = machineByName(service, dnsServers[0].address);
    const byName =
        `while true; do t=$(date +%s%3N); ${q.resolve}; ` +
        `if [ -z "$ip" ]; then echo "fail $t no address from DNS"; ` +
        `elif ${q.request}; then echo "ok $t"; ` +
        `else echo "fail $t no answer from [$ip]:80"; fi; sleep 1; done`;
    const machine = hostNamed(from);
    const workload = new Probe(`workload by name from ${from}'s machine`, machineArgv(machine, ["bash", "-c", byName]));
    const api = new Probe(
        `apiservers through ${from}'s [::1]:7445`,
        machineArgv(machine, ["bash", "-c", LOOP(`curl -fsSk --max-time 2 '${NODE_LOCAL_APISERVER}/readyz'`)]),
    );
    const diag = new Probe("diagnostics", machineArgv(machine, ["bash", "-c", diagLoop(service, dnsServers)]));
    return {
        stop: () => {
            diag.kill();
            return [workload.stop(diag), api.stop(diag)];
        },
    };
}

/** Shell, on a machine: `resolve` sets $ip to the name's AAAA from the cluster DNS at `dns`; `request` asks it for the page. */
function machineByName(service: string, dns: string): { resolve: string; request: string } {
    return {
        resolve: `ip=$(dig +short +time=1 +tries=1 AAAA ${service} @${dns} 2>/dev/null | grep ':' | tail -n 1)`,
        request: `curl -gfs --max-time 2 "http://[$ip]:80/" | grep -q 'hello from'`,
    };
}

/** The cluster DNS Service's address and each CoreDNS pod's (with its node), as the run starts. */
async function clusterDnsServers(): Promise<{ name: string; address: string }[]> {
    const c = operator();
    const svc = await kubectlJson<{ spec: { clusterIP: string } }>(c, ["-n", "kube-system", "get", "service", DNS_SERVICE]);
    const slices = await kubectlJson<{ items: { endpoints?: { addresses: string[]; nodeName?: string }[] }[] }>(c, [
        "-n",
        "kube-system",
        "get",
        "endpointslices",
        "-l",
        `kubernetes.io/service-name=${DNS_SERVICE}`,
    ]);
    const pods = slices.items.flatMap((i) => i.endpoints ?? []).map((e) => ({ name: `pod@${e.nodeName ?? "?"}`, address: e.addresses[0] }));
    return [{ name: "service", address: svc.spec.clusterIP }, ...pods];
}

/**
 * Not asserted: what explains a gap. Every second, each lab machine's apiserver /readyz status over
 * the mesh (000: no answer, workers included) and a ping of its mesh address (--: none in 1 s), the workload's name asked of the cluster DNS
 * Service and of each CoreDNS pod directly (from the machine, not the pod: the same path but
 * kube-proxy's choice; ok, timeout or the answer's status, e.g. NXDOMAIN), and this machine's load and CPU pressure (the lab's WireGuard is
 * wireguard-go, a user process: a starved CPU stalls the mesh). The checks run in parallel, each
 * with a 1 s limit, so a dead backend does not slow the sampling.
 */
function diagLoop(name: string, dnsServers: readonly { name: string; address: string }[]): string {
    const hosts = labState().hosts;
    const readyz = hosts.map(
        (h, i) => `(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 https://[${h.wireguardAddress}]:6443/readyz > "$d/r${i}") &`,
    );
    const dns = dnsServers.map(
        (s, i) =>
            `(dig +time=1 +tries=1 +noall +comments +answer AAAA ${name} @${s.address} 2>&1 | ` +
            `awk '/status:/ {st=$6; sub(",", "", st)} /\tAAAA\t/ {a=1} END {print (st == "" ? "timeout" : (a ? "ok" : st))}' > "$d/d${i}") &`,
    );
    const mesh = hosts.map((h, i) => `( (ping -6 -c 1 -W 1 ${h.wireguardAddress} >/dev/null 2>&1 && echo ok || echo --) > "$d/m${i}") &`);
    const show = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `$(cat "$d/${prefix}${i}")`).join(" ");
    return [
        `d=$(mktemp -d); trap 'rm -rf "$d"' EXIT`,
        `while true; do t=$(date +%s%3N)`,
        ...readyz,
        ...mesh,
        ...dns,
        `wait`,
        `echo "diag $t load=$(cut -d' ' -f1 /proc/loadavg) cpu=$(awk '/^some/ {print $2}' /proc/pressure/cpu 2>/dev/null) ` +
            `readyz[${hosts.map((h) => h.name).join(",")}]=${show("r", hosts.length)} mesh=${show("m", hosts.length)} ` +
            `dns[${dnsServers.map((s) => s.name).join(",")}]=${show("d", dnsServers.length)}"`,
        `sleep 1; done`,
    ].join("\n");
}

/** An engine step line as `pulumi up` printed it, with the time it was seen (epoch ms). */
export interface SeenStep {
    readonly at: number;
    readonly line: string;
    /** A step's line (creating, updating, ...), not the engine's other output. */
    readonly step: boolean;
}

/**
 * `lab:apply` of `file` with both probes running from lab1 (and 5 s past the run: what it left
 * broken shows too); the engine's step lines with the time each was seen, to set a gap against.
 */
export async function applyProbed(
    file: string,
    opts: { probes?: typeof startProbes } = {},
): Promise<{ r: ApplyResult; probes: ProbeResult[]; steps: SeenStep[] }> {
    const probes = await (opts.probes ?? startProbes)("lab1");
    const steps: SeenStep[] = [];
    let r: ApplyResult | undefined;
    let results: ProbeResult[] = [];
    try {
        r = await applyToLab(cluster(), file, {
            onLine: (l) => {
                const step = /^ *[-+~]+ +\S+:\S+ \S+ (creat|updat|delet|replac)/.test(l);
                if (l.trim() !== "") steps.push({ at: Date.now(), line: l.trim().slice(0, 160), step });
            },
        });
        await new Promise((resolve) => setTimeout(resolve, 5000));
    } finally {
        results = probes.stop();
    }
    for (const p of results)
        testLog(`probe ${p.name}: ${p.successes} ok, ${p.failures} failed, longest gap ${p.longestGapSeconds.toFixed(1)} s`);
    return { r: r!, probes: results, steps };
}

/**
 * Each probe answered more than 3 times and never went more than MAX_GAP_SECONDS without an
 * answer; a failure names the gap, what the probe said in it and what the engine did around it.
 */
export function assertServed(probes: readonly ProbeResult[], steps: readonly SeenStep[]): void {
    for (const p of probes) {
        assert.ok(p.successes > 3, `${p.name}: only ${p.successes} successes`);
        const around = steps.filter((s) => s.step && s.at >= p.gap.from - 5000 && s.at <= p.gap.to + 1000);
        const before = steps.filter((s) => s.at < p.gap.from).slice(-3);
        const show = (ss: readonly SeenStep[]) => ss.map((s) => `${new Date(s.at).toISOString()} ${s.line}`).join("\n");
        assert.ok(
            p.longestGapSeconds <= MAX_GAP_SECONDS,
            `${p.name}: ${p.longestGapSeconds.toFixed(1)} s without an answer (at most ${MAX_GAP_SECONDS} s) from ` +
                `${new Date(p.gap.from).toISOString()}; the probe said:\n${p.gap.lines.join("\n")}\n` +
                `the sampler on the same machine:\n${p.context.join("\n")}\n` +
                `the engine's last lines before it:\n${show(before)}\nits steps from 5 s before:\n${show(around)}`,
        );
    }
}
