import type { ApiClient } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { waitFor } from "./wait-for.js";

/** Collection paths of the Spider kinds, by Kind. */
export const SPIDER = "/apis/spiderpool.spidernet.io/v2beta1";
export const collectionOf: Record<string, string> = {
  SpiderIPPool: `${SPIDER}/spiderippools`,
  SpiderSubnet: `${SPIDER}/spidersubnets`,
  SpiderReservedIP: `${SPIDER}/spiderreservedips`,
};

export interface SpiderObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  spec?: unknown;
  [k: string]: unknown;
}

/** A stored Spider object, typed as far as the suites read it. */
export interface StoredSpiderObject {
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }[];
  };
  spec: Record<string, unknown> & { ipVersion?: number; ips?: string[]; excludeIPs?: string[] };
  status?: Record<string, unknown>;
}

/** The stored object, or undefined when there is none. */
export async function stored<T = StoredSpiderObject>(
  api: ApiClient,
  kind: string,
  name: string,
): Promise<T | undefined> {
  try {
    return await api.get<T>(`${collectionOf[kind]}/${name}`);
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return undefined;
    throw e;
  }
}

/**
 * Deletes an object and waits until it is gone. A subnet's finalizer is nobody's to release
 * while no subnet controller runs, so for subnets it is dropped here once the delete is issued;
 * pools are left to the watcher, which releases theirs when no address is claimed.
 */
export async function removeAndWait(
  api: ApiClient,
  kind: string,
  name: string,
  timeoutMs = 60_000,
): Promise<void> {
  const path = `${collectionOf[kind]}/${name}`;
  await api.delete(path).catch((e: unknown) => {
    if (!(e instanceof K8sError && e.code === "not_found")) throw e;
  });
  await waitFor(
    `${kind} ${name} gone`,
    async () => {
      const o = await stored(api, kind, name);
      if (!o) return true;
      if (
        kind !== "SpiderIPPool" &&
        o.metadata.deletionTimestamp &&
        o.metadata.finalizers?.length
      ) {
        await api
          .patch(path, [{ op: "replace", path: "/metadata/finalizers", value: [] }], "json")
          .catch(() => undefined);
      }
      return false;
    },
    timeoutMs,
  );
}
