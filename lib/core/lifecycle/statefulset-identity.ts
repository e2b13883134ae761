/**
 * A StatefulSet Pod's identity from its name, and whether the StatefulSet still wants that Pod
 * ("valid StatefulSet Pod" in docs/reference/allocation.md#building-blocks). A valid Pod keeps its addresses across deletion; an invalid one
 * (scaled away, or its StatefulSet gone) has them released.
 */

/** The parent StatefulSet name and the ordinal encoded in a Pod name `<parent>-<ordinal>`. */
export interface StatefulSetOrdinal {
  /** Name of the StatefulSet the Pod belongs to (the name without `-<ordinal>`). */
  readonly statefulSet: string;
  readonly ordinal: number;
}

/** What the validity check needs from the StatefulSet named by the Pod name's prefix. */
export interface StatefulSetReplicas {
  /** `spec.replicas`; the API server defaults it to 1, which is assumed when unset. */
  readonly replicas?: number;
  /** `spec.ordinals.start`; 0 when `spec.ordinals` is unset. */
  readonly ordinalsStart?: number;
}

// Same as Spiderpool's statefulPodRegex; the greedy prefix makes the last dash the separator.
const STATEFUL_POD_NAME = /(.*)-([0-9]+)$/;
const MAX_INT32 = 2 ** 31 - 1;

/**
 * Splits `web-12` into `{statefulSet: "web", ordinal: 12}`. `undefined` when the name does not end in
 * `-<digits>` or the ordinal does not fit an int32 (Go parses it with `ParseInt(…, 10, 32)`).
 * Leading zeros are accepted (`web-007` is ordinal 7), as in Go.
 */
export function statefulSetOrdinal(podName: string): StatefulSetOrdinal | undefined {
  const match = STATEFUL_POD_NAME.exec(podName);
  if (match === null) return undefined;
  const ordinal = Number(match[2]);
  if (ordinal > MAX_INT32) return undefined;
  return { statefulSet: match[1] ?? "", ordinal };
}

/**
 * Whether the StatefulSet still owns the ordinal of `podName`: the ordinal lies in
 * `[start, start + replicas - 1]`. `sts` is the StatefulSet named by the Pod name's prefix, as
 * read by the caller; `undefined` (not found) means not valid, and so does a name without an
 * ordinal.
 */
export function isValidStatefulSetPod(
  podName: string,
  sts: StatefulSetReplicas | undefined,
): boolean {
  const identity = statefulSetOrdinal(podName);
  if (identity === undefined || sts === undefined) return false;
  const start = sts.ordinalsStart ?? 0;
  const replicas = sts.replicas ?? 1;
  return start <= identity.ordinal && identity.ordinal <= start + replicas - 1;
}
