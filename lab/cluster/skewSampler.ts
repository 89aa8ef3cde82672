// What the version-skew policy forbids during an upgrade, watched every 2 s from the operator's
// side: no kubelet, controller-manager or scheduler newer than the oldest apiserver that serves at
// that moment. Each sample asks every control-plane node's apiserver for /version (on its public
// address; one that does not answer is not serving and does not count), the Nodes for their
// kubelet versions and kube-system's mirror pods for the controller-manager and scheduler images
// (the manifests' images: newer there counts even before the container restarts).
import { kubectl } from "./operator";
import { cluster, labState, operator } from "./session";

export interface SkewSample {
    readonly at: number;
    /** gitVersion by control-plane node, of those that answered. */
    readonly apiservers: Readonly<Record<string, string>>;
    readonly kubelets: Readonly<Record<string, string>>;
    /** "kube-controller-manager-lab1" -> "v1.34.2", from the image tag. */
    readonly controllers: Readonly<Record<string, string>>;
    /** What is newer than the oldest serving apiserver, e.g. "kubelet w1 v1.34.2 > apiserver v1.33.13". */
    readonly violations: readonly string[];
}

/** [minor, patch] of "v1.34.2"; undefined for anything else. */
function versionOf(v: string): [number, number] | undefined {
    const m = /^v1\.(\d+)\.(\d+)/.exec(v);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}
const newer = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** The violations of one sample's versions (pure: test/lab/skewSampler.test.ts). */
export function skewViolations(sample: Omit<SkewSample, "at" | "violations">): string[] {
    const serving = Object.entries(sample.apiservers).flatMap(([n, v]) => {
        const p = versionOf(v);
        return p ? [{ n, v, p }] : [];
    });
    if (serving.length === 0) return [];
    const oldest = serving.reduce((a, b) => (newer(a.p, b.p) ? b : a));
    const out: string[] = [];
    const check = (what: string, versions: Readonly<Record<string, string>>) => {
        for (const [name, v] of Object.entries(versions)) {
            const p = versionOf(v);
            if (p && newer(p, oldest.p)) out.push(`${what} ${name} ${v} > apiserver ${oldest.n} ${oldest.v}`);
        }
    };
    check("kubelet", sample.kubelets);
    check("static pod", sample.controllers);
    return out;
}

async function sampleOnce(): Promise<SkewSample> {
    const c = operator();
    const config = cluster().config;
    const controlPlane = config.nodes.filter((n) => n.roles.includes("control-plane") && !n.leaving).map((n) => n.name);
    const hosts = labState().hosts.filter((h) => controlPlane.includes(h.name));
    const json = async <T>(args: string[]): Promise<T | undefined> => {
        const r = await kubectl(c, args, { allowFail: true, timeoutMs: 5000 });
        return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
    };
    const [versions, nodes, pods] = await Promise.all([
        Promise.all(
            hosts.map((h) =>
                json<{ gitVersion: string }>([
                    `--server=https://[${h.publicAddress}]:6443`,
                    "--request-timeout=2s",
                    "get",
                    "--raw",
                    "/version",
                ]),
            ),
        ),
        json<{ items: { metadata: { name: string }; status: { nodeInfo: { kubeletVersion: string } } }[] }>([
            "--request-timeout=3s",
            "get",
            "nodes",
            "-o",
            "json",
        ]),
        json<{ items: { metadata: { name: string; labels?: Record<string, string> }; spec: { containers: { image: string }[] } }[] }>([
            "--request-timeout=3s",
            "-n",
            "kube-system",
            "get",
            "pods",
            "-l",
            "component in (kube-controller-manager,kube-scheduler)",
            "-o",
            "json",
        ]),
    ]);
    const apiservers = Object.fromEntries(hosts.flatMap((h, i) => (versions[i] ? [[h.name, versions[i]!.gitVersion]] : [])));
    const kubelets = Object.fromEntries((nodes?.items ?? []).map((n) => [n.metadata.name, n.status.nodeInfo.kubeletVersion]));
    const controllers = Object.fromEntries(
        (pods?.items ?? []).map((p) => [p.metadata.name, p.spec.containers[0].image.replace(/^.*:/, "")]),
    );
    const sample = { apiservers, kubelets, controllers };
    return { at: Date.now(), ...sample, violations: skewViolations(sample) };
}

/** Samples every 2 s until stopped; `stop` returns every sample taken. */
export function startSkewSampler(): { stop(): Promise<SkewSample[]> } {
    const samples: SkewSample[] = [];
    let running = true;
    const loop = (async () => {
        while (running) {
            const t = Date.now();
            samples.push(await sampleOnce());
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2000 - (Date.now() - t))));
        }
    })();
    return {
        stop: async () => {
            running = false;
            await loop;
            return samples;
        },
    };
}
