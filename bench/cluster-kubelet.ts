/**
 * The cluster-scale benchmark's kubelet for its simulated nodes: it watches the run's Pods, runs
 * our plugin's ADD for each Pod bound to one of its nodes (as a container runtime runs the IPAM
 * step, bench/plugin-exec.ts) and, once a Pod is Terminating, DEL for the sandbox its ADD made,
 * then finalizes the Pod (delete with grace 0). No network namespace is made: the IPAM step
 * does not enter one, and the benchmark measures allocation, not interfaces.
 */
import crypto from "node:crypto";
import type { ApiClient } from "../lib/k8s/api-client.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { Informer } from "../lib/k8s/informer.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import type { BenchNode } from "./bench-nodes.js";
import { failureReason } from "./failure-reasons.js";
import { Slots, type MachineGate } from "./launch-gate.js";
import { execPlugin } from "./plugin-exec.js";
import { RUN_LABEL } from "./cluster-workload.js";
import { networkConfig } from "./system.js";

export interface KubeletCall {
  op: "ADD" | "DEL";
  pod: string;
  node: string;
  /** Run clock (ms): queued, process spawned, process exited. */
  queuedMs: number;
  startMs: number;
  endMs: number;
  ok: boolean;
  addresses: string[];
  error?: string;
}

interface Sandbox {
  pod: string;
  uid: string;
  node: string;
  containerId: string;
  /** ADD done (or failed for good), DEL done, Pod finalized. */
  state: "adding" | "up" | "failed" | "deleting" | "gone";
}

export interface KubeletSettings {
  api: ApiClient;
  runId: string;
  nodes: BenchNode[];
  exe: string;
  cniPath: string;
  logFile: string;
  perNode: number;
  gate: MachineGate;
  timeoutMs: number;
  onCall: (c: KubeletCall) => void;
}

export class ClusterKubelet {
  readonly #s: KubeletSettings;
  readonly #pods: Informer<Pod>;
  readonly #byName = new Map<string, BenchNode>();
  readonly #slots = new Map<string, Slots>();
  readonly #sandboxes = new Map<string, Sandbox>();
  /** ADDs retried after a failure (a new sandbox each time, as a kubelet does). */
  retries = 0;
  readonly #clock: () => number;

