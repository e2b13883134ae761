/**
 * A kubelet stand-in for one simulated node: registers the Node, renews its Lease, and runs the
 * real CNI chain for every pod bound to it. One process per node, so a node can be frozen
 * (SIGSTOP: heartbeats and CNI stop together) and thawed by tests.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { Informer } from "../../lib/k8s/informer.js";
import { additionalAttachments, spiderpoolIpamOf } from "./attachments.js";
import { CniRuntime, type Conflist } from "./cni-runtime.js";
import { registerNode, postStatus, renewLease } from "./node-heartbeat.js";
import { Gate, PodWorker } from "./pod-worker.js";
import { SandboxStore } from "./sandbox-store.js";
import { StaticAddresses } from "./static-addresses.js";
import { tearDownSandbox } from "./pod-sandbox.js";

const { values: opt } = parseArgs({
  options: {
    node: { type: "string" },
    index: { type: "string" },
    address: { type: "string" },
    kubeconfig: { type: "string" },
    "node-netns": { type: "string" },
    "netns-prefix": { type: "string" },
    "cni-bin": { type: "string", multiple: true },
    dir: { type: "string" },
    labels: { type: "string", default: "{}" },
    parallel: { type: "string", default: "32" },
    "lost-del-ratio": { type: "string", default: "0" },
  },
});

const node = need("node");
const dir = need("dir");
const index = Number(need("index"));
const nodeAddress = need("address");
const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(
    JSON.stringify({ time: new Date().toISOString(), node, msg, ...fields }) + "\n",
  );

function need(k: keyof typeof opt): string {
  const v = opt[k];
  if (typeof v !== "string" || !v) {
    process.stderr.write(`kubelet-sim: missing --${k}\n`);
    process.exit(2);
  }
  return v;
}

/** The node's default network: the first conflist in its net.d, as a CRI runtime picks it. */
function defaultNetwork(): Conflist {
  const netd = path.join(dir, "net.d");
  const file = fs
    .readdirSync(netd)
    .filter(f => f.endsWith(".conflist"))
    .sort()[0];
  if (!file) throw new Error(`no .conflist in ${netd}`);
  return JSON.parse(fs.readFileSync(path.join(netd, file), "utf8")) as Conflist;
}

async function main(): Promise<void> {
  const api = ApiClient.fromKubeconfig(need("kubeconfig"));
  const cni = new CniRuntime(opt["cni-bin"] ?? [], need("node-netns"));
  const store = new SandboxStore(path.join(dir, "sandboxes"));
  const statics = new StaticAddresses(index);
  const identity = {
    name: node,
    address: nodeAddress,
    labels: JSON.parse(opt.labels ?? "{}") as Record<string, string>,
  };

  const nodeUid = await registerNode(api, identity);
  await renewLease(api, node, nodeUid);
  setInterval(
    () =>
      void renewLease(api, node, nodeUid).catch((e: Error) =>
        log("lease renewal failed", { error: e.message }),
      ),
    2000,
  );
  // Re-posting Ready also clears the Unknown conditions left by a freeze.
  setInterval(
    () =>
      void postStatus(api, identity).catch((e: Error) =>
        log("status update failed", { error: e.message }),
      ),
    10_000,
  );

  const existing = new Map(store.list().map(r => [r.uid, r]));
  for (const r of existing.values()) {
    for (const a of r.attachments) {
      const ips = (a.runtimeConfig?.ips ?? []) as string[];
      ips.forEach(ip => statics.markUsed(ip));
    }
  }

  const plan = async (pod: Pod) => {
    const conflist = defaultNetwork();
    const usesRuntimeIps = conflist.plugins.some(
      p => (p.capabilities as Record<string, boolean> | undefined)?.ips,
    );
    return {
      uid: pod.metadata.uid!,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
      attachments: [
        {
          ifname: "eth0",
          conflist,
          runtimeConfig: usesRuntimeIps ? { ips: [statics.next()] } : undefined,
        },
        ...(await additionalAttachments(api, pod, spiderpoolIpamOf(conflist))),
      ],
    };
  };

  const gate = new Gate(Number(opt.parallel));
  const deps = {
    api,
    cni,
    store,
    node,
    nodeAddress,
    netnsPrefix: need("netns-prefix"),
    plan,
    onTornDown: (r: { attachments: { runtimeConfig?: Record<string, unknown> }[] }) =>
      r.attachments.forEach(a =>
        ((a.runtimeConfig?.ips ?? []) as string[]).forEach(ip => statics.release(ip)),
      ),
    lostDelRatio: Number(opt["lost-del-ratio"]),
    log,
  };
  const workers = new Map<string, PodWorker>();
  const dispatch = (pod: Pod, gone: boolean) => {
    const uid = pod.metadata.uid!;
    const w = workers.get(uid);
    if (w) return w.update(pod, gone);
    if (gone && !existing.has(uid)) return;
    const sandbox = existing.get(uid);
    existing.delete(uid);
    workers.set(uid, new PodWorker(deps, gate, pod, sandbox, () => workers.delete(uid)));
    if (gone) workers.get(uid)?.update(pod, true);
  };

  const pods = new Informer<Pod>(api, {
    path: "/api/v1/pods",
    fieldSelector: `spec.nodeName=${node}`,
    onError: e => log("pod watch error", { error: e.message }),
  });
  pods.on(ev => dispatch(ev.object, ev.type === "deleted")).start();
  await pods.synced;

  // Sandboxes of pods that vanished while this node was down: tear them down like a kubelet's GC.
  for (const rec of existing.values()) {
    if (!pods.list().some(p => p.metadata.uid === rec.uid)) {
      existing.delete(rec.uid);
      await tearDownSandbox(cni, store, rec).catch((e: Error) =>
        log("orphan sandbox teardown failed", { uid: rec.uid, error: e.message }),
      );
    }
  }
  log("node ready", { pods: pods.list().length });
}

process.on("SIGTERM", () => process.exit(0));
main().catch((e: Error) => {
  log("fatal", { error: e.message, stack: e.stack });
  process.exit(1);
});
