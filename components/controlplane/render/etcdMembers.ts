// Growing and shrinking etcd by one member, from another member: `member add` before a joining
// node's etcd first starts, `member remove` when a node stops being a control-plane node. Pure: the
// program sends these as the create and delete of `k8s-<node>-etcd-member` (membership.ts), the lab
// and the tests run them as they are.
//
// etcdctl is not on the hosts (as for the backups, etcdBackup.ts): the scripts run the etcd pod's
// own etcdctl in the running container with `ctr tasks exec`, so the client always matches the
// member, and they use the member's server certificate as the client certificate (it is issued for
// both). They parse `-w simple` output, the same in etcdctl 3.4 to 3.6:
//   member list:      `<hex id>, <started|unstarted>, <name>, <peer urls>, <client urls>, <is learner>`
//   endpoint health:  `<url> is healthy: successfully committed proposal: took = …` (stdout) or
//                     `<url> is unhealthy: failed to commit proposal: …` (stderr)
// (jq and python are not on the hosts, so no JSON.)
import { ETCD_DATA_DIR, PATHS } from "../paths";
import { CONTROL_PLANE_ROLE_LABEL, adminKubectlFunction, removeControlPlaneTaintLine } from "./nodeRoles";

/** The node whose membership changes, as the member being added or removed. */
export interface EtcdMemberSpec {
    readonly name: string;
    /** `https://[<mesh address>]:2380` (etcd.ts etcdPeerUrl): how etcd knows a member that never started. */
    readonly peerUrl: string;
}

/**
 * Shell functions (sh or bash): `running_container NAME` prints the ID of the running container
 * the kubelet named NAME and fails without one (the kubelet may keep an exited one beside it);
 * `etcd_container` is the running etcd. `ctr` comes with containerd on every node.
 */
export const RUNNING_CONTAINER_FUNCTIONS = `running_container() {
    local running c
    running=$(ctr --namespace k8s.io tasks ls | awk '$3 == "RUNNING" {print $1}')
    for c in $(ctr --namespace k8s.io containers ls --quiet "labels.\\"io.kubernetes.container.name\\"==$1"); do
        if printf '%s\\n' "$running" | grep -qxF "$c"; then echo "$c"; return 0; fi
    done
    return 1
}
etcd_container() { running_container etcd; }`;

/**
 * Shell functions for a control-plane host: `etcd_container` prints the ID of the running etcd
 * container (the kubelet may keep an exited one beside it); `etcdctl ARGS...` runs etcdctl in the
 * container held by `$etcd_id`, against the local member.
 */
export function etcdctlInPodFunctions(): string {
    return `${RUNNING_CONTAINER_FUNCTIONS}
etcdctl() {
    # An exec ID is unique per call (each $(...) is its own process: BASHPID).
    ctr --namespace k8s.io tasks exec --exec-id "v6k8s-member-$BASHPID-$RANDOM" "$etcd_id" etcdctl --endpoints=https://[::1]:2379 \\
        --cacert=${PATHS.etcdCa.cert} --cert=${PATHS.etcdServer.cert} --key=${PATHS.etcdServer.key} "$@"
}`;
}

/**
 * What both member scripts do first, on the anchor: find its etcd container, list the members
 * (etcdctl's client may log warnings among them), print them, and set `line` to the member with
 * this name or peer URL (an unstarted member has no name yet), empty if none. `die` is the
 * script's failure function (fail, refuse).
 */
export const lookUpMember = (
    die: string,
) => `etcd_id=$(etcd_container) || ${die} "no running etcd container on $here to ask; run pulumi up again once its etcd runs"
out=$(etcdctl member list -w simple 2>&1) || ${die} "the member list from $here failed (no quorum?): $out"
members=$(grep -E '^[0-9a-f]+, (un)?started, ' <<<"$out") || ${die} "no member in etcd's answer: $out"
sed 's/^/  member: /' <<<"$members"
line=$(awk -F', ' -v n="$name" -v p="$peer_url" '$3 == n || index("," $4 ",", "," p ",") {print; exit}' <<<"$members")`;
/** `field N`: column N of that line (URL columns may hold several URLs, joined by ","). */
export const FIELD_FUNCTION = `field() { awk -F', ' -v i="$1" '{print $i}' <<<"$line"; }`;

/**
 * `healthy_voters_except ID` prints how many voting members other than ID are healthy: `$members`
 * (member list lines) and `$health` (`endpoint health --cluster` lines) as read; each member counted
 * once, by its client URLs.
 */
export const HEALTHY_VOTERS_FUNCTION = `healthy_voters_except() {
    awk -v id="$1" '
        NR == FNR { split($0, f, ", "); if (f[1] != id && f[6] != "true") { n = split(f[5], u, ","); for (i = 1; i <= n; i++) voter[u[i]] = f[1] } next }
        / is healthy: / && ($1 in voter) && !(voter[$1] in ok) { ok[voter[$1]] = 1; c++ }
        END { print c + 0 }' <(printf '%s\\n' "$members") <(printf '%s\\n' "$health")
}`;

