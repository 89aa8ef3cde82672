// The externalIPs policy in force on every apiserver before a Service that needs it is written.
// Each apiserver enforces admission policies from its own watch of them: right after `pulumi up`
// updates the policy, an apiserver may still apply the old one for a moment. The real engine showed
// it: adding a host to a public service, the Service update came 133 ms after the policy update
// and the apiserver refused it with the old address list. So the public services wait for this
// step: on a control-plane node (its apiserver client certificate, as the cluster-wide wait
// uses), every apiserver is asked, in a server-side dry run that stores nothing, to admit a
// Service with every allowed externalIP, until each one does.
import { DNS_LABEL } from "../../common/names";
import { PATHS } from "../../controlplane/paths";

/** The probe Service's name (never stored: dry runs only). */
export const EXTERNAL_IPS_PROBE = "v6k8s-external-ips-probe";

export interface ExternalIpsInForceOptions {
    /** The allowed addresses, as the policy lists them (allowedExternalIps). */
    readonly allowed: readonly string[];
    /**
     * The namespace the probe is dry-run in: one of the public services' (which exist by then and
     * may use externalIPs); null when the stack has no public service, so nothing waits on this.
     */
    readonly namespace: string | null;
    /** Every apiserver, `https://[<mesh address>]:6443`. */
    readonly apiservers: readonly string[];
    /** How long each apiserver may take to admit the probe; default 60 s. */
    readonly timeoutSeconds?: number;
}

const SAFE = /^[0-9a-fA-F:.[\]/a-z]+$/;

export function renderExternalIpsInForce(opts: ExternalIpsInForceOptions): string {
    for (const s of [...opts.allowed, ...opts.apiservers]) {
        if (!SAFE.test(s)) throw new RangeError(`externalIPs check: unexpected characters in ${JSON.stringify(s)}`);
    }
    if (opts.namespace === null) return "echo 'v6k8s: no public service, so no externalIPs to confirm'\n";
    if (!DNS_LABEL.test(opts.namespace)) {
        throw new RangeError(`externalIPs check: bad namespace ${JSON.stringify(opts.namespace)}`);
    }
    const probe = JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: EXTERNAL_IPS_PROBE, namespace: opts.namespace },
        spec: { ports: [{ port: 9, protocol: "TCP" }], externalIPs: opts.allowed },
    });
    const timeout = opts.timeoutSeconds ?? 60;
    return `set -eu
# Every apiserver admits a Service with each allowed externalIP (dry run) before public services are written.
k() { kubectl --request-timeout=10s --certificate-authority=${PATHS.clusterCa.cert} --client-certificate=${PATHS.apiserverKubeletClient.cert} --client-key=${PATHS.apiserverKubeletClient.key} "$@"; }
probe='${probe}'
for server in ${opts.apiservers.join(" ")}; do
    for _ in $(seq ${timeout}); do
        if printf '%s' "$probe" | k --server="$server" create --dry-run=server -o name -f - >/dev/null 2>&1; then continue 2; fi
        sleep 1
    done
    echo "v6k8s: $server does not admit the allowed externalIPs after ${timeout} s:" >&2
    printf '%s' "$probe" | k --server="$server" create --dry-run=server -o name -f - >&2 || true
    exit 1
done
echo "v6k8s: every apiserver admits the externalIPs ${opts.allowed.join(" ")}"
`;
}
