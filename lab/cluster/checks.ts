// What several cluster checks share: the toolbox pods (check 2 makes them) and commands in them,
// the example public service as the pods and the internet reach it, the pods' container states,
// and the endpoints a node reaches on itself (its apiserver proxy, its etcd member).
import { LOOPBACK, httpUrl, httpsUrl } from "../../components/common/net";
import { PATHS } from "../../components/controlplane/paths";
import { APISERVER_PROXY_PORT, ETCD_CLIENT_PORT } from "../../components/controlplane/render/defaults";
import { INET6_NS } from "../config";
import { inNs } from "../netns";
import { RunResult, run } from "../run";
import type { LabHost } from "../state";
import { kubectl } from "./operator";
import { cluster, hostNamed, labState, operator } from "./session";
import { TOOLBOX_IMAGE } from "./toolchain";

/** The namespace of the checks' own pods, and the toolbox pod check 2 runs on each node. */
export const TEST_NS = "lab-checks";
export const toolboxPod = (node: string) => `toolbox-${node}`;
/** The CPU the checks' own pods request (the toolboxes, the day-2 workload). */
export const PROBE_CPU_REQUEST = "100m";

/** A toolbox pod on every lab machine (in TEST_NS), Ready: the checks' clients inside the cluster. */
export async function startToolboxes(): Promise<void> {
    const c = operator();
    await kubectl(c, ["create", "namespace", TEST_NS], { allowFail: true });
    const pods = labState().hosts.map((h) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: toolboxPod(h.name), namespace: TEST_NS, labels: { app: "toolbox" } },
        spec: {
            nodeName: h.name,
            tolerations: [{ operator: "Exists" }],
            terminationGracePeriodSeconds: 1,
            containers: [
                {
                    name: "toolbox",
                    image: TOOLBOX_IMAGE,
                    command: ["sh", "-c", "echo toolbox on $(hostname) up; exec sleep 100000"],
                    // A request, as any workload that matters has: a BestEffort pod gets cgroup v1
                    // cpu.shares 2 and, with a control plane busy on the same 2 cores, stalled the
                    // day-2 probes for 10 s (the probe, not the cluster, was down).
                    resources: { requests: { cpu: PROBE_CPU_REQUEST } },
                },
            ],
        },
    }));
    await kubectl(c, ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: pods }) });
    await kubectl(c, ["-n", TEST_NS, "wait", "--for=condition=Ready", "pod", "-l", "app=toolbox", "--timeout=240s"], {
        timeoutMs: 250_000,
    });
}

/** A command in the toolbox pod on `node` (kubectl exec; fails are results, not throws). */
export const toolboxExec = (node: string, argv: string[]): Promise<RunResult> =>
    kubectl(operator(), ["-n", TEST_NS, "exec", toolboxPod(node), "--", ...argv], { allowFail: true, timeoutMs: 60_000 });

/** What the example public service (`hello` in the cluster stack: the toolbox's httpd) serves. */
export const HELLO_PAGE = "hello from the v6k8s lab";

/** The hosts whose public addresses the example service is exposed on (its externalIPs). */
export const helloHosts = (): LabHost[] =>
    cluster()
        .config.services.find((s) => s.name === "hello")!
        .hosts.map(hostNamed);

/** `GET /` on `port` (default 80) of the host's public address, from the lab's IPv6 internet. */
export const fromInternet = (h: LabHost, port = 80, maxSeconds = 10): Promise<RunResult> =>
    run(inNs(INET6_NS, ["curl", "-fsS", "--max-time", String(maxSeconds), `${httpUrl(h.publicAddress, port)}/`]), { allowFail: true });

/** The hosts whose toolbox pod does not get the example page from `clusterIP`:80 (kube-proxy), with what each got. */
export async function clusterIpFailures(hosts: readonly LabHost[], clusterIP: string): Promise<string[]> {
    const failed: string[] = [];
    for (const h of hosts) {
        // busybox-static's wget crashes in its static glibc resolver: an HTTP request by nc.
        const r = await toolboxExec(h.name, ["sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 10 ${clusterIP} 80`]);
        if (!r.stdout.includes(HELLO_PAGE)) failed.push(`${h.name}: exit ${r.code} ${r.stdout}${r.stderr}`);
    }
    return failed;
}

/** The IPv6 addresses in an nslookup answer. */
export const nslookupV6 = (stdout: string): string[] =>
    [...stdout.matchAll(/Address:\s*([0-9a-f:]+)$/gm)].map((m) => m[1]).filter((a) => a.includes(":"));

interface ContainerStatus {
    name: string;
    containerID?: string;
    restartCount: number;
}
export interface PodList {
    items: {
        metadata: { namespace: string; name: string; annotations?: Record<string, string> };
        spec: { nodeName?: string };
        status: { phase?: string; containerStatuses?: ContainerStatus[] };
    }[];
}

/** Each container of the pods (`<namespace>/<pod>/<container>`): its ID and restart count. */
export function containerStates(pods: PodList["items"]): Map<string, string> {
    const out = new Map<string, string>();
    for (const p of pods) {
        for (const c of p.status.containerStatuses ?? [])
            out.set(`${p.metadata.namespace}/${p.metadata.name}/${c.name}`, `${c.containerID} restarts=${c.restartCount}`);
    }
    return out;
}

/** The apiservers as a node reaches them: through its own proxy on [::1]. */
export const NODE_LOCAL_APISERVER = httpsUrl(LOOPBACK, APISERVER_PROXY_PORT);

/** etcdctl's flags in a control-plane node's etcd pod: its own member, with the etcd server certificate. */
export const LOCAL_ETCDCTL = [
    `--cacert=${PATHS.etcdCa.cert}`,
    `--cert=${PATHS.etcdServer.cert}`,
    `--key=${PATHS.etcdServer.key}`,
    `--endpoints=${httpsUrl(LOOPBACK, ETCD_CLIENT_PORT)}`,
];

/** `etcdctl ARGS` in `node`'s etcd pod, through the operator's kubectl exec (its failures returned, not thrown). */
export const etcdctlIn = (node: string, args: readonly string[]): Promise<RunResult> =>
    kubectl(operator(), ["-n", "kube-system", "exec", `etcd-${node}`, "--", "etcdctl", ...LOCAL_ETCDCTL, ...args], {
        allowFail: true,
        timeoutMs: 60_000,
    });

/** Every member's health as `node`'s etcd sees it (`endpoint health --cluster`): null if etcdctl failed; its output in `raw`. */
export async function etcdMemberHealth(node: string): Promise<{ members: { endpoint: string; health: boolean }[] | null; raw: string }> {
    const r = await etcdctlIn(node, ["endpoint", "health", "--cluster", "-w", "json"]);
    return {
        members: r.code === 0 ? (JSON.parse(r.stdout) as { endpoint: string; health: boolean }[]) : null,
        raw: `${r.stdout}${r.stderr}`,
    };
}
