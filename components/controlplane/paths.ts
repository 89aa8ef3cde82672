// Where Kubernetes files live on a host. PKI, manifests, kubeconfigs and scripts all refer to
// these, so a path is spelled once.
export const K8S_DIR = "/etc/kubernetes";
export const PKI_DIR = `${K8S_DIR}/pki`;
export const ETCD_PKI_DIR = `${PKI_DIR}/etcd`;
export const MANIFEST_DIR = `${K8S_DIR}/manifests`;
export const KUBELET_DIR = "/var/lib/kubelet";
export const ETCD_DATA_DIR = "/var/lib/etcd";

/** A certificate and its key on disk: `<base>.crt`, `<base>.key`. */
export interface CertPaths {
    readonly cert: string;
    readonly key: string;
}

const pair = (base: string): CertPaths => ({ cert: `${base}.crt`, key: `${base}.key` });

export const PATHS = {
    clusterCa: pair(`${PKI_DIR}/ca`),
    etcdCa: pair(`${ETCD_PKI_DIR}/ca`),
    frontProxyCa: pair(`${PKI_DIR}/front-proxy-ca`),
    serviceAccount: { publicKey: `${PKI_DIR}/sa.pub`, privateKey: `${PKI_DIR}/sa.key` },
    etcdServer: pair(`${ETCD_PKI_DIR}/server`),
    etcdPeer: pair(`${ETCD_PKI_DIR}/peer`),
    apiserver: pair(`${PKI_DIR}/apiserver`),
    apiserverEtcdClient: pair(`${PKI_DIR}/apiserver-etcd-client`),
    apiserverKubeletClient: pair(`${PKI_DIR}/apiserver-kubelet-client`),
    frontProxyClient: pair(`${PKI_DIR}/front-proxy-client`),
    controllerManagerClient: pair(`${PKI_DIR}/controller-manager-client`),
    schedulerClient: pair(`${PKI_DIR}/scheduler-client`),
    kubeletClient: pair(`${KUBELET_DIR}/pki/kubelet-client`),
    kubeletServing: pair(`${KUBELET_DIR}/pki/kubelet`),
    controllerManagerKubeconfig: `${K8S_DIR}/controller-manager.conf`,
    schedulerKubeconfig: `${K8S_DIR}/scheduler.conf`,
    kubeletKubeconfig: `${K8S_DIR}/kubelet.conf`,
    kubeletConfig: `${KUBELET_DIR}/config.yaml`,
    apiserverProxyConfig: `${K8S_DIR}/apiserver-proxy/haproxy.cfg`,
} as const;
