import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { addressesIn } from "../cluster/netns.js";
import { recordPodEvent } from "./events.js";
import { runningStatus, podIPsFromResult } from "./pod-status.js";
import { setUpSandbox, tearDownSandbox, type SandboxPlan } from "./pod-sandbox.js";
import type { CniRuntime } from "./cni-runtime.js";
import type { SandboxRecord, SandboxStore } from "./sandbox-store.js";

export interface WorkerDeps {
  api: ApiClient;
  cni: CniRuntime;
  store: SandboxStore;
  node: string;
  nodeAddress: string;
  netnsPrefix: string;
  /** The attachments of a pod: eth0 from the node's default network, then Multus-style extras. */
  plan: (pod: Pod) => Promise<SandboxPlan>;
  /** Called after a sandbox is gone, so address sources for the smoke config can reuse it. */
  onTornDown?: (rec: SandboxRecord) => void;
  /** Fault injection for tests: probability that a CNI DEL is skipped (as if it never ran). */
  lostDelRatio?: number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Limits sandbox operations in flight, like a runtime's parallelism. */
export class Gate {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>(r => this.#waiters.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/**
 * One worker per pod UID, like the kubelet's pod workers: it converges the node on the latest
 * known state of its pod (sandbox up and status Running, or sandbox down and pod finalized),
 * retrying failures with backoff. Updates arriving while it works are picked up next round.
 */
export class PodWorker {
  #pod: Pod;
  #gone = false;
  #sandbox: SandboxRecord | undefined;
  #statusReported = false;
  #startedAt: number | undefined;
  #wake: (() => void) | undefined;
  #done = false;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly gate: Gate,
    pod: Pod,
    sandbox: SandboxRecord | undefined,
    private readonly onFinished: () => void,
  ) {
    this.#pod = pod;
    this.#sandbox = sandbox;
    this.#statusReported = sandbox !== undefined && pod.status?.phase === "Running";
    void this.#loop();
  }

  update(pod: Pod, gone = false): void {
    this.#pod = pod;
    this.#gone ||= gone;
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    let backoff = 500;
    while (!this.#done) {
      try {
        const pod = this.#pod;
        if (this.#gone || pod.metadata.deletionTimestamp) {
          await this.#terminate(pod);
          this.#done = true;
          break;
        }
        if (isFinished(pod)) {
          if (this.#sandbox) await this.#tearDown();
          await this.#idle();
          continue;
        }
        if (!this.#sandbox) await this.#start(pod);
        if (!this.#statusReported) await this.#reportRunning(pod);
        backoff = 500;
        const runFor = Number(
          pod.metadata.annotations?.["sim.spiderpool.io/exit-after-seconds"] ?? NaN,
        );
        if (Number.isFinite(runFor) && this.#startedAt) {
          // Test knob: the containers exit 0 after N seconds (a Job's work is done).
          const left = this.#startedAt + runFor * 1000 - Date.now();
          if (left > 0) await this.#idle(left);
          else await this.#complete(pod);
          continue;
        }
        await this.#idle();
      } catch {
        // The failure is already reported (log, Event); retry like the kubelet, with backoff.
        await this.#idle(backoff);
        backoff = Math.min(backoff * 2, 8000);
      }
    }
    this.onFinished();
  }

  /** Sleeps until the next update of the pod, or `ms` milliseconds if given. */
  #idle(ms?: number): Promise<void> {
    return new Promise(resolve => {
      const wake = () => {
        if (timer) clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.#wake = wake;
    });
  }

  async #start(pod: Pod): Promise<void> {
    const { deps } = this;
    if (pod.spec.hostNetwork) {
      this.#sandbox = {
        uid: pod.metadata.uid!,
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name,
        containerId: "host",
        netns: "",
        attachments: [],
      };
      return;
    }
    try {
      const plan = await deps.plan(pod);
      this.#sandbox = await this.gate.run(() =>
        setUpSandbox(deps.cni, deps.store, deps.netnsPrefix, plan),
      );
      deps.log("sandbox ready", {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        netns: this.#sandbox.netns,
      });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const plugin = (e as { plugin?: string }).plugin;
      deps.log("sandbox failed", {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        error: msg,
      });
      await recordPodEvent(
        deps.api,
        pod,
        deps.node,
        "Warning",
        "FailedCreatePodSandBox",
        `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type="${plugin ?? "unknown"}" failed (add): ${msg}`,
      );
      throw e;
    }
  }

  async #reportRunning(pod: Pod): Promise<void> {
    const sb = this.#sandbox!;
    let ips: string[];
    if (pod.spec.hostNetwork) ips = [this.deps.nodeAddress];
    else {
      const eth0 = sb.attachments.find(a => a.ifname === "eth0");
      ips = podIPsFromResult(eth0?.result ?? {}, `/run/netns/${sb.netns}`);
      // Fall back to what the kernel has, as a CRI runtime reading the interface would.
      if (!ips.length) ips = (await addressesIn(sb.netns, "eth0")).map(a => a.split("/")[0] ?? "");
    }
    const ns = pod.metadata.namespace;
    try {
      await this.deps.api.patch(
        `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`,
        runningStatus(
          pod,
          this.deps.nodeAddress,
          ips,
          new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        ),
        "strategic",
      );
      this.#statusReported = true;
      this.#startedAt = Date.now();
    } catch (e) {
      if ((e as { code?: string }).code === "not_found") this.#gone = true;
      else throw e;
    }
  }

