// A control-plane host that lost its etcd data (reinstalled or replaced under the same name) while
// its member is still registered: etcd would crash-loop there ("member ... has already been
// bootstrapped" with --initial-cluster-state=new; a raft panic with `existing`, the old member ID
// and an empty log), the start step would not wait for it (no data: a bootstrap as far as it can
// tell) and `pulumi up` would end green with a member missing. So before the kubelet starts etcd,
// start-kubelet.sh runs this script, which asks the other members and, for such a host:
//   1. removes its old member (refused, with nothing changed, when the members left would have no
//      healthy quorum) and adds it again (a new ID, unstarted);
//   2. writes an etcd manifest that joins the running cluster: the rendered one with
//      --initial-cluster-state=existing and --initial-cluster = the membership after the add
//      (etcd checks both against the running cluster), the rendered one kept aside;
//   3. leaves a marker that makes start-kubelet.sh wait for the member like any joining one, and
//      once it is healthy run `--finish`: the rendered manifest back (etcd reads those flags only at
//      its first start; the kubelet restarts the pod once, on data it now has), healthy again.
// The same host at its first start (etcd's first bootstrap, or a join after its `member add`) finds
// its member unstarted, or no member answering, and starts as rendered.
//
// etcdctl is not on the hosts and there is no running etcd container to exec it in (etcdMembers.ts
// uses the local member's): this talks to the other members' JSON gateway (etcd's v3 API over
// HTTPS on the client port, on by default) with curl, as this node's etcd server certificate,
// which is issued for client use too. The gateway's protojson output spaces its fields at random:
// whitespace is dropped before it is read, and no value read here (names, URLs, IDs) holds any.
import { posix } from "path";
import { ETCD_DATA_DIR, PATHS } from "../paths";
import { RUNNING_CONTAINER_FUNCTIONS } from "./etcdMembers";
import { ETCD_MANIFEST_PATH } from "./etcd";
import { renderWaitFunctions } from "../../runtime/render/wait";

export const ETCD_REJOIN_PATH = "/usr/local/lib/v6k8s/etcd-rejoin.sh";
/** Kept on the host while a rejoin is under way: the marker and the rendered manifest (not in the manifest dir: the kubelet would run it). */
export const ETCD_REJOIN_DIR = "/var/lib/v6k8s/etcd-rejoin";
export const ETCD_REJOIN_MARKER = `${ETCD_REJOIN_DIR}/rejoining`;
export const ETCD_REJOIN_SAVED_MANIFEST = `${ETCD_REJOIN_DIR}/etcd.yaml`;

export interface EtcdRejoinOptions {
    readonly name: string;
    /** This member's `https://[<mesh address>]:2380`. */
    readonly peerUrl: string;
    /** The other members' client URLs, asked in this order. */
    readonly otherClientUrls: readonly string[];
    /** etcd's plain-HTTP /health listener on [::1] (for --finish). */
    readonly etcdMetricsPort: number;
    /** Seconds --finish waits for the restarted member; default 600. */
    readonly timeoutSeconds?: number;
    /** Seconds between progress lines; default DEFAULT_PROGRESS_SECONDS. */
    readonly progressSeconds?: number;
}

/**
 * A manifest is written whole under a hidden name in its directory and renamed over the old one:
 * the kubelet skips dotfiles, and reads any other file there as a pod (hosts/render/commands.ts).
 */
const MANIFEST_TEMP = posix.join(posix.dirname(ETCD_MANIFEST_PATH), `.${posix.basename(ETCD_MANIFEST_PATH)}.v6k8s-rejoin`);

const TLS = `--cacert ${PATHS.etcdCa.cert} --cert ${PATHS.etcdServer.cert} --key ${PATHS.etcdServer.key}`;

