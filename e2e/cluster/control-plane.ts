import fs from "node:fs";
import path from "node:path";
import { ApiClient } from "../../lib/k8s/api-client.js";
import { startDaemon, type Daemon } from "./daemon.js";
import { paths, clusterDir } from "./paths.js";
import { writeKubeconfig } from "./pki.js";
import { probe, waitUntil } from "./readiness.js";

export interface Ports {
  etcd: number;
  api: number;
  kcm: number;
  scheduler: number;
  webhook: number;
}

const pki = (f: string) => path.join(paths.pki, f);

export async function startEtcd(bin: string, ports: Ports): Promise<Daemon> {
  const d = startDaemon("etcd", path.join(bin, "etcd"), [
    `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
    `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
    "--listen-peer-urls=http://127.0.0.1:0",
    // Tests recreate the cluster after a crash; durability buys nothing and fsync slows storms.
    "--unsafe-no-fsync=true",
    "--quota-backend-bytes=4294967296",
    "--log-level=warn",
  ]);
  await waitUntil(
    "etcd: health",
    async () =>
      (await probe(`http://127.0.0.1:${ports.etcd}/health`)).body.includes('"health":"true"'),
    30_000,
    d,
  );
  return d;
}

/** Arguments of kube-apiserver; also used to restart it in fault tests. */
export function apiserverArgs(ports: Ports): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.api}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    `--client-ca-file=${pki("ca.crt")}`,
    `--tls-cert-file=${pki("apiserver.crt")}`,
    `--tls-private-key-file=${pki("apiserver.key")}`,
    `--cert-dir=${path.join(clusterDir, "apiserver")}`,
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    "--allow-privileged=true",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki("sa.pub")}`,
    `--service-account-signing-key-file=${pki("sa.key")}`,
    "--default-not-ready-toleration-seconds=5",
    "--default-unreachable-toleration-seconds=5",
    "--max-requests-inflight=800",
    "--max-mutating-requests-inflight=400",
    // Logs, exec and port-forward of pods on real nodes: the API server calls their kubelets,
    // checks their serving certificates against the cluster's CA and presents the admin identity.
    `--kubelet-client-certificate=${pki("admin.crt")}`,
    `--kubelet-client-key=${pki("admin.key")}`,
    `--kubelet-certificate-authority=${pki("ca.crt")}`,
    "--kubelet-preferred-address-types=InternalIP,Hostname",
    // Webhooks and aggregated APIs behind a Service are dialed at an endpoint's pod address, not
    // the ClusterIP: the machine has no kube-proxy, but routes to the real node's pods
    // (pod-network.ts). Webhooks registered by URL (the host-process module) are unaffected.
    "--enable-aggregator-routing=true",
    "--v=1",
  ];
}

export async function startApiserver(bin: string, ports: Ports): Promise<Daemon> {
  const d = startDaemon("kube-apiserver", path.join(bin, "kube-apiserver"), apiserverArgs(ports));
  await waitApiserverReady(ports, d);
  return d;
}

export async function waitApiserverReady(ports: Ports, d?: Daemon): Promise<void> {
  await waitUntil(
    "kube-apiserver: /readyz",
    async () => (await probe(`https://127.0.0.1:${ports.api}/readyz`, pki("ca.crt"))).body === "ok",
    120_000,
    d,
  );
}

export async function startControllerManager(bin: string, ports: Ports): Promise<Daemon> {
  const kubeconfig = path.join(clusterDir, "kcm.kubeconfig");
  writeKubeconfig(kubeconfig, ports.api, "kcm");
  const d = startDaemon("kube-controller-manager", path.join(bin, "kube-controller-manager"), [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.kcm}`,
    `--cert-dir=${path.join(clusterDir, "kcm")}`,
    "--leader-elect=false",
    "--controllers=*",
    "--use-service-account-credentials=true",
    `--service-account-private-key-file=${pki("sa.key")}`,
    `--root-ca-file=${pki("ca.crt")}`,
    "--node-monitor-period=1s",
    "--node-monitor-grace-period=20s",
    "--node-startup-grace-period=30s",
    "--node-eviction-rate=20",
    "--secondary-node-eviction-rate=20",
    "--large-cluster-size-threshold=0",
    // The defaults (20 qps) would throttle a 1000-pod storm at the controller-manager.
    "--kube-api-qps=200",
    "--kube-api-burst=400",
    "--concurrent-replicaset-syncs=10",
    "--concurrent-statefulset-syncs=10",
    "--v=2",
  ]);
  await waitUntil(
    "kube-controller-manager: /healthz",
    async () => (await probe(`https://127.0.0.1:${ports.kcm}/healthz`)).body === "ok",
    60_000,
    d,
  );
  return d;
}

export async function startScheduler(bin: string, ports: Ports): Promise<Daemon> {
  const kubeconfig = path.join(clusterDir, "scheduler.kubeconfig");
  writeKubeconfig(kubeconfig, ports.api, "scheduler");
  const config = path.join(clusterDir, "scheduler.yaml");
  fs.writeFileSync(
    config,
    `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: ${kubeconfig}, qps: 200, burst: 400}
leaderElection: {leaderElect: false}
`,
  );
  const d = startDaemon("kube-scheduler", path.join(bin, "kube-scheduler"), [
    `--config=${config}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.scheduler}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--v=1",
  ]);
  await waitUntil(
    "kube-scheduler: /readyz",
    async () => (await probe(`https://127.0.0.1:${ports.scheduler}/readyz`)).body === "ok",
    60_000,
    d,
  );
  return d;
}

/** The API server creates the system namespaces and the controller-manager the default ServiceAccount. */
export async function waitClusterBootstrapped(api: ApiClient): Promise<void> {
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    await waitUntil(
      `kube-apiserver: namespace ${ns}`,
      () => api.get(`/api/v1/namespaces/${ns}`).then(() => true),
      60_000,
    );
  }
  await waitUntil(
    "kube-controller-manager: default ServiceAccount",
    () => api.get("/api/v1/namespaces/default/serviceaccounts/default").then(() => true),
    60_000,
  );
}
