// Whenever the encryption keys change, the first control-plane node asks its etcd member, raw,
// under which keys the Secrets are stored, before any control-plane step writes the new
// configuration: a Secret under a key the new `encryptionKey` no longer has (the old key dropped
// before every Secret was rewritten) stops the run there, while that key is still in every
// apiserver's configuration, naming the key and the rewrite to run. A Secret's value in etcd
// starts with `k8s:enc:secretbox:v1:<key name>:` (the apiserver's envelope; a plaintext one, from
// before encryption, stays readable through the `identity` provider). etcdctl runs in the etcd
// container (etcdBackup.ts); its output is only counted here, never printed. Compared with the
// keys themselves, not with the previous run's output: a failed run cannot make it pass. On a
// stack's first run nothing is stored yet, and no etcd runs: nothing is asked.
import { PATHS } from "../paths";
import { ETCD_CLIENT_PORT } from "./defaults";
import { localEtcdContainer } from "./etcdBackup";

const KEY_NAME = /^v6k8s-[0-9a-f]{12}$/;

/**
 * `keys`: the key names of this run's `encryptionKey`; null on the stack's first run. `restore`:
 * the id of an etcd restore in this run (cluster.etcdRestore): its data may be gone and no etcd
 * run here, which then is no failure (the Secrets come back from the snapshot, which must have
 * been taken under these keys).
 */
export function renderEncryptionRewrittenCheck(keys: readonly string[] | null, restore?: string): string {
    if (keys === null) return "echo 'v6k8s: the first run: no Secret is stored yet'\n";
    if (keys.length === 0) throw new RangeError("encryption key check: no key");
    for (const n of keys) if (!KEY_NAME.test(n)) throw new RangeError(`encryption key check: unexpected key name ${JSON.stringify(n)}`);
    const container =
        restore === undefined
            ? localEtcdContainer()
            : localEtcdContainer(
                  `echo "v6k8s: no etcd runs on this node and etcd restore ${restore} runs in this run: nothing to ask (its snapshot must be from these keys)"; exit 0`,
              );
    return `set -eu
# Every Secret must be stored under one of this run's keys: ${keys.join(", ")}.
${container}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
( ctr --namespace k8s.io tasks exec --exec-id "v6k8s-keys-$$" "$id" etcdctl --endpoints=https://[::1]:${ETCD_CLIENT_PORT} \\
    --cacert=${PATHS.etcdCa.cert} --cert=${PATHS.etcdServer.cert} --key=${PATHS.etcdServer.key} \\
    get /registry/secrets/ --prefix --print-value-only; echo "$?" > "$tmp/status" ) |
    { grep -a -o 'k8s:enc:secretbox:v1:v6k8s-[0-9a-f]*:' || true; } | sort | uniq -c > "$tmp/counts"
[ "$(cat "$tmp/status")" = 0 ] || { echo "v6k8s: etcdctl could not list the Secrets to check the encryption keys" >&2; exit 1; }
left=0
while read -r count prefix; do
    name=\${prefix#k8s:enc:secretbox:v1:}
    name=\${name%:}
    case " ${keys.join(" ")} " in
    *" $name "*) ;;
    *)
        echo "v6k8s: encryptionKey: $count Secret(s) are stored under the key $name, which this run's encryptionKey drops; nothing was changed. Rewrite every Secret with the first key (kubectl get secrets -A -o json | kubectl replace -f -), then run pulumi up again." >&2
        left=1
        ;;
    esac
done < "$tmp/counts"
[ "$left" = 0 ]
echo "v6k8s: every Secret is stored under one of ${keys.join(", ")} (or from before encryption)"
`;
}
