/**
 * Whereabouts v0.9.2 run by hand the way its own documentation describes (setup stated in
 * docs/benchmarks.md#storm-benchmark-ours-vs-whereabouts-and-the-floors): its
 * CRDs applied, a namespace for its IPPools, reservations and Lease, a kubeconfig whose context
 * names that namespace, the mandatory flat file, `log_level: error`, default leader-election
 * timings, overlapping-range protection on (its default), none of its controllers running.
 * It authenticates with the same system:masters certificate as our agents, so both systems sit
 * in the same API priority-and-fairness class (exempt).
 */
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { ApiClient, KubeList } from "../lib/k8s/api-client.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import {
  addressAtOffset,
  coversSubnet,
  lastAddress,
  addressAt,
  type AddressWindow,
} from "./address-window.js";
import type { BenchNode } from "./bench-nodes.js";
import { networkConfig, type BenchSystem, type Holding } from "./system.js";

const GROUP = "/apis/whereabouts.cni.cncf.io/v1alpha1";

interface WbPool {
  spec: {
    range: string;
    allocations?: Record<string, { id: string; podref: string; ifname?: string }>;
  };
}

export class WhereaboutsSystem implements BenchSystem {
  readonly id = "whereabouts" as const;
  readonly label = "Whereabouts";
  readonly precomputed = false;
  readonly exe: string;
  readonly version: string;
  readonly namespace: string;
  readonly #flatFile: string;
  readonly #kubeconfig: string;

  constructor(
    private readonly api: ApiClient,
    private readonly goPluginDir: string,
    private readonly crdDir: string,
    private readonly clusterDir: string,
    runId: string,
    private readonly workDir: string,
  ) {
    this.exe = path.join(goPluginDir, "whereabouts");
    this.version = /_wb-(v[^_]+)_/.exec(path.dirname(goPluginDir))?.[1] ?? "unknown";
    this.namespace = `storm-wb-${runId}`;
    this.#flatFile = path.join(workDir, "whereabouts.d", "whereabouts.conf");
    this.#kubeconfig = path.join(workDir, "whereabouts.d", "whereabouts.kubeconfig");
  }

  async setup(): Promise<void> {
    for (const f of fs.readdirSync(this.crdDir).filter(n => n.endsWith(".yaml"))) {
      for (const doc of parseAllDocuments(fs.readFileSync(path.join(this.crdDir, f), "utf8"))) {
        await this.api
          .create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc.toJS())
          .catch(e => {
            if (!(e instanceof K8sError && e.code === "already_exists")) throw e;
          });
      }
    }
    for (const plural of ["ippools", "overlappingrangeipreservations"])
      await this.#waitEstablished(`${plural}.whereabouts.cni.cncf.io`);
    await this.api.create("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: this.namespace },
    });
    fs.mkdirSync(path.dirname(this.#flatFile), { recursive: true });
    fs.writeFileSync(this.#kubeconfig, this.#kubeconfigText(), { mode: 0o600 });
    fs.writeFileSync(
      this.#flatFile,
      JSON.stringify({ kubernetes: { kubeconfig: this.#kubeconfig }, log_level: "error" }),
    );
  }

  /** The cluster's admin identity with a context namespace, as Whereabouts' installer writes it. */
  #kubeconfigText(): string {
    const admin = fs.readFileSync(path.join(this.clusterDir, "kubeconfig"), "utf8");
    const server = /server: (\S+)/.exec(admin)?.[1];
    if (!server) throw new Error(`${this.clusterDir}/kubeconfig has no server`);
    const pki = (f: string) => path.join(this.clusterDir, "pki", f);
    return `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "${server}", certificate-authority: ${pki("ca.crt")}}
users:
- name: whereabouts
  user: {client-certificate: ${pki("admin.crt")}, client-key: ${pki("admin.key")}}
contexts:
- name: whereabouts
  context: {cluster: local, user: whereabouts, namespace: ${this.namespace}}
current-context: whereabouts
`;
  }

  async #waitEstablished(name: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const crd = await this.api.get<{
        status?: { conditions?: { type: string; status: string }[] };
      }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      if (crd.status?.conditions?.some(c => c.type === "Established" && c.status === "True"))
        return;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`CRD ${name} not Established after 30 s`);
  }

  /** IPPool name: the CIDR with `/` replaced (pkg/storage/kubernetes naming). */
  poolName(w: AddressWindow): string {
    return w.subnet.replace(/[/:]/g, "-");
  }

  #range(w: AddressWindow): string {
    return coversSubnet(w) ? w.subnet : `${addressAt(w, 0)}-${lastAddress(w)}/${w.prefix}`;
  }

  /** Empty pool, no reservations, no Lease: the reset between runs. */
  async resetWindow(w: AddressWindow): Promise<void> {
    const ns = `${GROUP}/namespaces/${this.namespace}`;
    await this.api.delete(`${ns}/ippools/${this.poolName(w)}`).catch(ignoreNotFound);
    await this.api.request("DELETE", `${ns}/overlappingrangeipreservations`, {
      timeoutMs: 120_000,
    });
    await this.api
      .delete(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/whereabouts`)
      .catch(ignoreNotFound);
    // Pre-created, as our pool is: spares the first ADD Whereabouts' create-then-retry round.
    await this.api.create(`${ns}/ippools`, {
      apiVersion: "whereabouts.cni.cncf.io/v1alpha1",
      kind: "IPPool",
      metadata: { name: this.poolName(w), namespace: this.namespace },
      spec: { range: w.subnet, allocations: {} },
    });
  }

  netconf(_node: BenchNode, w: AddressWindow): Record<string, unknown> {
    return networkConfig({
      type: "whereabouts",
      range: this.#range(w),
      configuration_path: this.#flatFile,
      log_level: "error",
    });
  }

  async holdings(w: AddressWindow): Promise<Holding[]> {
    const pool = await this.api
      .get<WbPool>(`${GROUP}/namespaces/${this.namespace}/ippools/${this.poolName(w)}`)
      .catch(e => {
        if (e instanceof K8sError && e.code === "not_found") return undefined;
        throw e;
      });
    return Object.entries(pool?.spec.allocations ?? {}).map(([offset, a]) => ({
      address: addressAtOffset(w, Number(offset)),
      pod: a.podref,
    }));
  }

  async leftovers(): Promise<Record<string, number | string>> {
    const orirs = await this.api.get<KubeList<unknown>>(
      `${GROUP}/namespaces/${this.namespace}/overlappingrangeipreservations`,
    );
    const lease = await this.api
      .get<{
        spec?: { holderIdentity?: string };
      }>(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/whereabouts`)
      .catch(() => undefined);
    return {
      overlappingRangeReservations: orirs.items.length,
      leaseHolder: lease?.spec?.holderIdentity ?? "",
    };
  }

  async teardown(): Promise<void> {
    await this.api.delete(`/api/v1/namespaces/${this.namespace}`).catch(ignoreNotFound);
  }
}

function ignoreNotFound(e: unknown): void {
  if (!(e instanceof K8sError && e.code === "not_found")) throw e;
}
