/**
 * Rules on `spec.podAffinity` of a SpiderIPPool (docs/reference/admission.md#spiderippool). Pools the subnet controller
 * created for an application (label `ipam.spidernet.io/owner-application-name`) may only carry
 * the five `ipam.spidernet.io/app-*` labels it wrote; any other pool needs a valid, non-empty
 * selector when it has one.
 */
import type { IPPoolObject } from "./admission-objects.js";
import { invalidValue, type FieldError } from "./field-error.js";
import { validateLabelSelector } from "./label-selector-rules.js";
import { isAutoCreatedPool } from "../selection/pool-view.js";
import { AUTO_POOL_POD_AFFINITY_KEYS } from "../base/well-known-names.js";

const PATH = "spec.podAffinity";

/**
 * Auto-created pool: each extra matchLabels key (`auto_pool_extra_match_labels`, reported with
 * the key as value so that the user sees which one) and any matchExpressions
 * (`auto_pool_match_expressions`). Other pools: apimachinery's selector rules, and
 * `spec.podAffinity: Invalid value: {}: empty podAffinity is invalid for SpiderIPPool`
 * (`empty_pod_affinity`). No selector, no problems.
 */
export function checkPodAffinity(pool: IPPoolObject): FieldError[] {
  const selector = pool.spec.podAffinity;
  if (selector == null) return [];
  const labels = Object.keys(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (isAutoCreatedPool({ labels: pool.metadata?.labels ?? {} })) {
    const errors = labels
      .filter(key => !AUTO_POOL_POD_AFFINITY_KEYS.includes(key))
      .map(key =>
        invalidValue(
          "auto_pool_extra_match_labels",
          `${PATH}.matchLabels`,
          key,
          "it's invalid to add additional podAffinity matchLabels for auto-created SpiderIPPool",
        ),
      );
    if (expressions.length > 0) {
      errors.push(
        invalidValue(
          "auto_pool_match_expressions",
          `${PATH}.matchExpressions`,
          expressions,
          "it's invalid to add additional podAffinity matchExpressions for auto-created SpiderIPPool",
        ),
      );
    }
    return errors;
  }
  const errors = validateLabelSelector(selector, PATH);
  if (labels.length + expressions.length === 0) {
    errors.push(
      invalidValue(
        "empty_pod_affinity",
        PATH,
        selector,
        "empty podAffinity is invalid for SpiderIPPool",
      ),
    );
  }
  return errors;
}