const header = (what: string, host: string) => `#!/bin/bash
# Rendered by v6k8s. ${what}
# Runs on ${host}, a control-plane node that stays (pulumi-command runs a delete with the
# connection it stored); the etcd and Kubernetes credentials it uses are that node's own.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"`;

/**
 * The `member add` of a node joining a running etcd (joinEtcd: true), before its etcd first starts
 * with --initial-cluster-state=existing. Idempotent: a member with this name or peer URL is left
 * as it is (a re-run, or an earlier manual `member add`). etcd itself refuses an add that would
 * leave the started members without a quorum (--strict-reconfig-check).
 */
export function renderAddEtcdMember(member: EtcdMemberSpec, runsOn: string): string {
    return `${header(`Adds ${member.name} to etcd before its etcd first starts (joinEtcd).`, runsOn)}
name=${member.name}
peer_url='${member.peerUrl}'
fail() { echo "etcd: cannot add member $name: $*" >&2; exit 1; }
${FIELD_FUNCTION}
${etcdctlInPodFunctions()}
here=$(hostname)
echo "etcd: adding member $name ($peer_url), from $here"
${lookUpMember("fail")}
if [ -n "$line" ]; then
    status=$(field 2)
    found=$(field 3)
    if [ -n "$found" ] && [ "$found" != "$name" ]; then fail "its peer URL belongs to member $found"; fi
    case ",$(field 4)," in
        *",$peer_url,"*) ;;
        *) fail "a member named $name exists with other peer URLs ($line)" ;;
    esac
    echo "etcd: $name is already a member ($status): nothing to add"
    exit 0
fi
out=$(etcdctl member add "$name" --peer-urls="$peer_url" 2>&1) || fail "$out"
echo "$out"
echo "etcd: member $name added; it joins when its etcd starts"
`;
}

export interface RemoveEtcdMemberOptions {
    /** The node-local apiserver proxy on [::1], for the Node's control-plane label and taint. */
    readonly proxyPort: number;
}

/**
 * The `member remove` of a node that is no longer a control-plane node (removed from the config,
 * or its role dropped). Refuses, with nothing changed, when the node is the last voting member or
 * when the voting members left would not have a healthy quorum (`endpoint health --cluster`, the
 * node's own endpoint not counted: it may already be cut off). Idempotent: a member already gone is
 * success. Then the Node, if it is still there (the node stays as a worker), loses the
 * control-plane label and taint, which nothing else would remove.
 */
export function renderRemoveEtcdMember(member: EtcdMemberSpec, runsOn: string, opts: RemoveEtcdMemberOptions): string {
    return `${header(`Removes ${member.name} from etcd: it is no longer a control-plane node.`, runsOn)}
name=${member.name}
peer_url='${member.peerUrl}'
refuse() { echo "etcd: refusing to remove member $name: $*" >&2; exit 1; }
${FIELD_FUNCTION}
${HEALTHY_VOTERS_FUNCTION}
${etcdctlInPodFunctions()}
${adminKubectlFunction(opts.proxyPort)}
here=$(hostname)
echo "etcd: removing member $name ($peer_url), from $here"
${lookUpMember("refuse")}
if [ -z "$line" ]; then
    echo "etcd: $name is not a member (already removed): nothing to remove"
else
    id=$(field 1)
    if [ "$(field 6)" != true ]; then
        voters=$(awk -F', ' '$6 != "true" {n++} END {print n + 0}' <<<"$members")
        [ "$voters" -gt 1 ] || refuse "it is the last member, the last control-plane node: the cluster would end with it"
        left=$((voters - 1))
        quorum=$((left / 2 + 1))
        # Health of every member's client URL; one that does not answer is unhealthy (and etcdctl exits 1).
        health=$(etcdctl endpoint health --cluster -w simple 2>&1 || true)
        sed 's/^/  health: /' <<<"$health"
        # Healthy voting members other than $name: their client URLs from the member list, each member counted once.
        healthy=$(healthy_voters_except "$id")
        if [ "$healthy" -lt "$quorum" ]; then
            refuse "$left members would be left, $healthy of them healthy, and etcd needs $quorum of them for a quorum; make the others healthy first (the health lines above)"
        fi
        echo "etcd: $left members left after the removal, $healthy of them healthy (a quorum is $quorum)"
    fi
    if ! out=$(etcdctl member remove "$id" 2>&1); then
        grep -q "member not found" <<<"$out" || { echo "etcd: member remove $id failed: $out" >&2; exit 1; }
        out="etcd: $name was removed meanwhile"
    fi
    echo "$out"
    etcdctl member list -w simple | sed 's/^/  member: /' || true
fi
# ${member.name}'s etcd data (${ETCD_DATA_DIR}) is not touched from here: if the node stays, its start
# script moves the data aside once etcd no longer runs there (activate.ts).
node=$(k get node "$name" --ignore-not-found -o name 2>&1) || { echo "node $name: cannot reach the apiserver from $here: $node" >&2; exit 1; }
if [ -n "$node" ]; then
    k label node "$name" ${CONTROL_PLANE_ROLE_LABEL}-
    ${removeControlPlaneTaintLine('"$name"')}
    echo "node $name: no longer labelled or tainted as a control-plane node"
fi
`;
}