export function renderEtcdRejoin(opts: EtcdRejoinOptions): string {
    const timeout = opts.timeoutSeconds ?? 600;
    const etcdHealth = `http://[::1]:${opts.etcdMetricsPort}/health`;
    return `#!/bin/bash
# Rendered by v6k8s. Rejoins etcd when this control-plane host lost its etcd data but its member
# is still registered (a reinstalled host); otherwise changes nothing. Run by start-kubelet.sh
# before the kubelet starts etcd, and with --finish once the rejoined member is healthy.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
${renderWaitFunctions(opts.progressSeconds)}
name=${opts.name}
peer_url='${opts.peerUrl}'
others=(${opts.otherClientUrls.map((u) => `'${u}'`).join(" ")})
fail() { echo "etcd: $name cannot rejoin: $*" >&2; exit 1; }

# etcd_api URL PATH BODY: a POST to a member's JSON gateway; prints the answer without whitespace,
# fails (etcd's message on stderr) on anything but HTTP 200.
etcd_api() {
    local out
    out=$(curl -sS --connect-timeout 3 --max-time 10 ${TLS} -X POST -d "$3" -w '\\n%{http_code}' "$1$2" 2>&1) || { echo "$out" >&2; return 1; }
    if [ "\${out##*$'\\n'}" != 200 ]; then echo "\${out%$'\\n'*}" >&2; return 1; fi
    tr -d '[:space:]' <<<"\${out%$'\\n'*}"
}
member_healthy() {
    curl -sS --connect-timeout 3 --max-time 10 ${TLS} "$1/health" 2>/dev/null | tr -d '[:space:]' | grep -q '"health":"true"'
}
# One member object a line, from a member list or add answer (member objects hold no braces).
members_of() { grep -o '{[^{}]*"ID":"[0-9]*"[^{}]*}' <<<"$1" || true; }
# str OBJECT KEY: a string field, empty when absent (a member added but never started has no name).
str() { sed -n "s/.*\\"$2\\":\\"\\([^\\"]*\\)\\".*/\\1/p" <<<"$1"; }
# urls OBJECT KEY: a list of strings, comma-joined (an IPv6 URL holds "]": the list ends at "]).
urls() { sed -n "s/.*\\"$2\\":\\[\\(\\"[^\\"]*\\"\\(,\\"[^\\"]*\\"\\)*\\)\\].*/\\1/p" <<<"$1" | tr -d '"'; }
# started OBJECT: the member published its client URLs, which it does once it has run (as etcd's
# own "has already been bootstrapped" check decides). Not its name: a member of the first
# bootstrap has its name from --initial-cluster before it ever starts.
started() { [ -n "$(urls "$1" clientURLs)" ]; }
# The member object whose peer URLs hold ours.
mine_in() { members_of "$1" | grep -F "\\"$peer_url\\"" || true; }
has_data() { compgen -G "${ETCD_DATA_DIR}/member/wal/*.wal" >/dev/null; }

if [ "\${1:-}" = --finish ]; then
${renderFinish(timeout, etcdHealth)}
fi

if has_data; then
    echo "etcd: $name has its data in ${ETCD_DATA_DIR}: nothing to rejoin"
    exit 0
fi
list="" asked=""
for url in "\${others[@]}"; do
    if list=$(etcd_api "$url" /v3/cluster/member/list '{}' 2>/dev/null); then asked=$url; break; fi
done
if [ -z "$asked" ]; then
    [ ! -e ${ETCD_REJOIN_MARKER} ] || fail "no other member answers (\${others[*]}); they must run, with a quorum, for it to rejoin"
    echo "etcd: no other member answers: a first bootstrap, $name starts as rendered"
    exit 0
fi
mine=$(mine_in "$list")
if [ ! -e ${ETCD_REJOIN_MARKER} ]; then
    if [ -n "$mine" ] && ! started "$mine"; then
        echo "etcd: $name is a member that has not started yet (asked $asked): it starts as rendered"
        exit 0
    fi
    if [ -n "$mine" ]; then
        echo "etcd: $name is a started member (asked $asked) but this host has no etcd data (reinstalled?): rejoining as a new member"
    else
        echo "etcd: $name is no member of the running cluster (asked $asked) and has no etcd data: joining it"
    fi
fi
members_of "$list" | sed 's/^/  member: /'
if [ -n "$mine" ] && started "$mine"; then
    # The old member goes only if the ones left keep a healthy quorum (it is not counted: it has no data).
    total=$(members_of "$list" | grep -vc '"isLearner":true' || true)
    left=$((total - 1))
    quorum=$((left / 2 + 1))
    healthy=0
    while read -r m; do
        [ -n "$m" ] || continue
        grep -qF '"isLearner":true' <<<"$m" && continue
        for u in $(urls "$m" clientURLs | tr ',' ' '); do
            if member_healthy "$u"; then healthy=$((healthy + 1)); break; fi
        done
    done < <(members_of "$list" | grep -vF "\\"$peer_url\\"")
    [ "$healthy" -ge "$quorum" ] || fail "$left members would be left, $healthy of them healthy, and etcd needs $quorum for a quorum: nothing changed; make them healthy first, or restore etcd from a snapshot (README, Day-2 operations)"
fi
# From here on this host is rejoining, until --finish: a run cut short goes on from where it was.
mkdir -p ${ETCD_REJOIN_DIR}
touch ${ETCD_REJOIN_MARKER}
if [ -n "$mine" ] && started "$mine"; then
    id=$(str "$mine" ID)
    etcd_api "$asked" /v3/cluster/member/remove "{\\"ID\\":\\"$id\\"}" >/dev/null || fail "the removal of its old member $id failed (above)"
    echo "etcd: removed the old member $id of $name ($left left, $healthy healthy)"
    mine=""
fi
if [ -z "$mine" ]; then
    etcd_api "$asked" /v3/cluster/member/add "{\\"peerURLs\\":[\\"$peer_url\\"]}" >/dev/null || fail "member add failed (above)"
    echo "etcd: added $name again ($peer_url): it joins when its etcd starts"
fi
list=$(etcd_api "$asked" /v3/cluster/member/list '{}') || fail "the member list after the add failed (above)"
# --initial-cluster as etcd checks it for a joining member: every member, by name, with its peer URLs.
initial=""
while read -r m; do
    [ -n "$m" ] || continue
    n=$(str "$m" name)
    if grep -qF "\\"$peer_url\\"" <<<"$m"; then
        n=$name
    elif [ -z "$n" ]; then
        fail "another member ($(urls "$m" peerURLs)) has not started yet: it must join first"
    fi
    for u in $(urls "$m" peerURLs | tr ',' ' '); do initial="$initial\${initial:+,}$n=$u"; done
done < <(members_of "$list")
[ -e ${ETCD_REJOIN_SAVED_MANIFEST} ] || cp -p ${ETCD_MANIFEST_PATH} ${ETCD_REJOIN_SAVED_MANIFEST}
sed -e 's|--initial-cluster-state=new$|--initial-cluster-state=existing|' \\
    -e "s|--initial-cluster=[^[:space:]]*$|--initial-cluster=$initial|" ${ETCD_REJOIN_SAVED_MANIFEST} > ${MANIFEST_TEMP}
mv -f ${MANIFEST_TEMP} ${ETCD_MANIFEST_PATH}
echo "etcd: $name starts joining the running cluster (--initial-cluster=$initial); the rendered manifest comes back once it is healthy"
`;
}

