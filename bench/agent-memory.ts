/**
 * Where an agent's heap goes per cached object:
 * `npx tsx --expose-gc bench/agent-memory.ts [N] [claims|pods|other-pods|pools]`.
 * A diagnostic, not the measurement of the target (that is `npm run bench:cluster`, against the
 * real control plane): the agent's ClusterView is started against the in-memory API
 * (lib/testing/memory-api.ts) seeded with objects shaped as kube-apiserver returns them (a
 * Deployment's Pod with its projected token volume and default tolerations, a claim with its
 * labels, a pool whose status carries `allocatedIPs`), and the heap the view holds after a full
 * GC is divided by the count of each kind. docs/concepts/scale.md#agent-memory cites the output.
 */
import { ClusterView } from "../lib/agent/cluster-view.js";
import { MemoryApi } from "../lib/testing/memory-api.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import { CLAIM_API_VERSION, SPIDERPOOL_API_VERSION } from "../lib/core/base/well-known-names.js";
import type { Logger } from "../lib/logger.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc: npx tsx --expose-gc bench/agent-memory.ts");
const NODE = "bench-node-1";
const quiet = { warn() {}, info() {}, debug() {}, error() {} } as unknown as Logger;

const uid = (i: number, salt: string) =>
  `${salt}${i.toString(16).padStart(7, "0")}-1b2c-4d5e-8f90-a1b2c3d4e5f6`.slice(-36);
const ip = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

function podOf(i: number, node: string) {
  const name = `web-${i % 50}-7c9d8f6b5-${i.toString(36).padStart(5, "x")}`;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      generateName: `web-${i % 50}-7c9d8f6b5-`,
      namespace: `bench-${i % 25}`,
      uid: uid(i, "p"),
      resourceVersion: String(100000 + i),
      creationTimestamp: "2026-12-07T22:37:41Z",
      labels: { app: `web-${i % 50}`, "pod-template-hash": "7c9d8f6b5" },
      annotations: { "ipam.spidernet.io/ippool": `{"ipv4":["pool-${i % 20}"]}` },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `web-${i % 50}-7c9d8f6b5`,
          uid: uid(i % 50, "r"),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      volumes: [
        {
          name: "kube-api-access-x7k2p",
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              {
                configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] },
              },
              {
                downwardAPI: {
                  items: [
                    {
                      path: "namespace",
                      fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
                    },
                  ],
                },
              },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [
        {
          name: "app",
          image: "registry.k8s.io/pause:3.10",
          resources: {},
          volumeMounts: [
            {
              name: "kube-api-access-x7k2p",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
          ],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      nodeName: node,
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        { key: "bench", operator: "Exists", effect: "NoSchedule" },
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: {
      phase: "Pending",
      conditions: [
        {
          type: "PodScheduled",
          status: "True",
          lastProbeTime: null,
          lastTransitionTime: "2026-12-07T22:37:42Z",
        },
      ],
      qosClass: "BestEffort",
    },
  };
}

function claimOf(i: number) {
  const podName = `web-${i % 50}-7c9d8f6b5-${i.toString(36).padStart(5, "x")}`;
  const spec = {
    address: ip(i),
    ipVersion: 4 as const,
    pool: `pool-${i % 20}`,
    podNamespace: `bench-${i % 25}`,
    podName,
    podUID: uid(i, "p"),
    interface: "eth0",
    node: `bench-node-${i % 10}`,
    containerID: `${uid(i, "c").replace(/-/g, "")}${uid(i, "d").replace(/-/g, "")}`.slice(0, 64),
    network: "macvlan-underlay",
  };
  return {
    apiVersion: CLAIM_API_VERSION,
    kind: "IPClaim",
    metadata: {
      name: spec.address,
      uid: uid(i, "q"),
      resourceVersion: String(200000 + i),
      generation: 1,
      creationTimestamp: "2026-12-07T22:37:43Z",
      labels: {
        "ipam.pepr-spiderpool.io/pool": spec.pool,
        "ipam.pepr-spiderpool.io/pod-uid": spec.podUID,
        "ipam.pepr-spiderpool.io/pod-namespace": spec.podNamespace,
        "ipam.pepr-spiderpool.io/pod-name": podName,
        "ipam.pepr-spiderpool.io/node": spec.node,
      },
    },
    spec,
  };
}

function poolOf(p: number, allocations: number) {
  const records: Record<string, { pod: string; podUid: string }> = {};
  for (let i = p; i < allocations * 20; i += 20)
    records[ip(i)] = { pod: `bench-${i % 25}/web-${i}`, podUid: uid(i, "p") };
  return {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderIPPool",
    metadata: {
      name: `pool-${p}`,
      uid: uid(p, "o"),
      resourceVersion: String(300 + p),
      generation: 1,
    },
    spec: {
      ipVersion: 4,
      subnet: "10.96.0.0/11",
      ips: [`10.${100 + p}.0.1-10.${100 + p}.255.254`],
    },
    status: {
      allocatedIPs: JSON.stringify(records),
      allocatedIPCount: Object.keys(records).length,
      totalIPCount: 65534,
    },
  };
}

async function heldBy(seed: (api: MemoryApi) => void): Promise<number> {
  const api = new MemoryApi();
  seed(api);
  gc!();
  const before = process.memoryUsage().heapUsed;
  const view = new ClusterView(api, NODE, quiet).start();
  await view.synced();
  gc!();
  const after = process.memoryUsage().heapUsed;
  view.stop();
  return after - before;
}

const POD_PATH = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
const SP = `/apis/${SPIDERPOOL_API_VERSION}`;
const n = Number(process.argv[2] ?? 5000);
const kib = (b: number, per = 1) => `${(b / per / 1024).toFixed(2)} KiB`;
const what = process.argv[3] ?? "claims";
const empty = await heldBy(() => {});
// One kind per process: what a run leaves behind would otherwise blur the next one's delta.
if (what === "claims") {
  const b = await heldBy(api => {
    for (let i = 0; i < n; i++) api.seed(CLAIMS_PATH, claimOf(i));
  });
  console.log(`${n} claims: ${kib(b - empty)} (${kib(b - empty, n)} per claim)`);
} else if (what === "pods" || what === "other-pods") {
  const node = what === "pods" ? NODE : "bench-node-2";
  const b = await heldBy(api => {
    for (let i = 0; i < n; i++) api.seed(POD_PATH(`bench-${i % 25}`), podOf(i, node));
  });
  console.log(`${n} Pods of ${node}: ${kib(b - empty)} (${kib(b - empty, n)} per Pod)`);
} else {
  const b = await heldBy(api => {
    for (let p = 0; p < 20; p++) api.seed(`${SP}/spiderippools`, poolOf(p, Math.round(n / 20)));
  });
  console.log(
    `20 pools holding ${n} allocations: ${kib(b - empty)} (${kib(b - empty, 20)} per pool)`,
  );
}
