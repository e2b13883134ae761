/**
 * The reads the CLI makes, one LIST or GET each, through the project's API client. Missing
 * objects come back as `undefined`; every other failure is a CliError naming the request.
 */
import type { KubeApi, KubeList, KubeObject, Stored } from "../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import type { Namespace, Node, Pod } from "../lib/k8s/core-kinds.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import type { OwnerLookup } from "../lib/core/selection/top-controller.js";
import { CliError } from "./cli-error.js";
import type { SpiderEndpoint } from "../lib/schemas/endpoint.js";
import type { SpiderSubnet } from "../lib/schemas/subnet.js";
import type { Claim, Pool, ReservedIP } from "./selection-request.js";
import { SPIDERPOOL_API_VERSION } from "../lib/core/base/well-known-names.js";

export type Subnet = Stored<SpiderSubnet>;
export type Endpoint = Stored<SpiderEndpoint>;

/** A Deployment or StatefulSet, as far as `explain` reads it. */
export interface Workload extends KubeObject {
  spec: { replicas?: number; template: { metadata?: Partial<Pod["metadata"]>; spec: Pod["spec"] } };
}

const SP = `/apis/${SPIDERPOOL_API_VERSION}`;

export interface StatefulSetReplicaFacts {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { replicas?: number; ordinals?: { start?: number } };
}

export class ClusterReads {
  constructor(private readonly api: KubeApi) {}

  pools(): Promise<Pool[]> {
    return this.#list<Pool>(`${SP}/spiderippools`);
  }

  claims(): Promise<Claim[]> {
    return this.#list<Claim>(CLAIMS_PATH);
  }

  reserved(): Promise<ReservedIP[]> {
    return this.#list<ReservedIP>(`${SP}/spiderreservedips`);
  }

  subnets(): Promise<Subnet[]> {
    return this.#list<Subnet>(`${SP}/spidersubnets`);
  }

  /** Pods of one namespace, or of all when `namespace` is undefined. */
  pods(namespace?: string): Promise<Stored<Pod>[]> {
    return this.#list<Pod>(namespace ? `/api/v1/namespaces/${namespace}/pods` : "/api/v1/pods");
  }

  endpoint(namespace: string, name: string): Promise<Endpoint | undefined> {
    return this.#get<Endpoint>(`${SP}/namespaces/${namespace}/spiderendpoints/${name}`);
  }

  workload(
    kind: "deployment" | "statefulset",
    namespace: string,
    name: string,
  ): Promise<Workload | undefined> {
    return this.#get<Workload>(`/apis/apps/v1/namespaces/${namespace}/${kind}s/${name}`);
  }

  replicaSets(namespace: string): Promise<Stored<KubeObject>[]> {
    return this.#list<KubeObject>(`/apis/apps/v1/namespaces/${namespace}/replicasets`);
  }

  claim(name: string): Promise<Claim | undefined> {
    return this.#get<Claim>(`${CLAIMS_PATH}/${name}`);
  }

  pod(namespace: string, name: string): Promise<Pod | undefined> {
    return this.#get<Pod>(`/api/v1/namespaces/${namespace}/pods/${name}`);
  }

  namespace(name: string): Promise<Namespace | undefined> {
    return this.#get<Namespace>(`/api/v1/namespaces/${name}`);
  }

  /** The StatefulSet, as far as the release rule reads it (replicas, ordinals, deletion). */
  statefulSet(namespace: string, name: string): Promise<StatefulSetReplicaFacts | undefined> {
    return this.#get<StatefulSetReplicaFacts>(
      `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`,
    );
  }

  node(name: string): Promise<Node | undefined> {
    return this.#get<Node>(`/api/v1/nodes/${name}`);
  }

  /** The ReplicaSet or Job controlling the Pod, read once, as the agent's owner cache does. */
  async owners(pod: Pod): Promise<OwnerLookup> {
    const paths: Record<string, string> = {
      ReplicaSet: "/apis/apps/v1/namespaces/%s/replicasets/",
      Job: "/apis/batch/v1/namespaces/%s/jobs/",
    };
    const ns = pod.metadata.namespace ?? "";
    const found = new Map<string, KubeObject["metadata"]>();
    for (const ref of pod.metadata.ownerReferences ?? []) {
      const base = paths[ref.kind];
      if (!ref.controller || !base) continue;
      const o = await this.#get<KubeObject>(base.replace("%s", ns) + ref.name);
      if (o && o.metadata.uid === ref.uid) found.set(`${ref.kind}/${ns}/${ref.name}`, o.metadata);
    }
    return (kind, namespace, name) => found.get(`${kind}/${namespace}/${name}`);
  }

  async #list<T>(path: string): Promise<Stored<T>[]> {
    try {
      return (await this.api.get<KubeList<Stored<T>>>(path)).items;
    } catch (e) {
      throw apiError(`GET ${path}`, e);
    }
  }

  async #get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.api.get<T>(path);
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw apiError(`GET ${path}`, e);
    }
  }
}

export function apiError(what: string, e: unknown): CliError {
  return new CliError("api", `${what}: ${e instanceof Error ? e.message : String(e)}`);
}
