// A new apiserver-proxy configuration (a control-plane member joined or left) is reloaded, not
// restarted: HAProxy runs master-worker (`-W`), and SIGUSR2 to its master makes it read the file
// again and start new workers while the old ones finish their connections (long watches included).
// A restart of the static pod instead left the node's [::1]:7445 unanswered for about 12 s in the
// cluster lab (check 7d), every apiserver behind it serving. Pure: the files step wraps its
// installer with these two POSIX sh fragments.
import { PATHS } from "../paths";

const CONFIG = PATHS.apiserverProxyConfig;

/** Before the files are written: whether the proxy's configuration will change (`$proxy_reload`). */
export function renderProxyReloadBefore(newConfigSha256: string): string {
    return `proxy_reload=no
if [ -f ${CONFIG} ] && [ "$(sha256sum < ${CONFIG} | cut -d' ' -f1)" != ${newConfigSha256} ]; then proxy_reload=yes; fi
`;
}

/**
 * After they are written: SIGUSR2 to the running proxy container's HAProxy master (its PID 1), if
 * the configuration changed. No running proxy (first start, or the kubelet restarting it): it reads
 * the new file when it starts.
 */
export function renderProxyReloadAfter(): string {
    return `if [ "$proxy_reload" = yes ] && command -v ctr >/dev/null 2>&1; then
    running=$(ctr --namespace k8s.io tasks ls 2>/dev/null | awk '$3 == "RUNNING" {print $1}')
    for c in $(ctr --namespace k8s.io containers ls --quiet 'labels."io.kubernetes.container.name"==apiserver-proxy' 2>/dev/null); do
        if printf '%s\\n' "$running" | grep -qxF "$c"; then
            ctr --namespace k8s.io tasks kill --signal SIGUSR2 "$c"
            echo "apiserver proxy: new configuration, reloaded (SIGUSR2 to HAProxy's master, no restart)"
        fi
    done
fi
`;
}
