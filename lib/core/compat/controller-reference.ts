/**
 * controller-runtime's `SetControllerReference` and apimachinery's `IsControlledBy`, for the
 * adoption of a pool by its SpiderSubnet.
 */
import type { ObjectMeta, OwnerReference } from "../../schemas/index.js";

/** The object a controller reference points to. */
export interface ControllerIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** The pool's controller reference, if any (`metav1.GetControllerOf`). */
export function controllerOf(metadata: ObjectMeta | undefined): OwnerReference | undefined {
  return metadata?.ownerReferences?.find(ref => ref.controller === true);
}

/** `metav1.IsControlledBy`: the controller reference carries the owner's uid. */
export function isControlledBy(metadata: ObjectMeta | undefined, uid: string): boolean {
  return controllerOf(metadata)?.uid === uid;
}

/**
 * `SetControllerReference`: `metadata` with a controller reference `{apiVersion, kind, name,
 * uid, controller: true, blockOwnerDeletion: true}` to `owner`, replacing any reference to the
 * same object (same group, kind and name: a recreated owner gets its new uid) or appended.
 * Undefined when another object already controls it, which controller-runtime refuses.
 */
export function withControllerReference(
  metadata: ObjectMeta,
  owner: ControllerIdentity,
): ObjectMeta | undefined {
  const existing = controllerOf(metadata);
  if (existing !== undefined && !refersTo(existing, owner)) return undefined;
  const ref: OwnerReference = { ...owner, controller: true, blockOwnerDeletion: true };
  const refs = metadata.ownerReferences ?? [];
  const index = refs.findIndex(other => refersTo(other, owner));
  const ownerReferences =
    index < 0 ? [...refs, ref] : refs.map((other, i) => (i === index ? ref : other));
  return { ...metadata, ownerReferences };
}

/** controller-runtime's `referSameObject`: group (not version), kind and name. */
function refersTo(ref: OwnerReference, owner: ControllerIdentity): boolean {
  return (
    groupOf(ref.apiVersion) === groupOf(owner.apiVersion) &&
    ref.kind === owner.kind &&
    ref.name === owner.name
  );
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