/** `--finish`: the rendered manifest back, then the member restarted on its data and healthy. */
function renderFinish(timeout: number, etcdHealth: string): string {
    const body = `${RUNNING_CONTAINER_FUNCTIONS}
etcd_healthy() { curl -fs --max-time 2 ${etcdHealth} 2>/dev/null | grep -q '"health": *"true"'; }
if [ -e ${ETCD_REJOIN_SAVED_MANIFEST} ]; then
    before=$(etcd_container || true)
    cp ${ETCD_REJOIN_SAVED_MANIFEST} ${MANIFEST_TEMP}
    mv -f ${MANIFEST_TEMP} ${ETCD_MANIFEST_PATH}
    rm -f ${ETCD_REJOIN_SAVED_MANIFEST}
    echo "etcd: $name rejoined; its rendered manifest is back (the kubelet restarts etcd on its data)"
    restarted() { local now; now=$(etcd_container || true); [ -n "$now" ] && [ "$now" != "$before" ] && etcd_healthy; }
    wait_until ${timeout} "etcd on $name restarted with its rendered manifest and healthy (${etcdHealth})" "show_pods etcd" restarted
fi
rm -f ${ETCD_REJOIN_MARKER}
exit 0`;
    return body
        .split("\n")
        .map((l) => (l ? `    ${l}` : l))
        .join("\n");
}
