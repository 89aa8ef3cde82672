// DNS in the lab: the cluster's CoreDNS (built from its Go module, run in a pod with the project's
// rendered Corefile, only the kubernetes plugin swapped for a `hosts` block of the lab's pods, and
// forwarding to the lab's upstream), and that upstream: a second CoreDNS in the IPv6 internet
// serving an A-only name from a zone file with the `file` plugin. Real DNS over the lab network.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_CLUSTER_DOMAIN, REVERSE_ZONE, corefileStanzas, formatCorefile } from "../components/dns/render/corefile";
import type { Prefix } from "../components/network/prefix";
import { DNS_ZONE, DUAL_NAME, INET4_SERVER, INET6_DNS, INET6_NS, INET6_SERVER, LAB_DIR, STATE_DIR, V4ONLY_NAME } from "./config";
import { inNs } from "./netns";
import { startDaemon } from "./processes";
import { run } from "./run";
import { waitForLog } from "./servers";
import type { DnsState, LabPod } from "./state";

export const COREDNS_VERSION = "v1.15.0";
const DNS_DIR = path.join(STATE_DIR, "dns");

export function corednsPath(): string {
    const cache = process.env.V6K8S_LAB_CACHE ?? path.join(os.homedir(), ".cache", "v6k8s");
    return path.join(cache, `coredns-${COREDNS_VERSION}`, "coredns");
}

/** The cached binary, building it once if needed; or the reason it cannot be had. */
export async function ensureCoredns(): Promise<{ binary: string } | { reason: string }> {
    if (fs.existsSync(corednsPath())) return { binary: corednsPath() };
    // Next to the cache, not in the lab's state dir: it must outlive the teardown.
    const log = `${path.dirname(corednsPath())}.build.log`;
    fs.mkdirSync(path.dirname(log), { recursive: true });
    process.stderr.write(`lab: building CoreDNS ${COREDNS_VERSION} (first run only, minutes); log: ${log}\n`);
    const r = await run([path.join(LAB_DIR, "build-coredns.sh")], {
        allowFail: true,
        timeoutMs: 20 * 60_000,
        env: { V6K8S_COREDNS_VERSION: COREDNS_VERSION },
    });
    fs.writeFileSync(log, r.stdout + r.stderr);
    if (r.code === 0 && fs.existsSync(corednsPath())) return { binary: corednsPath() };
    const tail = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
    return { reason: `CoreDNS ${COREDNS_VERSION} could not be built from its Go module (exit ${r.code}): ${tail} (full log: ${log})` };
}

function zoneFile(): string {
    return [
        `$ORIGIN ${DNS_ZONE}.`,
        `@ 300 IN SOA ns.${DNS_ZONE}. hostmaster.${DNS_ZONE}. 1 7200 3600 1209600 300`,
        `@ 300 IN NS ns.${DNS_ZONE}.`,
        `ns 300 IN AAAA ${INET6_DNS}`,
        `${V4ONLY_NAME}. 300 IN A ${INET4_SERVER}`,
        `${DUAL_NAME}. 300 IN A ${INET4_SERVER}`,
        `${DUAL_NAME}. 300 IN AAAA ${INET6_SERVER}`,
        "",
    ].join("\n");
}

/**
 * The project's Corefile with only the kubernetes plugin replaced: a `hosts` block serving the
 * same zones from a hosts file of the lab's pods (`<pod>.<host>.pod.<domain>`, PTRs included).
 */
function labCorefile(dns64Prefix: Prefix | null, hostsFile: string): string {
    const stanzas = corefileStanzas({ dns64Prefix, upstreams: [INET6_DNS] });
    const kubernetes = stanzas.find((s) => s.plugin === "kubernetes");
    if (!kubernetes) throw new Error("lab: the rendered Corefile has no kubernetes plugin to replace");
    const zones = kubernetes.lines[0].replace(/^kubernetes\s+/, "").replace(/\s*\{$/, "");
    const hosts = { plugin: "hosts", lines: [`hosts ${hostsFile} ${zones} {`, `    fallthrough ${REVERSE_ZONE}`, "}"] };
    return formatCorefile(stanzas.map((s) => (s === kubernetes ? hosts : s)));
}

export function podName(pod: LabPod, domain = DEFAULT_CLUSTER_DOMAIN): string {
    return `${pod.name}.${pod.host}.pod.${domain}`;
}

export async function startUpstreamDns(binary: string): Promise<void> {
    fs.mkdirSync(DNS_DIR, { recursive: true });
    fs.writeFileSync(path.join(DNS_DIR, `db.${DNS_ZONE}`), zoneFile());
    const corefile = path.join(DNS_DIR, "Corefile.upstream");
    fs.writeFileSync(
        corefile,
        `${DNS_ZONE}:53 {\n    bind ${INET6_DNS}\n    file ${path.join(DNS_DIR, `db.${DNS_ZONE}`)}\n    errors\n}\n`,
    );
    const rec = startDaemon("inet6-dns", inNs(INET6_NS, [binary, "-conf", corefile]));
    await waitForLog(rec, /CoreDNS-\d/);
}

/** Starts the cluster DNS in `pod` (a pod on an IPv6-only host). */
export async function startClusterDns(binary: string, pod: LabPod, dns64Prefix: Prefix | null, pods: readonly LabPod[]): Promise<DnsState> {
    fs.mkdirSync(DNS_DIR, { recursive: true });
    const hostsFile = path.join(DNS_DIR, "cluster.hosts");
    fs.writeFileSync(hostsFile, pods.map((p) => `${p.ula} ${podName(p)}\n`).join(""));
    const text = labCorefile(dns64Prefix, hostsFile);
    const corefile = path.join(DNS_DIR, "Corefile.cluster");
    fs.writeFileSync(corefile, text);
    const rec = startDaemon(`${pod.host}-${pod.name}-coredns`, inNs(pod.ns, [binary, "-conf", corefile]));
    await waitForLog(rec, /CoreDNS-\d/);
    return { status: "running", server: pod.ula, corefile: text };
}
