// Before a control-plane node's files step writes a changed etcd manifest, which makes the kubelet
// restart the member at once (an upgrade, a renewed certificate, a changed flag): the other voting
// members must keep a quorum without it, seen by `endpoint health --cluster`. Restarting a member of
// 3 while another is down, or one of 4 while the fourth was added but has not started, loses the
// quorum; the gate waits for the others to be healthy and fails the step, with nothing written,
// when they do not become so. Pure: NodeKubernetes prefixes the files command with it.
import { ETCD_MANIFEST_PATH } from "./etcd";
import { EtcdMemberSpec, FIELD_FUNCTION, HEALTHY_VOTERS_FUNCTION, etcdctlInPodFunctions, lookUpMember } from "./etcdMembers";
import { renderWaitFunctions } from "../../runtime/render/wait";
import { shellQuote } from "../../hosts/render/commands";

export interface EtcdRestartGateOptions {
    /** Seconds to wait for a quorum besides this member; default 600. */
    readonly timeoutSeconds?: number;
    /** Seconds between progress lines; default the wait functions'. */
    readonly progressSeconds?: number;
}

/**
 * The gate itself (bash): exits 0 once the other voting members keep a quorum without this one;
 * waits for that, printing progress, and fails with their health after `timeoutSeconds`.
 */
export function renderEtcdRestartGateScript(member: EtcdMemberSpec, opts: EtcdRestartGateOptions = {}): string {
    const timeout = opts.timeoutSeconds ?? 600;
    return `#!/bin/bash
# Rendered by v6k8s: etcd member ${member.name} may restart only while the others keep a quorum.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
name=${member.name}
peer_url='${member.peerUrl}'
here=$name
fail() { echo "etcd: not restarting member $name: $*" >&2; exit 1; }
${FIELD_FUNCTION}
${HEALTHY_VOTERS_FUNCTION}
${etcdctlInPodFunctions()}
${renderWaitFunctions(opts.progressSeconds)}
if ! etcd_id=$(etcd_container); then
    echo "etcd: no member runs on $name yet: its manifest changes without a quorum to keep"
    exit 0
fi
${lookUpMember("fail")}
[ -n "$line" ] || { echo "etcd: $name is not a member: its manifest changes without a quorum to keep"; exit 0; }
id=$(field 1)
voters=$(awk -F', ' '$6 != "true" {n++} END {print n + 0}' <<<"$members")
quorum=$((voters / 2 + 1))
if [ "$voters" -le 1 ]; then
    echo "etcd: $name is the only voting member: its restart pauses the cluster, there is no other way"
    exit 0
fi
others_keep_quorum() {
    local out
    out=$(etcdctl member list -w simple 2>&1) || return 1
    members=$(grep -E '^[0-9a-f]+, (un)?started, ' <<<"$out") || return 1
    health=$(etcdctl endpoint health --cluster -w simple 2>&1 || true)
    healthy=$(healthy_voters_except "$id")
    [ "$healthy" -ge "$quorum" ]
}
show_health() {
    echo "etcd: $healthy of the $((voters - 1)) other voting members are healthy; restarting $name needs $quorum of them"
    sed 's/^/  health: /' <<<"$health"
}
healthy=0
health=
wait_until ${timeout} "a quorum of healthy etcd members besides $name ($quorum of $((voters - 1))) before its manifest changes" show_health others_keep_quorum
echo "etcd: $healthy of the $((voters - 1)) other voting members healthy: $name may restart"`;
}

/**
 * A POSIX sh fragment (the files command is one): when the etcd manifest on the host differs from
 * the one about to be written (`manifestSha256`), runs the gate; a host without the manifest or
 * without a running member has no quorum to keep, and a lone voting member restarts anyway (there
 * is no other way; the cluster pauses for it).
 */
export function renderEtcdRestartGate(member: EtcdMemberSpec, manifestSha256: string, opts: EtcdRestartGateOptions = {}): string {
    // bash -c, not a here-document on bash's stdin: ctr would read the rest of the script as its input.
    return `if [ -f ${ETCD_MANIFEST_PATH} ] && [ "$(sha256sum < ${ETCD_MANIFEST_PATH} | cut -d' ' -f1)" != ${manifestSha256} ]; then
    /bin/bash -c ${shellQuote(renderEtcdRestartGateScript(member, opts))} v6k8s-etcd-restart-gate < /dev/null
fi
`;
}
