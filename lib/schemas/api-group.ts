/**
 * Identity of the Spiderpool API this project serves. The strings are Spiderpool's own, so that
 * existing clients, RBAC rules and stored objects keep working unchanged.
 */

/** API group of every Spiderpool CRD; also reused verbatim as the finalizer name. */
export const SPIDERPOOL_GROUP = "spiderpool.spidernet.io";

/** The single served and storage version (v2beta1 since Spiderpool v0.4.0). */
export const SPIDERPOOL_VERSION = "v2beta1";

/** `apiVersion` of every Spiderpool object: `spiderpool.spidernet.io/v2beta1`. */
export const SPIDERPOOL_API_VERSION = `${SPIDERPOOL_GROUP}/${SPIDERPOOL_VERSION}`;

/** `kubectl get spiderpool` lists every kind in this category. */
export const SPIDERPOOL_CATEGORY = "spiderpool";
