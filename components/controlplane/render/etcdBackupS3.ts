// The S3-compatible store etcd snapshots go to (cluster.etcdBackup.s3): the files a control-plane
// node gets for it and the shell functions the backup and restore scripts use. Pure.
//
// Requests are path-style (`<endpoint>/<bucket>/<key>`) and signed by curl itself (SigV4,
// `--aws-sigv4`), so the hosts need nothing beyond curl. The credentials sit in a curl config file
// (mode 0600, written from the secret stdin of its own step): never on a command line, where
// /proc/<pid>/cmdline would show them, and never in a log.
import type { HostFiles } from "../../hosts/render/files";
import type { EtcdBackupS3Config } from "../../config/types";

/** Settings (not secret): S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_PREFIX, S3_KEEP, S3_NODE. */
export const S3_SETTINGS_PATH = "/etc/v6k8s/etcd-backup-s3.env";
/** curl config with `user = "<access key>:<secret key>"`, mode 0600. */
export const S3_AUTH_PATH = "/etc/v6k8s/etcd-backup-s3.curl";
/** cluster.etcdBackup.s3.caCertificate, when set. */
export const S3_CA_PATH = "/etc/v6k8s/etcd-backup-s3-ca.crt";

/** sha256 of nothing: the payload hash (SigV4's x-amz-content-sha256) of a request without a body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface S3Credentials {
    readonly accessKey: string;
    readonly secretKey: string;
}

/**
 * The store's files on a control-plane node; none without a store (the step that writes them then
 * removes the previous ones). Values are validated by the config schema: nothing here needs quoting
 * beyond single quotes.
 */
export function s3HostFiles(node: string, s3: EtcdBackupS3Config | undefined, credentials: S3Credentials | undefined): HostFiles {
    const files = new Map<string, { content: string; mode: string }>();
    if (!s3) return files;
    if (!credentials) throw new RangeError("etcdBackup.s3 needs the etcdBackupS3AccessKey and etcdBackupS3SecretKey secrets");
    const settings = {
        S3_ENDPOINT: s3.endpoint,
        S3_REGION: s3.region,
        S3_BUCKET: s3.bucket,
        S3_PREFIX: s3.prefix,
        S3_KEEP: String(s3.keep),
        S3_NODE: node,
    };
    files.set(S3_SETTINGS_PATH, {
        content: `# Rendered by v6k8s: cluster.etcdBackup.s3 (the credentials are in ${S3_AUTH_PATH}).\n${Object.entries(settings)
            .map(([k, v]) => `${k}='${v}'`)
            .join("\n")}\n`,
        mode: "0644",
    });
    files.set(S3_AUTH_PATH, { content: `user = "${credentials.accessKey}:${credentials.secretKey}"\n`, mode: "0600" });
    if (s3.caCertificate) files.set(S3_CA_PATH, { content: s3.caCertificate.trimEnd() + "\n", mode: "0644" });
    return files;
}

/**
 * Bash functions: `s3_configured` (the store's files are here; then its settings are loaded),
 * `s3 WHERE CURL_ARGS...` (a signed request without a body for `<bucket>WHERE`: `/<key>` for an
 * object, `?...` for the bucket; fails on any HTTP error, printing the store's answer), `s3_put
 * FILE KEY` (FILE uploaded as the object KEY), `s3_error OUTPUT` (the store's error code and
 * message in a failed request's output), `s3_key NAME` (this node's key for a snapshot file
 * name), `s3_list` (this node's snapshot keys, oldest first).
 */
export const S3_FUNCTIONS = `s3_configured() {
    [ -f ${S3_SETTINGS_PATH} ] && [ -f ${S3_AUTH_PATH} ] || return 1
    . ${S3_SETTINGS_PATH}
}
# s3_request PAYLOAD_SHA256 WHERE CURL_ARGS...: SigV4 signs the payload's hash, which S3 wants in its own header.
s3_request() {
    local sha=$1 where=$2 ca=()
    shift 2
    [ -f ${S3_CA_PATH} ] && ca=(--cacert ${S3_CA_PATH})
    curl --silent --show-error --fail-with-body --retry 3 --connect-timeout 10 --max-time 900 "\${ca[@]}" \\
        --aws-sigv4 "aws:amz:\${S3_REGION}:s3" --config ${S3_AUTH_PATH} -H "x-amz-content-sha256: $sha" "$@" "\${S3_ENDPOINT}/\${S3_BUCKET}\${where}"
}
s3() { s3_request ${EMPTY_SHA256} "$@"; }
s3_put() { s3_request "$(sha256sum < "$1" | cut -d' ' -f1)" "/$2" -T "$1"; }
# s3_error OUTPUT: the store's error code and message from a failed request's output (or the output).
s3_error() {
    local code message
    code=$(grep -o '<Code>[^<]*' <<<"$1" | head -n 1 | cut -c7-) || true
    message=$(grep -o '<Message>[^<]*' <<<"$1" | head -n 1 | cut -c10-) || true
    if [ -n "$code" ]; then echo "$code: $message"; else tail -n 1 <<<"$1"; fi
}
s3_key() { printf '%s%s/%s' "$S3_PREFIX" "$S3_NODE" "$1"; }
s3_list() {
    local prefix listing
    # The query is already percent-encoded: its canonical form for the signature.
    prefix=$(s3_key etcd- | sed 's|/|%2F|g')
    listing=$(s3 "?list-type=2&prefix=\${prefix}" 2>&1) || {
        echo "$listing"
        return 1
    }
    grep -o '<Key>[^<]*</Key>' <<<"$listing" | sed -e 's|^<Key>||' -e 's|</Key>$||' | grep -E '/etcd-[0-9]{8}T[0-9]{6}Z\\.db$' | sort || true
}`;
