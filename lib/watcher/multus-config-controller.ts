import type { KubeApi, KubeObject, Stored } from "../k8s/api-client.js";
import { recordEvent } from "../k8s/events.js";
import { Informer } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import { isControlledBy, withControllerReference } from "../core/compat/controller-reference.js";
import { nadContentOf, nadNameOf, type NadContent } from "../core/multus/nad-config.js";
import { NAD_API_VERSION, SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";
import type { SpiderMultusConfig } from "../schemas/multus-config.js";
import type { ObjectMeta } from "../schemas/shared-fields.js";
import type { Logger } from "../logger.js";
import { WorkQueue } from "./work-queue.js";

type Smc = Stored<SpiderMultusConfig>;
interface Nad extends KubeObject {
  spec?: { config?: string };
}

const SMCS = `/apis/${SPIDERPOOL_API_VERSION}/spidermultusconfigs`;
const NADS = `/apis/${NAD_API_VERSION}/network-attachment-definitions`;
const nadPath = (ns: string, name: string) =>
  `/apis/${NAD_API_VERSION}/namespaces/${ns}/network-attachment-definitions/${name}`;

/**
 * Keeps the NetworkAttachmentDefinition of every SpiderMultusConfig what the SMC says
 * (docs/usage/multus-config.md): created when missing (also after someone deletes it), rewritten
 * when its config, annotations or controller reference drift, and taken over when it existed
 * before the SMC, as Spiderpool does, with an Event on the SMC saying so. Deleting the SMC
 * deletes the NAD through the owner reference (the garbage collector), as in Spiderpool.
 *
 * Two informers: SMCs (a run reads the SMC by key, the resync walks them) and NADs (a deleted or
 * edited NAD must bring its SMC back to work, and nothing else would tell us).
 */
export class MultusConfigController {
  readonly smcs: Informer<Smc>;
  readonly nads: Informer<Nad>;
  readonly #queue: WorkQueue;

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
  ) {
    this.#queue = new WorkQueue(key => this.#reconcile(key), {
      delayMs: 100,
      onError: (key, e, n) =>
        log.warn("SpiderMultusConfig sync failed; retrying", { smc: key, attempt: n, err: e }),
    });
    const onError = (what: string) => (e: K8sError) =>
      log.warn(`watch of ${what} failed; retrying`, { err: e });
    this.smcs = new Informer<Smc>(api, { path: SMCS, onError: onError("SpiderMultusConfigs") });
    this.nads = new Informer<Nad>(api, {
      path: NADS,
      onError: onError("NetworkAttachmentDefinitions"),
    });
    this.smcs.on(ev => this.smcChanged(ev.object));
    this.nads.on(ev => this.#nadChanged(ev.object));
  }

  start(): this {
    this.smcs.start();
    this.nads.start();
    return this;
  }

  /** Both caches loaded. */
  get synced(): Promise<void> {
    return Promise.all([this.smcs.synced, this.nads.synced]).then(() => undefined);
  }

  /** An SMC event (from the capability's Watch binding or our informer). */
  smcChanged(smc: KubeObject): void {
    this.#queue.add(keyOf(smc.metadata.namespace, smc.metadata.name));
  }

  resyncAll(): void {
    for (const smc of this.smcs.list()) this.smcChanged(smc);
  }

  /** A NAD changed or went: every SMC of its namespace that writes that name looks again. */
  #nadChanged(nad: Nad): void {
    const ns = nad.metadata.namespace;
    for (const smc of this.smcs.list())
      if (smc.metadata.namespace === ns && nadNameOf(smc) === nad.metadata.name)
        this.smcChanged(smc);
  }

  async #reconcile(key: string): Promise<void> {
    const [ns = "", name = ""] = key.split("/");
    const cached = this.smcs.get(name, ns);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const smc: Smc = { ...cached, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderMultusConfig" };
    const content = nadContentOf(smc);
    if (!content.ok) {
      // Only an object that never passed our admission gets here; retrying would not help.
      this.log.warn("SpiderMultusConfig yields no NetworkAttachmentDefinition", {
        smc: key,
        reason: content.error.message,
      });
      await recordEvent(
        this.api,
        smc,
        "Warning",
        "NetworkAttachmentDefinitionNotWritten",
        content.error.message,
      );
      return;
    }
    const want = content.value;
    // Read, not the cache: a write built on a stale copy would be refused (resourceVersion) or,
    // for a create, race a NAD someone just wrote.
    const have = await this.api.get<Nad>(nadPath(ns, want.name)).catch((e: unknown) => {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw e;
    });
    const owner = {
      apiVersion: SPIDERPOOL_API_VERSION,
      kind: "SpiderMultusConfig",
      name,
      uid: smc.metadata.uid ?? "",
    };
    if (!have) {
      const metadata = withControllerReference(
        { name: want.name, namespace: ns, annotations: want.annotations },
        owner,
      );
      await this.api.create(
        `/apis/${NAD_API_VERSION}/namespaces/${ns}/network-attachment-definitions`,
        {
          apiVersion: NAD_API_VERSION,
          kind: "NetworkAttachmentDefinition",
          metadata,
          spec: { config: want.config ?? "" },
        },
      );
      this.log.info("NetworkAttachmentDefinition created", { smc: key, nad: want.name });
      return;
    }
    if (have.metadata.deletionTimestamp)
      throw new Error(`the old net-attach-def ${ns}/${want.name} is terminating, wait for a while`);
    const ours = isControlledBy(have.metadata as ObjectMeta, owner.uid);
    if (ours && sameContent(have, want)) return;
    // Spiderpool's takeover: its owner references become the SMC's controller reference alone.
    const metadata = withControllerReference(
      { ...(have.metadata as ObjectMeta), annotations: want.annotations, ownerReferences: [] },
      owner,
    );
    await this.api.replace(nadPath(ns, want.name), {
      ...have,
      apiVersion: NAD_API_VERSION,
      kind: "NetworkAttachmentDefinition",
      metadata,
      spec: { ...have.spec, config: want.config ?? "" },
    });
    if (ours) {
      this.log.info("NetworkAttachmentDefinition brought back to its SpiderMultusConfig", {
        smc: key,
        nad: want.name,
      });
      return;
    }
    const before = describeOwners(have);
    this.log.info("NetworkAttachmentDefinition taken over", { smc: key, nad: want.name, before });
    await recordEvent(
      this.api,
      smc,
      "Normal",
      "NetworkAttachmentDefinitionTakenOver",
      `took over the existing net-attach-def ${ns}/${want.name} (${before}): its config, annotations and owner references are now this SpiderMultusConfig's`,
    );
  }
}

function keyOf(ns: string | undefined, name: string): string {
  return `${ns ?? ""}/${name}`;
}

function sameContent(have: Nad, want: NadContent): boolean {
  return (
    (have.spec?.config ?? "") === (want.config ?? "") &&
    sameMap(have.metadata.annotations ?? {}, want.annotations)
  );
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every(k => a[k] === b[k]);
}

function describeOwners(nad: Nad): string {
  const refs = nad.metadata.ownerReferences ?? [];
  if (!refs.length) return "written by hand, no owner";
  return `owned by ${refs.map(r => `${r.kind} ${r.name}${r.controller ? " (controller)" : ""}`).join(", ")}`;
}
