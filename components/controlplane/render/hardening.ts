// What every control-plane TLS listener and debug endpoint is held to: TLS 1.2 at least (Go's own
// servers default to it since Go 1.22, the flags keep it whatever the build) and no profiling
// endpoints (/debug/pprof: heap and goroutine dumps to anyone the authorizer lets read them).
/** The Kubernetes components' spelling (crypto/tls names). */
export const TLS_MIN_VERSION = "VersionTLS12";
/** etcd's spelling of the same. */
export const ETCD_TLS_MIN_VERSION = "TLS1.2";

/** For the apiserver, controller-manager and scheduler. */
export function servingHardeningFlags(): string[] {
    return ["--profiling=false", `--tls-min-version=${TLS_MIN_VERSION}`];
}
