/**
 * The benchmark's simulated nodes. The harness is their kubelet: it registers each Node, keeps
 * its Lease and Ready condition fresh, and is the only one that runs CNI for the Pods bound to
 * it; beside each node runs one of our agents, started exactly as `cluster:up` starts its own.
 * The nodes are separate from the cluster's kubelet simulators on purpose: those would react to
 * every Pod bound to them (run their own CNI chain, finalize deletions at once), and the
 * benchmark needs Pods that stay Terminating until the harness has run CNI DEL, as a kubelet
 * does. A NoSchedule taint keeps other workloads off them.
 */
import fs from "node:fs";
import path from "node:path";
import type { ApiClient } from "../lib/k8s/api-client.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import { registerDaemon, unregisterDaemon } from "../e2e/cluster/cluster.js";
import { stopDaemon, type Daemon } from "../e2e/cluster/daemon.js";
import { socketOf, startAgent } from "../e2e/cluster/spiderpool-install.js";
import { paths } from "../e2e/cluster/paths.js";
import { postStatus, registerNode, renewLease } from "../e2e/kubelet-sim/node-heartbeat.js";

export const BENCH_TAINT = "bench.spiderpool.io/storm";
/** The rack of a node and of the pools bound to it, with `bench:cluster --racks`. */
export const RACK_LABEL = "bench.spiderpool.io/rack";

/** Rack of the i-th node or pool, when there are `racks` of them. */
export function rackOf(i: number, racks: number): string | undefined {
  return racks > 1 ? `r${i % racks}` : undefined;
}

export interface BenchNode {
  name: string;
  /** Our agent's unix socket on this node. */
  socket: string;
  agent?: Daemon;
}

export class BenchNodes {
  readonly nodes: BenchNode[];
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly api: ApiClient,
    runId: string,
    count: number,
    private readonly racks = 1,
  ) {
    this.nodes = Array.from({ length: count }, (_, i) => {
      const name = `storm-${runId}-n${i + 1}`;
      return { name, socket: socketOf(name) };
    });
  }

  /** Registers every node, starts heartbeats, taints them; agents come separately (startAgents). */
  async register(): Promise<void> {
    for (const [i, n] of this.nodes.entries()) {
      const id = {
        name: n.name,
        address: `172.31.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        labels: {
          [BENCH_TAINT]: "true",
          ...(rackOf(i, this.racks) ? { [RACK_LABEL]: rackOf(i, this.racks)! } : {}),
        },
      };
      const uid = await registerNode(this.api, id);
      await this.api.patch(`/api/v1/nodes/${n.name}`, {
        spec: { taints: [{ key: BENCH_TAINT, value: "true", effect: "NoSchedule" }] },
      });
      await renewLease(this.api, n.name, uid);
      // Same cadence as the cluster's simulated kubelets.
      this.#timers.push(
        setInterval(() => void renewLease(this.api, n.name, uid).catch(() => undefined), 2000),
      );
      this.#timers.push(
        setInterval(() => void postStatus(this.api, id).catch(() => undefined), 10_000),
      );
    }
  }

  /** One agent per node; registered with the cluster so `cluster:down` stops them if we crash. */
  async startAgents(log: (l: string) => void): Promise<void> {
    // A handful at a time: each is a tsx process that compiles on start, on two shared cores.
    for (let i = 0; i < this.nodes.length; i += 5) {
      await Promise.all(
        this.nodes.slice(i, i + 5).map(async n => {
          fs.mkdirSync(paths.nodeDir(n.name), { recursive: true });
          n.agent = await startAgent(n.name);
          registerDaemon(n.agent);
        }),
      );
      log(`agents ready: ${Math.min(i + 5, this.nodes.length)}/${this.nodes.length}`);
    }
  }

  agentPids(): number[] {
    return this.nodes.flatMap(n => (n.agent ? [n.agent.pid] : []));
  }

  /** Stops agents and heartbeats, deletes the Node objects (their Leases go with them). */
  async remove(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    for (const n of this.nodes) {
      if (n.agent) {
        await stopDaemon(n.agent);
        unregisterDaemon(n.agent.name);
        n.agent = undefined;
      }
      await this.api.delete(`/api/v1/nodes/${n.name}`).catch(e => {
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      });
      fs.rmSync(path.dirname(n.socket), { recursive: true, force: true });
    }
  }
}