  constructor(s: KubeletSettings, clock: () => number) {
    this.#s = s;
    this.#clock = clock;
    for (const n of s.nodes) {
      this.#byName.set(n.name, n);
      this.#slots.set(n.name, new Slots(s.perNode));
    }
    this.#pods = new Informer<Pod>(s.api, {
      path: "/api/v1/pods",
      labelSelector: `${RUN_LABEL}=${s.runId}`,
      onError: () => undefined,
    });
    this.#pods.on(ev => {
      if (ev.type !== "deleted") this.#react(ev.object);
    });
  }

  start(): Promise<void> {
    this.#pods.start();
    return this.#pods.synced;
  }

  stop(): void {
    this.#pods.stop();
  }

  /** Pods of the run still in the API server, as the watch shows them. */
  podCount(): number {
    return this.#pods.list().length;
  }

  /** Pods of the run bound, not Terminating, with a sandbox up. */
  upCount(): number {
    let n = 0;
    for (const s of this.#sandboxes.values()) if (s.state === "up") n++;
    return n;
  }

  /** Pods of the run whose ADD failed for good. */
  failedCount(): number {
    let n = 0;
    for (const s of this.#sandboxes.values()) if (s.state === "failed") n++;
    return n;
  }

  /** No ADD or DEL in flight or queued. */
  settled(): boolean {
    for (const s of this.#sandboxes.values())
      if (s.state === "adding" || s.state === "deleting") return false;
    return true;
  }

  upPods(): { namespace: string; name: string }[] {
    return [...this.#sandboxes.values()]
      .filter(s => s.state === "up")
      .map(s => {
        const [namespace, name] = s.pod.split("/");
        return { namespace: namespace!, name: name! };
      });
  }

  /** The Pod's sandbox was torn down (or never made) and the Pod finalized. */
  isGone(pod: string): boolean {
    return this.#sandboxes.get(pod)?.state === "gone";
  }

  #react(p: Pod): void {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    const node = p.spec?.nodeName ? this.#byName.get(p.spec.nodeName) : undefined;
    if (!node) return;
    let sb = this.#sandboxes.get(key);
    if (sb && sb.uid !== p.metadata.uid) sb = undefined;
    if (p.metadata.deletionTimestamp) {
      if (!sb) {
        // Never started here: nothing to tear down.
        const gone: Sandbox = {
          pod: key,
          uid: p.metadata.uid!,
          node: node.name,
          containerId: "",
          state: "gone",
        };
        this.#sandboxes.set(key, gone);
        void this.#finalize(p);
        return;
      }
      if (sb.state === "up" || sb.state === "failed") void this.#teardown(sb, p);
      // "adding": the ADD's end looks again; "deleting"/"gone": in hand.
      return;
    }
    if (!sb) {
      sb = {
        pod: key,
        uid: p.metadata.uid!,
        node: node.name,
        containerId: "",
        state: "adding",
      };
      this.#sandboxes.set(key, sb);
      void this.#add(sb, p);
    }
  }

  async #add(sb: Sandbox, p: Pod): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      sb.containerId = crypto.randomBytes(32).toString("hex");
      const c = await this.#exec("ADD", sb, p);
      if (c.ok) {
        sb.state = "up";
        break;
      }
      // A kubelet retries a failed sandbox; three tries keep a broken run from spinning.
      if (attempt >= 3 || this.#latest(sb)?.metadata.deletionTimestamp) {
        sb.state = "failed";
        break;
      }
      this.retries++;
      await this.#exec("DEL", sb, p);
    }
    const now = this.#latest(sb);
    if (!now) {
      // Gone without our finalization (someone forced it): still release the sandbox.
      await this.#exec("DEL", sb, p);
      sb.state = "gone";
    } else if (now.metadata.deletionTimestamp) await this.#teardown(sb, now);
  }

  async #teardown(sb: Sandbox, p: Pod): Promise<void> {
    sb.state = "deleting";
    await this.#exec("DEL", sb, p);
    sb.state = "gone";
    await this.#finalize(p);
  }

  #latest(sb: Sandbox): Pod | undefined {
    const [ns, name] = sb.pod.split("/");
    const p = this.#pods.get(name!, ns);
    return p?.metadata.uid === sb.uid ? p : undefined;
  }

  async #finalize(p: Pod): Promise<void> {
    await this.#s.api
      .request("DELETE", `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          gracePeriodSeconds: 0,
          preconditions: { uid: p.metadata.uid },
        },
      })
      .catch(e => {
        if (!(e instanceof K8sError && (e.code === "not_found" || e.code === "conflict"))) throw e;
      })
      .catch(() => undefined);
  }

  async #exec(op: "ADD" | "DEL", sb: Sandbox, p: Pod): Promise<KubeletCall> {
    const node = this.#byName.get(sb.node)!;
    const slots = this.#slots.get(sb.node)!;
    const queuedMs = this.#clock();
    await slots.acquire();
    await this.#s.gate.acquire();
    try {
      const out = await execPlugin({
        exe: this.#s.exe,
        command: op,
        containerId: sb.containerId,
        netns: `/var/run/netns/scale-${sb.containerId.slice(0, 12)}`,
        ifname: "eth0",
        cniPath: this.#s.cniPath,
        pod: { namespace: p.metadata.namespace!, name: p.metadata.name!, uid: p.metadata.uid! },
        netconf: networkConfig({
          type: "spiderpool",
          ipam_unix_socket_path: node.socket,
          log_level: "error",
          log_file_path: this.#s.logFile,
        }),
        timeoutMs: this.#s.timeoutMs,
      });
      const ok = out.exitCode === 0;
      let addresses: string[] = [];
      if (ok && op === "ADD") {
        try {
          const r = JSON.parse(out.stdout) as { ips?: { address?: string }[] };
          addresses = (r.ips ?? []).flatMap(i => (i.address ? [i.address.split("/")[0]!] : []));
        } catch {
          // counted as a failure below
        }
      }
      const call: KubeletCall = {
        op,
        pod: sb.pod,
        node: sb.node,
        queuedMs,
        startMs: out.startMs,
        endMs: out.endMs,
        ok: ok && (op === "DEL" || addresses.length > 0),
        addresses,
        ...(ok && (op === "DEL" || addresses.length)
          ? {}
          : {
              error: `${failureReason(out.stderr || out.stdout)}: ${(out.stderr || out.stdout).slice(0, 300)}`,
            }),
      };
      this.#s.onCall(call);
      return call;
    } finally {
      this.#s.gate.release();
      slots.release();
    }
  }
}
