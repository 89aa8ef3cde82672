// The lab's services stack: the cluster services and the public services of the cluster lab's stack
// file, applied by the real Pulumi engine to the lab cluster, with the SAME components as the
// program (index.ts): ClusterServices and createPublicServices. What differs from the program is only
// where the inputs come from: the stack file instead of Pulumi config, the admin kubeconfig the
// cluster lab wrote instead of KubernetesCluster's, the lab hosts' addresses instead of Host objects,
// and nothing to wait for (the cluster exists before this stack runs).
//
// Config (namespace v6k8s-lab-engine, all optional):
//   stackFile        the lab stack file (default lab/stacks/cluster.yaml)
//   kubeconfig       path of the admin kubeconfig (default /run/v6k8s-lab/admin.kubeconfig)
//   corednsReplicas  overrides cluster.coredns.replicas (the in-place update check)
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { ClusterServices } from "../../components/addons/clusterServices";
import { createPublicServices } from "../../components/addons/publicService";
import { clusterServiceInputs } from "../../components/addons/render/clusterObjects";
import { readStackFile } from "../../components/config/stackFile";
import type { StackConfig } from "../../components/config/types";
import { planStack } from "../../components/config/stackPlan";
import { KUBECONFIG } from "../cluster/operator";
import { CLUSTER_STACK } from "../config";
import { requireState } from "../state";

const cfg = new pulumi.Config("v6k8s-lab-engine");
const stackFile = cfg.get("stackFile") ?? CLUSTER_STACK;
const kubeconfigPath = cfg.get("kubeconfig") ?? KUBECONFIG;
const fromFile = readStackFile(stackFile);
const replicas = cfg.getNumber("corednsReplicas");
const config: StackConfig =
    replicas === undefined
        ? fromFile
        : {
              ...fromFile,
              cluster: { ...fromFile.cluster, coredns: { ...fromFile.cluster.coredns, replicas } },
          };
const plan = planStack(config);
// The lab hosts (their public addresses were assigned when the network lab came up).
const hosts = config.nodes.map((n) => {
    const h = requireState().hosts.find((x) => x.name === n.name);
    if (!h) throw new Error(`lab engine stack: node ${n.name} of ${stackFile} is not a host of the running lab`);
    return { name: h.name, publicAddress: h.publicAddress, ipv4: h.ipv4 };
});

const services = new ClusterServices("addons", {
    ...clusterServiceInputs(config, plan),
    adminPrefixes: config.cluster.adminPrefixes,
    kubernetesProviderServer: config.cluster.kubernetesProviderServer,
    kubeconfig: pulumi.secret(fs.readFileSync(kubeconfigPath, "utf8")),
    dependsOn: [],
    publicAddresses: hosts.map((h) => h.publicAddress),
});
const publicServices = createPublicServices(config.services, hosts, services);

export const dns64 = { prefix: services.dns64Prefix, gateway: services.dns64Gateway };
export const dnsRecords = publicServices.map((s) => s.records);
