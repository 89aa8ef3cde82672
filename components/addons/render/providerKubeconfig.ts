// The kubeconfig the Pulumi runner's Kubernetes provider uses: the admin kubeconfig, pointed at
// another apiserver URL when the runner reaches the cluster some other way (an SSH tunnel, say).
import { parse, stringify } from "yaml";

interface Kubeconfig {
    clusters?: { name: string; cluster: { server: string } }[];
}

/** `kubeconfig` with every cluster's server replaced by `server`; unchanged when `server` is undefined. */
export function withServer(kubeconfig: string, server: string | undefined): string {
    if (server === undefined) return kubeconfig;
    if (new URL(server).protocol !== "https:") throw new RangeError(`kubernetesProviderServer: ${server} is not https`);
    const doc = parse(kubeconfig) as Kubeconfig;
    if (!doc?.clusters?.length) throw new RangeError("the admin kubeconfig has no clusters");
    for (const c of doc.clusters) c.cluster.server = server;
    return stringify(doc, { lineWidth: 0 });
}
