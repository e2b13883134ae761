/**
 * Identity of the Spiderpool API this project serves. The strings are Spiderpool's own, so that
 * existing clients, RBAC rules and stored objects keep working unchanged.
 */
/** The group and version live with every other wire name in lib/core/base/well-known-names.ts. */
export {
  SPIDERPOOL_GROUP,
  SPIDERPOOL_VERSION,
  SPIDERPOOL_API_VERSION,
} from "../core/base/well-known-names.js";

/** `kubectl get spiderpool` lists every kind in this category. */
export const SPIDERPOOL_CATEGORY = "spiderpool";
