import type { KubeApi, KubeObject } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import { K8sError } from "../k8s/k8s-error.js";

type OwnerLookup = (
  kind: string,
  namespace: string,
  name: string,
) => { ownerReferences?: KubeObject["metadata"]["ownerReferences"] } | undefined;

const paths: Record<string, (ns: string, name: string) => string> = {
  ReplicaSet: (ns, n) => `/apis/apps/v1/namespaces/${ns}/replicasets/${n}`,
  Job: (ns, n) => `/apis/batch/v1/namespaces/${ns}/jobs/${n}`,
};

/**
 * Owners of a Pod's ReplicaSet or Job, needed to find its top controller (Deployment, CronJob).
 * Controller references of those objects do not change, so each is fetched once per UID and
 * kept; the agent does not watch every ReplicaSet in the cluster for this.
 */
export class OwnerCache {
  readonly #cache = new Map<string, KubeObject["metadata"]>();
  constructor(private readonly api: KubeApi) {}

  async lookup(pod: Pod): Promise<OwnerLookup> {
    const ns = pod.metadata.namespace ?? "";
    for (const ref of pod.metadata.ownerReferences ?? []) {
      if (!ref.controller || !paths[ref.kind] || this.#cache.has(ref.uid)) continue;
      try {
        const o = await this.api.get<KubeObject>(paths[ref.kind]!(ns, ref.name));
        if (o.metadata.uid === ref.uid) this.#cache.set(ref.uid, o.metadata);
      } catch (e) {
        // A deleted owner leaves the Pod's own reference as the top controller.
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      }
      if (this.#cache.size > 5000) this.#cache.delete(this.#cache.keys().next().value!);
    }
    const byName = new Map<string, KubeObject["metadata"]>();
    for (const ref of pod.metadata.ownerReferences ?? []) {
      const m = this.#cache.get(ref.uid);
      if (m) byName.set(`${ref.kind}/${ns}/${ref.name}`, m);
    }
    return (kind, namespace, name) => byName.get(`${kind}/${namespace}/${name}`);
  }
}
