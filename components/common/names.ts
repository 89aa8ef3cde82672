// Names: Kubernetes object names, checked where they enter a rendered file or a CEL literal, and
// DNS names in the zone the program publishes to (cluster.dns).

/** An RFC 1123 label: a namespace's name (lower-case letters, digits and '-', at most 63). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * An etcd restore's id (cluster.etcdRestore.id): it names the restore's state directory on the
 * hosts (/var/lib/v6k8s/etcd-restore/<id>) and its resources' triggers.
 */
export const RESTORE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** `fqdn` (any case, trailing dot or not) in lower case without the dot. */
export function canonicalName(fqdn: string): string {
    return fqdn.toLowerCase().replace(/\.$/, "");
}

/** The name relative to `zone` ("@" for the apex), or null when it is not in the zone. */
export function relativeName(fqdn: string, zone: string): string | null {
    const name = canonicalName(fqdn);
    if (name === zone) return "@";
    return name.endsWith(`.${zone}`) ? name.slice(0, -zone.length - 1) : null;
}

/** A node's own name in the zone: what its records and an hcloud server's reverse DNS use. */
export const nodeName = (node: string, zone: string): string => `${node}.${zone}`;
