#!/bin/bash
# Rendered by v6k8s. Rejoins etcd when this control-plane host lost its etcd data but its member
# is still registered (a reinstalled host); otherwise changes nothing. Run by start-kubelet.sh
# before the kubelet starts etcd, and with --finish once the rejoined member is healthy.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
progress_seconds=5
wait_until() {
    local seconds=$1 what=$2 diagnose=$3
    shift 3
    local start=$SECONDS
    local next=$((SECONDS + progress_seconds))
    until "$@"; do
        if [ $((SECONDS - start)) -ge "$seconds" ]; then
            echo "$what: not ready within ${seconds}s" >&2
            $diagnose >&2 || true
            exit 1
        fi
        if [ "$SECONDS" -ge "$next" ]; then
            echo "waiting for $what ($((SECONDS - start))s of ${seconds}s)"
            next=$((SECONDS + progress_seconds))
        fi
        sleep 1
    done
    echo "$what: ready after $((SECONDS - start))s"
}
http_ok() {
    curl -fsk --max-time 2 "$1" >/dev/null 2>&1
}
show_unit() {
    echo "--- journalctl -u $1 -n 50 --no-pager"
    journalctl -u "$1" -n 50 --no-pager 2>&1 || true
}
show_pods() {
    local c id log
    if command -v crictl >/dev/null 2>&1; then
        echo "--- crictl ps -a"
        crictl --runtime-endpoint unix:///run/containerd/containerd.sock ps -a 2>&1 || true
        for c in "$@"; do
            id=$(crictl --runtime-endpoint unix:///run/containerd/containerd.sock ps -a --name "^$c\$" -q 2>/dev/null | head -n 1 || true)
            if [ -n "$id" ]; then
                echo "--- crictl logs --tail 50 $id ($c)"
                crictl --runtime-endpoint unix:///run/containerd/containerd.sock logs --tail 50 "$id" 2>&1 || true
            else
                echo "--- no $c container"
            fi
        done
    else
        echo "--- crictl not installed; the kubelet's copies of the container logs"
        for c in "$@"; do
            log=$(ls -t /var/log/pods/kube-system_"$c"-*/"$c"/*.log 2>/dev/null | head -n 1 || true)
            if [ -n "$log" ]; then
                echo "--- tail -n 50 $log"
                tail -n 50 "$log" 2>&1 || true
            else
                echo "--- no log of $c under /var/log/pods"
            fi
        done
    fi
    show_unit kubelet
}
name=cp1
peer_url='https://[fd8a:31c2:7c1f:1:1::1]:2380'
others=('https://[fd8a:31c2:7c1f:1:2::1]:2379' 'https://[fd8a:31c2:7c1f:1:3::1]:2379')
fail() { echo "etcd: $name cannot rejoin: $*" >&2; exit 1; }

# etcd_api URL PATH BODY: a POST to a member's JSON gateway; prints the answer without whitespace,
# fails (etcd's message on stderr) on anything but HTTP 200.
etcd_api() {
    local out
    out=$(curl -sS --connect-timeout 3 --max-time 10 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key -X POST -d "$3" -w '\n%{http_code}' "$1$2" 2>&1) || { echo "$out" >&2; return 1; }
    if [ "${out##*$'\n'}" != 200 ]; then echo "${out%$'\n'*}" >&2; return 1; fi
    tr -d '[:space:]' <<<"${out%$'\n'*}"
}
member_healthy() {
    curl -sS --connect-timeout 3 --max-time 10 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key "$1/health" 2>/dev/null | tr -d '[:space:]' | grep -q '"health":"true"'
}
# One member object a line, from a member list or add answer (member objects hold no braces).
members_of() { grep -o '{[^{}]*"ID":"[0-9]*"[^{}]*}' <<<"$1" || true; }
# str OBJECT KEY: a string field, empty when absent (a member added but never started has no name).
str() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" <<<"$1"; }
# urls OBJECT KEY: a list of strings, comma-joined (an IPv6 URL holds "]": the list ends at "]).
urls() { sed -n "s/.*\"$2\":\[\(\"[^\"]*\"\(,\"[^\"]*\"\)*\)\].*/\1/p" <<<"$1" | tr -d '"'; }
# started OBJECT: the member published its client URLs, which it does once it has run (as etcd's
# own "has already been bootstrapped" check decides). Not its name: a member of the first
# bootstrap has its name from --initial-cluster before it ever starts.
started() { [ -n "$(urls "$1" clientURLs)" ]; }
# The member object whose peer URLs hold ours.
mine_in() { members_of "$1" | grep -F "\"$peer_url\"" || true; }
has_data() { compgen -G "/var/lib/etcd/member/wal/*.wal" >/dev/null; }

if [ "${1:-}" = --finish ]; then
    running_container() {
        local running c
        running=$(ctr --namespace k8s.io tasks ls | awk '$3 == "RUNNING" {print $1}')
        for c in $(ctr --namespace k8s.io containers ls --quiet "labels.\"io.kubernetes.container.name\"==$1"); do
            if printf '%s\n' "$running" | grep -qxF "$c"; then echo "$c"; return 0; fi
        done
        return 1
    }
    etcd_container() { running_container etcd; }
    etcd_healthy() { curl -fs --max-time 2 http://[::1]:2381/health 2>/dev/null | grep -q '"health": *"true"'; }
    if [ -e /var/lib/v6k8s/etcd-rejoin/etcd.yaml ]; then
        before=$(etcd_container || true)
        cp /var/lib/v6k8s/etcd-rejoin/etcd.yaml /etc/kubernetes/manifests/.etcd.yaml.v6k8s-rejoin
        mv -f /etc/kubernetes/manifests/.etcd.yaml.v6k8s-rejoin /etc/kubernetes/manifests/etcd.yaml
        rm -f /var/lib/v6k8s/etcd-rejoin/etcd.yaml
        echo "etcd: $name rejoined; its rendered manifest is back (the kubelet restarts etcd on its data)"
        restarted() { local now; now=$(etcd_container || true); [ -n "$now" ] && [ "$now" != "$before" ] && etcd_healthy; }
        wait_until 600 "etcd on $name restarted with its rendered manifest and healthy (http://[::1]:2381/health)" "show_pods etcd" restarted
    fi
    rm -f /var/lib/v6k8s/etcd-rejoin/rejoining
    exit 0
fi

if has_data; then
    echo "etcd: $name has its data in /var/lib/etcd: nothing to rejoin"
    exit 0
fi
list="" asked=""
for url in "${others[@]}"; do
    if list=$(etcd_api "$url" /v3/cluster/member/list '{}' 2>/dev/null); then asked=$url; break; fi
done
if [ -z "$asked" ]; then
    [ ! -e /var/lib/v6k8s/etcd-rejoin/rejoining ] || fail "no other member answers (${others[*]}); they must run, with a quorum, for it to rejoin"
    echo "etcd: no other member answers: a first bootstrap, $name starts as rendered"
    exit 0
fi
mine=$(mine_in "$list")
if [ ! -e /var/lib/v6k8s/etcd-rejoin/rejoining ]; then
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
    done < <(members_of "$list" | grep -vF "\"$peer_url\"")
    [ "$healthy" -ge "$quorum" ] || fail "$left members would be left, $healthy of them healthy, and etcd needs $quorum for a quorum: nothing changed; make them healthy first, or restore etcd from a snapshot (README, Day-2 operations)"
fi
# From here on this host is rejoining, until --finish: a run cut short goes on from where it was.
mkdir -p /var/lib/v6k8s/etcd-rejoin
touch /var/lib/v6k8s/etcd-rejoin/rejoining
if [ -n "$mine" ] && started "$mine"; then
    id=$(str "$mine" ID)
    etcd_api "$asked" /v3/cluster/member/remove "{\"ID\":\"$id\"}" >/dev/null || fail "the removal of its old member $id failed (above)"
    echo "etcd: removed the old member $id of $name ($left left, $healthy healthy)"
    mine=""
fi
if [ -z "$mine" ]; then
    etcd_api "$asked" /v3/cluster/member/add "{\"peerURLs\":[\"$peer_url\"]}" >/dev/null || fail "member add failed (above)"
    echo "etcd: added $name again ($peer_url): it joins when its etcd starts"
fi
list=$(etcd_api "$asked" /v3/cluster/member/list '{}') || fail "the member list after the add failed (above)"
# --initial-cluster as etcd checks it for a joining member: every member, by name, with its peer URLs.
initial=""
while read -r m; do
    [ -n "$m" ] || continue
    n=$(str "$m" name)
    if grep -qF "\"$peer_url\"" <<<"$m"; then
        n=$name
    elif [ -z "$n" ]; then
        fail "another member ($(urls "$m" peerURLs)) has not started yet: it must join first"
    fi
    for u in $(urls "$m" peerURLs | tr ',' ' '); do initial="$initial${initial:+,}$n=$u"; done
done < <(members_of "$list")
[ -e /var/lib/v6k8s/etcd-rejoin/etcd.yaml ] || cp -p /etc/kubernetes/manifests/etcd.yaml /var/lib/v6k8s/etcd-rejoin/etcd.yaml
sed -e 's|--initial-cluster-state=new$|--initial-cluster-state=existing|' \
    -e "s|--initial-cluster=[^[:space:]]*$|--initial-cluster=$initial|" /var/lib/v6k8s/etcd-rejoin/etcd.yaml > /etc/kubernetes/manifests/.etcd.yaml.v6k8s-rejoin
mv -f /etc/kubernetes/manifests/.etcd.yaml.v6k8s-rejoin /etc/kubernetes/manifests/etcd.yaml
echo "etcd: $name starts joining the running cluster (--initial-cluster=$initial); the rendered manifest comes back once it is healthy"
