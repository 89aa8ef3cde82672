// The HA piece: an HAProxy static pod on every node, listening on [::1] and forwarding TCP to every
// apiserver over the mesh (Talos KubePrism, Kubespray's localhost load balancer). There is no
// external load balancer; the kubelet, kube-proxy, the controller-manager and the scheduler all talk
// to https://[::1]:<apiserverProxyPort>. TLS passes through, so apiserver certificates carry ::1.
import { PATHS } from "../paths";
import { APISERVER_PROXY_HEALTH_PORT } from "./defaults";
import { ClusterFacts } from "./inputs";
import { members } from "./members";
import { LOOPBACK, hostPort, port } from "../../common/net";
import { manifestPath, renderStaticPod } from "./staticPod";

export const APISERVER_PROXY_MANIFEST_PATH = manifestPath("apiserver-proxy");
/** Where the image looks for its configuration; the host directory of PATHS.apiserverProxyConfig is mounted here. */
export const HAPROXY_CONFIG_DIR_IN_CONTAINER = "/usr/local/etc/haproxy";

const configDir = () => PATHS.apiserverProxyConfig.slice(0, PATHS.apiserverProxyConfig.lastIndexOf("/"));
const configFile = () => PATHS.apiserverProxyConfig.slice(PATHS.apiserverProxyConfig.lastIndexOf("/") + 1);

/**
 * Timings. Checks: /readyz every 2 s, down after 2 failures, up after 2 successes, so a dead or
 * draining apiserver leaves the rotation within ~4 s (its /readyz fails first when it shuts down).
 * Client and server idle timeouts are an hour: the apiserver ends a watch within
 * 2 x --min-request-timeout (30 min) on its own, and HTTP/2 clients ping every 30 s when idle, so
 * HAProxy never cuts a healthy long-running watch.
 */
export const PROXY_TIMINGS = {
    connect: "5s",
    clientIdle: "1h",
    serverIdle: "1h",
    check: "2s",
    checkInterval: "2s",
    fall: 2,
    rise: 2,
} as const;

export function renderApiserverProxyConfig(cluster: ClusterFacts): string {
    const t = PROXY_TIMINGS;
    const listen = hostPort(LOOPBACK, cluster.apiserverProxyPort, "apiserverProxyPort");
    const servers = members(cluster).map(
        (m) => `    server ${m.name} ${hostPort(m.meshAddress, cluster.apiserverPort, `${m.name}.meshAddress`)}`,
    );
    return `# Rendered by v6k8s: the node-local apiserver proxy. TCP passthrough from ${listen}
# to every control-plane member over the mesh; only members whose /readyz answers 200 get traffic.
global
    log stdout format raw local0 notice
    maxconn 4000

defaults
    mode tcp
    log global
    option dontlognull
    timeout connect ${t.connect}
    timeout client ${t.clientIdle}
    timeout server ${t.serverIdle}
    timeout check ${t.check}

# Liveness of HAProxy itself (the pod's probe); says nothing about the apiservers.
frontend healthz
    mode http
    bind ${hostPort(LOOPBACK, APISERVER_PROXY_HEALTH_PORT)}
    monitor-uri /healthz

frontend apiserver
    bind ${listen}
    default_backend apiservers

backend apiservers
    # Long watches go where the fewest connections are, not round-robin.
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    # Sessions to a server marked down are cut, so clients reconnect to a healthy one instead of
    # waiting on a watch that will never deliver.
    default-server check check-ssl verify none inter ${t.checkInterval} fall ${t.fall} rise ${t.rise} on-marked-down shutdown-sessions
${servers.join("\n")}
`;
}

export function renderApiserverProxyManifest(cluster: ClusterFacts): string {
    port(cluster.apiserverProxyPort, "apiserverProxyPort");
    return renderStaticPod("Rendered by v6k8s: the node-local apiserver proxy (HAProxy), a static pod on every node.", {
        name: "apiserver-proxy",
        tier: "node",
        image: cluster.images.apiserverProxy,
        // -W: master-worker, -db: stay in the foreground (what the image's entrypoint adds).
        command: ["haproxy", "-W", "-db", "-f", `${HAPROXY_CONFIG_DIR_IN_CONTAINER}/${configFile()}`],
        requests: { cpu: "25m", memory: "32Mi" },
        mounts: [{ name: "config", hostPath: configDir(), mountPath: HAPROXY_CONFIG_DIR_IN_CONTAINER, type: "Directory", readOnly: true }],
        // No annotation with the configuration's hash: a new configuration (a member added or
        // removed) is reloaded by the files step (apiserverProxyReload.ts), not a restart. Nor the
        // cluster's static-pod annotations: they carry the certificates' hash, and HAProxy reads no
        // certificate (TLS passes through), so a renewal must not restart it on every node.
        liveness: {
            httpGet: { host: LOOPBACK, path: "/healthz", port: APISERVER_PROXY_HEALTH_PORT, scheme: "HTTP" },
            initialDelaySeconds: 5,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
        },
    });
}