  async #tearDown(): Promise<void> {
    const sb = this.#sandbox;
    if (!sb) return;
    if (sb.containerId !== "host") {
      // Fault injection: the annotation (per pod) or the node's ratio makes the DEL "lost".
      const annotated =
        this.#pod.metadata.annotations?.["sim.spiderpool.io/skip-cni-del"] === "true";
      const lose =
        annotated ||
        ((this.deps.lostDelRatio ?? 0) > 0 && Math.random() < (this.deps.lostDelRatio ?? 0));
      // Test knob: a slow runtime. The sandbox (its netns, its address on the wire) stays up this
      // many seconds before the CNI DEL runs, whatever happens to the pod object meanwhile.
      const slow = Number(
        this.#pod.metadata.annotations?.["sim.spiderpool.io/del-delay-seconds"] ?? NaN,
      );
      if (Number.isFinite(slow) && slow > 0) {
        this.deps.log("CNI DEL delayed (test knob)", {
          pod: `${sb.namespace}/${sb.name}`,
          seconds: slow,
        });
        await new Promise(r => setTimeout(r, slow * 1000));
      }
      await this.gate.run(() => tearDownSandbox(this.deps.cni, this.deps.store, sb, lose));
      this.deps.onTornDown?.(sb);
    }
    this.#sandbox = undefined;
  }

  /** Marks every container terminated with exit code 0: the pod Succeeded (restartPolicy permitting). */
  async #complete(pod: Pod): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const terminated = (c: { name: string; image?: string }) => ({
      name: c.name,
      image: c.image ?? "sim",
      imageID: `sim://${c.image ?? "sim"}`,
      ready: false,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: "Completed", startedAt: now, finishedAt: now } },
    });
    await this.deps.api.patch(
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
      {
        status: {
          phase: "Succeeded",
          containerStatuses: pod.spec.containers.map(terminated),
          conditions: [
            { type: "Ready", status: "False", reason: "PodCompleted" },
            { type: "ContainersReady", status: "False", reason: "PodCompleted" },
          ],
        },
      },
      "strategic",
    );
    this.#pod = { ...pod, status: { ...pod.status, phase: "Succeeded" } };
  }

  /** Graceful deletion: sandbox down, then the final DELETE that removes the pod object. */
  async #terminate(pod: Pod): Promise<void> {
    await this.#tearDown();
    if (this.#gone) return;
    const ns = pod.metadata.namespace;
    await this.deps.api
      .request("DELETE", `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, {
        body: {
          kind: "DeleteOptions",
          apiVersion: "v1",
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        },
      })
      .catch((e: { code?: string }) => {
        if (e.code !== "not_found" && e.code !== "conflict") throw e;
      });
  }
}

/** Pods that ran to completion keep their object but lose their sandbox. */
function isFinished(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}
