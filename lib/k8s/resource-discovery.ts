import type { KubeApi } from "./api-client.js";
import { K8sError } from "./k8s-error.js";

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/**
 * The collection path of a kind, from the API server's discovery document of its group/version
 * (not a guessed plural): `/apis/apps.kruise.io/v1beta1/clonesets`. `null` when the API server
 * does not serve the kind (its CRD is gone), undefined never: other failures throw.
 */
export async function discoverCollection(
  api: KubeApi,
  apiVersion: string,
  kind: string,
): Promise<{ path: string; namespaced: boolean } | null> {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let list: ApiResourceList;
  try {
    list = await api.get<ApiResourceList>(base);
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return null;
    throw e;
  }
  const r = list.resources.find(x => x.kind === kind && !x.name.includes("/"));
  return r ? { path: `${base}/${r.name}`, namespaced: r.namespaced } : null;
}
