// Who may use which externalIPs. kube-proxy DNATs traffic for a Service's externalIPs on every node,
// before routing: without a check, anyone who may create a Service in any namespace can capture
// traffic to any address (CVE-2020-8554), e.g. CoreDNS's upstream resolvers or another tenant's
// service. The apiserver's DenyServiceExternalIPs plugin would forbid them all, but public services
// are exactly externalIPs on the hosts' public addresses (publicService.ts). So a
// ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA in 1.30) admits a Service with
// externalIPs only in a namespace the stack names, on none of the hosts' own ports, and only if
// each of its externalIPs is one of the hosts' public IPv6 addresses, compared as text in RFC 5952
// form (any other spelling is refused, never let through), or was already on the Service before
// this update. The second clause is what makes a host's leaving safe in one `pulumi up`: the policy
// drops the host's address before the Service does, and every write to the Service in between
// (the Kubernetes provider's own patches included) still carries it; an update may keep an address
// it had, never add one that is not allowed. (Adding a host is the other order, handled by
// externalIpsInForce.ts: the new address is allowed everywhere before the Service names it.)
import { DNS_LABEL } from "../../common/names";
import { v6 } from "../../common/net";
import { RESERVED_HOST_PORTS } from "../../config/rules";
import type { PortConfig } from "../../config/types";
import { MANAGED_BY } from "./defaults";
import type { IValidatingAdmissionPolicy, IValidatingAdmissionPolicyBinding } from "./objects";

export const EXTERNAL_IPS_POLICY = "v6k8s-external-ips";

/** The hosts' public IPv6 addresses, RFC 5952, sorted and without duplicates (order of hosts does not matter). */
export function allowedExternalIps(publicAddresses: readonly string[]): string[] {
    const all = publicAddresses.map((a) => v6(a, "host public address"));
    return [...new Set(all)].sort();
}

/**
 * The hosts' own ports, which a Service with externalIPs may not take: kube-proxy would DNAT that
 * port on a host's public address on every node, the hosts' own traffic included (SSH captured,
 * WireGuard to that host broken cluster-wide). `ipv4Ports` are the nodes' host-network listeners.
 */
export function hostOwnPorts(ipv4Ports: readonly PortConfig[] = []): string[] {
    return [...new Set([...RESERVED_HOST_PORTS, ...ipv4Ports].map((p) => `${p.port}/${p.protocol}`))].sort(
        (a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b),
    );
}

/** The CEL condition on ports: a Service with externalIPs takes none of `denied` ("22/TCP"). */
export function externalIpPortsExpression(denied: readonly string[]): string {
    // Entries are digits, a slash and TCP/UDP/SCTP: safe inside a CEL string literal.
    for (const d of denied) if (!/^\d+\/(TCP|UDP|SCTP)$/.test(d)) throw new RangeError(`externalIPs policy: bad port ${d}`);
    const list = denied.map((d) => `'${d}'`).join(", ");
    const portOf = "string(p.port) + '/' + (has(p.protocol) ? p.protocol : 'TCP')";
    return `!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0 || !has(object.spec.ports) || object.spec.ports.all(p, !(${portOf} in [${list}]))`;
}

/** The CEL condition: no externalIPs, or each one is in the list or was on the Service already (an update). */
export function externalIpsExpression(allowed: readonly string[]): string {
    // Addresses passed v6(): only hex digits and colons, safe inside a CEL string literal.
    const list = allowed.map((a) => `'${a}'`).join(", ");
    const kept = "(oldObject != null && has(oldObject.spec.externalIPs) && ip in oldObject.spec.externalIPs)";
    return `!has(object.spec.externalIPs) || object.spec.externalIPs.all(ip, ip in [${list}] || ${kept})`;
}

/**
 * The CEL condition on namespaces: no externalIPs, a namespace the stack names, or an update that
 * adds no address (a Service admitted before its namespace left the list can still be changed and
 * deleted, never given a new address).
 */
export function externalIpNamespacesExpression(namespaces: readonly string[]): string {
    // DNS labels: safe inside a CEL string literal.
    for (const n of namespaces) if (!DNS_LABEL.test(n)) throw new RangeError(`externalIPs policy: bad namespace ${JSON.stringify(n)}`);
    const list = namespaces.map((n) => `'${n}'`).join(", ");
    const addsNone =
        "(oldObject != null && has(oldObject.spec.externalIPs) && object.spec.externalIPs.all(ip, ip in oldObject.spec.externalIPs))";
    // The apiserver sets metadata.namespace from the request's path before admission.
    return `!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0 || object.metadata.namespace in [${list}] || ${addsNone}`;
}

/** Where Services may use externalIPs: the public services' namespaces and cluster.externalIPNamespaces, sorted, once each. */
export function externalIpNamespaces(serviceNamespaces: readonly string[], extra: readonly string[]): string[] {
    return [...new Set([...serviceNamespaces, ...extra])].sort();
}

export function externalIpPolicy(
    publicAddresses: readonly string[],
    ipv4Ports: readonly PortConfig[] = [],
    namespaces: readonly string[] = [],
): IValidatingAdmissionPolicy {
    const allowed = allowedExternalIps(publicAddresses);
    const denied = hostOwnPorts(ipv4Ports);
    const inNamespaces = [...new Set(namespaces)].sort();
    if (allowed.length === 0) throw new RangeError("externalIPs policy: no host address to allow");
    return {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name: EXTERNAL_IPS_POLICY, labels: { ...MANAGED_BY } },
        spec: {
            // An error evaluating the policy refuses the request rather than letting it through.
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] }],
            },
            validations: [
                {
                    expression: externalIpsExpression(allowed),
                    message: `spec.externalIPs may only list the cluster hosts' public IPv6 addresses, in RFC 5952 form: ${allowed.join(", ")}`,
                    reason: "Forbidden",
                },
                {
                    expression: externalIpPortsExpression(denied),
                    message: `a Service with externalIPs may not take a host's own port (SSH, WireGuard, apiserver, etcd, kubelet, node-local proxy, ipv4Ports): ${denied.join(", ")}`,
                    reason: "Forbidden",
                },
                {
                    expression: externalIpNamespacesExpression(inNamespaces),
                    message:
                        inNamespaces.length === 0
                            ? "no namespace may use spec.externalIPs (the stack has no public service and no cluster.externalIPNamespaces)"
                            : `spec.externalIPs may only be used in the namespaces the stack names (its services' and cluster.externalIPNamespaces): ${inNamespaces.join(", ")}`,
                    reason: "Forbidden",
                },
            ],
        },
    };
}

/** Binds the policy to every namespace, denying (not just warning or auditing). */
export function externalIpPolicyBinding(): IValidatingAdmissionPolicyBinding {
    return {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: { name: EXTERNAL_IPS_POLICY, labels: { ...MANAGED_BY } },
        spec: { policyName: EXTERNAL_IPS_POLICY, validationActions: ["Deny"] },
    };
}

/** Both objects, in creation order. */
export function externalIpPolicyObjects(
    publicAddresses: readonly string[],
    ipv4Ports: readonly PortConfig[] = [],
    namespaces: readonly string[] = [],
): [IValidatingAdmissionPolicy, IValidatingAdmissionPolicyBinding] {
    return [externalIpPolicy(publicAddresses, ipv4Ports, namespaces), externalIpPolicyBinding()];
}
