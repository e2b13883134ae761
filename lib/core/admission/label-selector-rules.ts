/**
 * apimachinery's `ValidateLabelSelector` (meta/v1/validation) with
 * `AllowInvalidLabelValueInSelector: false`, as Spiderpool runs it on `spec.podAffinity`.
 */
import type { LabelSelector } from "../../schemas/index.js";
import { forbidden, invalidValue, requiredValue, type FieldError } from "./field-error.js";
import { labelValueErrors, qualifiedNameErrors } from "../compat/label-syntax.js";

/**
 * Every problem of a label selector, in apimachinery's order and words:
 * - `matchLabels`: each key must be a qualified name and each value a label value; both are
 *   reported at `<path>.matchLabels` (apimachinery does not index map entries).
 * - `matchExpressions[i]`: `In`/`NotIn` need `values` (Required), `Exists`/`DoesNotExist` must
 *   not have them (Forbidden), any other operator is invalid; then the key, then each value.
 * An absent selector has no problems.
 */
export function validateLabelSelector(
  selector: LabelSelector | undefined,
  path: string,
): FieldError[] {
  const errors: FieldError[] = [];
  if (selector == null) return errors;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    errors.push(...labelKeyErrors(key, `${path}.matchLabels`));
    for (const msg of labelValueErrors(value)) {
      errors.push(invalidValue("invalid_label_value", `${path}.matchLabels`, value, msg));
    }
  }
  (selector.matchExpressions ?? []).forEach((requirement, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const values = requirement.values ?? [];
    // Read as a string: objects that skipped zod may carry any operator.
    const operator: string = requirement.operator;
    if (operator === "In" || operator === "NotIn") {
      if (values.length === 0) {
        errors.push(
          requiredValue(
            "selector_values_required",
            `${at}.values`,
            "must be specified when `operator` is 'In' or 'NotIn'",
          ),
        );
      }
    } else if (operator === "Exists" || operator === "DoesNotExist") {
      if (values.length > 0) {
        errors.push(
          forbidden(
            "selector_values_forbidden",
            `${at}.values`,
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            values,
          ),
        );
      }
    } else {
      errors.push(
        invalidValue(
          "invalid_selector_operator",
          `${at}.operator`,
          operator,
          "not a valid selector operator",
        ),
      );
    }
    errors.push(...labelKeyErrors(requirement.key, `${at}.key`));
    values.forEach((value, j) => {
      for (const msg of labelValueErrors(value)) {
        errors.push(invalidValue("invalid_label_value", `${at}.values[${j}]`, value, msg));
      }
    });
  });
  return errors;
}

function labelKeyErrors(key: string, path: string): FieldError[] {
  return qualifiedNameErrors(key).map(msg => invalidValue("invalid_label_key", path, key, msg));
}
