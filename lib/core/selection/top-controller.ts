/**
 * The workload a Pod belongs to, walking controller owner references up to the unit users create
 * (docs/reference/allocation.md#building-blocks): a Deployment rather than its ReplicaSet, a CronJob rather than its Job. Auto-created
 * pools are keyed by this identity, and StatefulSet / KubeVirt Pods get static addresses from it.
 */

/** A workload identity; `group` is empty for the core API group (`v1`). */
export interface TopController {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The owner reference fields the walk reads (metav1.OwnerReference). */
export interface ControllerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
}

/** A workload object as the caller's cache returns it. */
export interface OwnerObject {
  /** `metadata.uid`; when absent, the UID recorded in the reference that led here is used. */
  readonly uid?: string;
  readonly ownerReferences?: readonly ControllerRef[];
}

/**
 * Reads a workload from the agent's cache: `undefined` when it is not there. Asked for the
 * `ReplicaSet` or `Job` that controls a Pod (to find a Deployment or CronJob above it), and for the
 * top object itself (`Deployment`, `CronJob`, `DaemonSet`, `StatefulSet`) only to read its UID.
 */
export type OwnerLookup = (
  kind: string,
  namespace: string,
  name: string,
) => OwnerObject | undefined;

/** The Pod, either flat or as the Kubernetes object. */
export type PodOwnerFacts =
  | {
      readonly namespace: string;
      readonly name: string;
      readonly uid: string;
      readonly ownerReferences?: readonly ControllerRef[];
    }
  | {
      readonly metadata: {
        readonly namespace?: string;
        readonly name?: string;
        readonly uid?: string;
        readonly ownerReferences?: readonly ControllerRef[];
      };
    };

const CORE_API_VERSIONS: readonly string[] = ["v1", "apps/v1", "batch/v1"];
const BUILT_IN_KINDS: readonly string[] = [
  "Pod",
  "Deployment",
  "ReplicaSet",
  "DaemonSet",
  "StatefulSet",
  "Job",
  "CronJob",
];
// The controller a ReplicaSet or Job may have above it, and the group of both.
const PARENTS: Readonly<
  Record<string, readonly [group: string, parentApiVersion: string, parentKind: string]>
> = {
  ReplicaSet: ["apps", "apps/v1", "Deployment"],
  Job: ["batch", "batch/v1", "CronJob"],
};

/**
 * The top controller of a Pod:
 *
 * | controller ownerRef of the Pod | result |
 * |---|---|
 * | none | the Pod itself (`v1` `Pod`), an "orphan" |
 * | apiVersion other than `v1`, `apps/v1`, `batch/v1` | the reference verbatim, nothing read |
 * | ReplicaSet controlled by an `apps/v1` Deployment | the Deployment |
 * | ReplicaSet otherwise | the ReplicaSet |
 * | Job controlled by a `batch/v1` CronJob | the CronJob |
 * | Job otherwise | the Job |
 * | DaemonSet / StatefulSet | itself |
 * | other kind in a core apiVersion | the reference verbatim |
 *
 * As in Spiderpool, the kind decides the walk whatever core apiVersion the reference names, and
 * the result carries the kind's own group/version. Spiderpool fails the ADD when a workload of
 * the walk cannot be read; here a ReplicaSet or Job missing from the cache ends the walk at the
 * Pod's own reference, and the UID of a top object that cannot be read is taken from the
 * reference that names it (the two are equal while the object exists).
 */
export function topController(pod: PodOwnerFacts, lookupOwner: OwnerLookup): TopController {
  const meta = "metadata" in pod ? pod.metadata : pod;
  const namespace = meta.namespace ?? "";
  const owner = controllerOf(meta.ownerReferences);
  if (owner === undefined) {
    return {
      group: "",
      version: "v1",
      kind: "Pod",
      namespace,
      name: meta.name ?? "",
      uid: meta.uid ?? "",
    };
  }
  const verbatim = (): TopController => ({
    ...splitApiVersion(owner.apiVersion),
    kind: owner.kind,
    namespace,
    name: owner.name,
    uid: owner.uid,
  });
  if (!CORE_API_VERSIONS.includes(owner.apiVersion)) return verbatim();
  const identity = (
    group: string,
    kind: string,
    ref: ControllerRef,
    object: OwnerObject | undefined,
  ): TopController => ({
    group,
    version: "v1",
    kind,
    namespace,
    name: ref.name,
    uid: object?.uid ?? ref.uid,
  });

  const parent = PARENTS[owner.kind];
  if (parent !== undefined) {
    const [group, parentApiVersion, parentKind] = parent;
    const object = lookupOwner(owner.kind, namespace, owner.name);
    const grandOwner = controllerOf(object?.ownerReferences);
    if (
      grandOwner !== undefined &&
      grandOwner.apiVersion === parentApiVersion &&
      grandOwner.kind === parentKind
    ) {
      return identity(
        group,
        parentKind,
        grandOwner,
        lookupOwner(parentKind, namespace, grandOwner.name),
      );
    }
    return identity(group, owner.kind, owner, object);
  }
  if (owner.kind === "DaemonSet" || owner.kind === "StatefulSet") {
    return identity("apps", owner.kind, owner, lookupOwner(owner.kind, namespace, owner.name));
  }
  return verbatim();
}

/** The `apiVersion` a top controller is written with: `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(top: Pick<TopController, "group" | "version">): string {
  return top.group === "" ? top.version : `${top.group}/${top.version}`;
}

/** Whether the Pod has no controller: Spiderpool's auto pools refuse such Pods. */
export function isOrphan(top: TopController): boolean {
  return top.group === "" && top.version === "v1" && top.kind === "Pod";
}

/**
 * Whether the controller is outside the Kubernetes built-in workloads (OpenKruise, KubeVirt, …):
 * the agent, not the controller, then creates its auto pools, and only a fixed size is allowed.
 */
export function isThirdPartyController(top: TopController): boolean {
  return !CORE_API_VERSIONS.includes(apiVersionOf(top)) || !BUILT_IN_KINDS.includes(top.kind);
}

/** metav1.GetControllerOf: the first reference marked `controller: true`. */
function controllerOf(refs: readonly ControllerRef[] | undefined): ControllerRef | undefined {
  return refs?.find(ref => ref.controller === true);
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
