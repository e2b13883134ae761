/**
 * Our IPAM under test: the cluster's plugin executable, one agent per benchmark node, a
 * SpiderIPPool per address window named in the netconf (`default_ipv4_ippool`).
 */
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList, Stored } from "../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import { CLAIM_LABELS, type IPClaim } from "../lib/schemas/ip-claim.js";
import { windowRange, type AddressWindow } from "./address-window.js";
import type { BenchNode } from "./bench-nodes.js";
import { networkConfig, type BenchSystem, type Holding } from "./system.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";

export class OurSystem implements BenchSystem {
  readonly id = "ours" as const;
  readonly label = "ours (pepr-spiderpool)";
  readonly precomputed = false;
  readonly version: string;
  readonly #pools = new Set<string>();

  constructor(
    private readonly api: ApiClient,
    readonly exe: string,
    private readonly runId: string,
    private readonly logFile: string,
    repoRoot: string,
  ) {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    this.version = `${pkg.version} (plugin: Node ${process.version} single executable)`;
  }

  poolName(w: AddressWindow): string {
    return `storm-${this.runId}-${w.id}`;
  }

  async setup(): Promise<void> {}

  async resetWindow(w: AddressWindow): Promise<void> {
    const name = this.poolName(w);
    await this.#deleteClaims(name);
    if (this.#pools.has(name)) return;
    await this.api.create(POOLS, {
      apiVersion: "spiderpool.spidernet.io/v2beta1",
      kind: "SpiderIPPool",
      metadata: { name },
      spec: { ipVersion: 4, subnet: w.subnet, ips: [windowRange(w)] },
    });
    this.#pools.add(name);
    // Every agent must have the pool in its watch cache before the first ADD names it.
    await new Promise(r => setTimeout(r, 3000));
  }

  netconf(node: BenchNode, w: AddressWindow): Record<string, unknown> {
    return networkConfig({
      type: "spiderpool",
      ipam_unix_socket_path: node.socket,
      default_ipv4_ippool: [this.poolName(w)],
      log_level: "error",
      log_file_path: this.logFile,
    });
  }

  async holdings(w: AddressWindow): Promise<Holding[]> {
    return (await this.claims(this.poolName(w))).map(c => ({
      address: c.spec.address,
      pod: `${c.spec.podNamespace}/${c.spec.podName}`,
    }));
  }

  async claims(pool: string): Promise<IPClaim[]> {
    const out: IPClaim[] = [];
    let cont: string | undefined;
    do {
      const page: KubeList<IPClaim> & { metadata: { continue?: string } } = await this.api.get(
        CLAIMS_PATH,
        { labelSelector: `${CLAIM_LABELS.pool}=${pool}`, limit: 2000, continue: cont },
      );
      out.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont);
    return out;
  }

  async leftovers(w: AddressWindow): Promise<Record<string, number>> {
    return { claims: (await this.claims(this.poolName(w))).length };
  }

  async #deleteClaims(pool: string): Promise<void> {
    await deleteClaimsOfPool(this.api, pool);
  }

  async teardown(): Promise<void> {
    for (const name of this.#pools) {
      await this.#deleteClaims(name);
      await this.api.delete(`${POOLS}/${name}`).catch(e => {
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      });
    }
    // The pool's finalizer goes once the watcher sees no claim: wait so the next run starts clean.
    const deadline = Date.now() + 60_000;
    for (const name of this.#pools) {
      while (Date.now() < deadline) {
        const gone = await this.api.get(`${POOLS}/${name}`).then(
          () => false,
          e => e instanceof K8sError && e.code === "not_found",
        );
        if (gone) break;
        await new Promise(r => setTimeout(r, 500));
      }
    }
    this.#pools.clear();
  }
}

/**
 * Deletes every claim of a pool: one delete-collection, and one by one for whatever a
 * delete-collection cut short (the API server drops long ones on a loaded machine).
 */
export async function deleteClaimsOfPool(api: ApiClient, pool: string): Promise<void> {
  const selector = `${CLAIM_LABELS.pool}=${pool}`;
  await api
    .request("DELETE", CLAIMS_PATH, { query: { labelSelector: selector }, timeoutMs: 120_000 })
    .catch(() => undefined);
  for (let round = 0; round < 5; round++) {
    const left = (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, { labelSelector: selector })
    ).items;
    if (!left.length) return;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < left.length) {
          await api.delete(`${CLAIMS_PATH}/${left[next++]!.metadata.name}`).catch(e => {
            if (!(e instanceof K8sError && e.code === "not_found")) throw e;
          });
        }
      }),
    );
  }
  throw new Error(`claims of pool ${pool} still present after 5 rounds of deletion`);
}
