// When each host's certificates run out, and whether a renewal is due. Pure: ClusterPki feeds it
// the issued certificates' `validityEndTime`s and an injected clock.

/** One issued leaf certificate: its profile id, the nodes holding it, its end of validity (RFC 3339). */
export interface IssuedExpiry {
    readonly id: string;
    /** Node names whose hosts hold the certificate; empty = not on any host (the admin kubeconfig). */
    readonly holders: readonly string[];
    readonly validityEndTime: string;
}

/**
 * The early-renewal window of a leaf certificate, in hours: the last tenth of its life. @pulumi/tls
 * re-issues a certificate on the first `pulumi up` inside it (`earlyRenewalHours`).
 */
export function earlyRenewalHours(certificateValidityHours: number): number {
    return Math.floor(certificateValidityHours / 10);
}

function parseTime(value: string, what: string): number {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new RangeError(`${what}: "${value}" is not an RFC 3339 time`);
    return ms;
}

/**
 * Per node, the earliest `validityEndTime` among the certificates it holds, as the provider wrote
 * it; nodes in name order. Certificates held by no host are left out.
 * @throws RangeError when a time does not parse.
 */
export function earliestExpiryByNode(certs: readonly IssuedExpiry[]): Record<string, string> {
    const earliest = new Map<string, { ms: number; value: string }>();
    for (const c of certs) {
        const ms = parseTime(c.validityEndTime, `certificate ${c.id} validityEndTime`);
        for (const node of c.holders) {
            const seen = earliest.get(node);
            if (!seen || ms < seen.ms) earliest.set(node, { ms, value: c.validityEndTime });
        }
    }
    return Object.fromEntries([...earliest.keys()].sort().map((node) => [node, earliest.get(node)!.value]));
}

/** True when `validityEndTime` is at most `windowHours` after `now` (or already past). */
export function insideRenewalWindow(validityEndTime: string, now: Date, windowHours: number): boolean {
    return parseTime(validityEndTime, "validityEndTime") - now.getTime() <= windowHours * 3_600_000;
}

/**
 * One warning per node whose earliest certificate is inside the renewal window, and one for a
 * certificate held by no host (the admin kubeconfig's) inside it.
 */
export function renewalWarnings(certs: readonly IssuedExpiry[], now: Date, windowHours: number): string[] {
    const warnings: string[] = [];
    const fix = "run `pulumi up` (not targeted) to re-issue it before then";
    for (const [node, end] of Object.entries(earliestExpiryByNode(certs))) {
        if (insideRenewalWindow(end, now, windowHours)) {
            warnings.push(`node ${node}: a certificate expires at ${end}, inside its ${windowHours} h renewal window; ${fix}`);
        }
    }
    for (const c of certs.filter((x) => x.holders.length === 0)) {
        if (insideRenewalWindow(c.validityEndTime, now, windowHours)) {
            warnings.push(`certificate ${c.id} expires at ${c.validityEndTime}, inside its ${windowHours} h renewal window; ${fix}`);
        }
    }
    return warnings;
}
