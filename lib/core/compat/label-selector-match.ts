/**
 * Whether a set of labels satisfies a Kubernetes label selector, as apimachinery's
 * `metav1.LabelSelectorAsSelector(...).Matches(labels.Set(...))` decides it. Used for the node,
 * namespace and Pod affinities of pools.
 *
 * `matchLabels` and `matchExpressions` are ANDed; an empty selector matches everything.
 * `In`: the key is present with one of the values. `NotIn`: the key is absent or has none of the
 * values. `Exists` / `DoesNotExist`: presence of the key.
 *
 * A selector apimachinery would refuse to convert (empty `values` for `In`, values on `Exists`,
 * an unknown operator, a malformed key or value) matches nothing and yields the conversion error,
 * which Spiderpool reports as the reason the pool was skipped.
 */
import type { LabelSelector } from "../../schemas/index.js";
import { goQuote } from "./go-quote.js";
import { labelValueErrors, qualifiedNameErrors } from "./label-syntax.js";
import { err, ok, type Result } from "../base/result.js";

/** A selector that cannot be evaluated; `message` is apimachinery's text. */
export interface InvalidSelectorError {
  readonly code: "invalid_label_selector";
  readonly message: string;
}

/** Evaluates `selector` against `labels`. */
export function matchLabelSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): Result<boolean, InvalidSelectorError> {
  const requirements: Array<(l: Readonly<Record<string, string>>) => boolean> = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const problems = [...keyProblems(key), ...valueProblems(value, 0)];
    if (problems.length > 0) return invalid(problems);
    requirements.push(l => Object.hasOwn(l, key) && l[key] === value);
  }
  for (const expression of selector.matchExpressions ?? []) {
    const { key } = expression;
    const values = expression.values ?? [];
    // Read as a string: objects that skipped zod may carry any operator.
    const operator: string = expression.operator;
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(operator)) {
      return err({
        code: "invalid_label_selector",
        message: `${goQuote(operator)} is not a valid label selector operator`,
      });
    }
    const problems = keyProblems(key);
    if ((operator === "In" || operator === "NotIn") && values.length === 0) {
      problems.push(
        `values: Invalid value: ${goStringSlice(expression.values)}: for 'in', 'notin' operators, values set can't be empty`,
      );
    }
    if ((operator === "Exists" || operator === "DoesNotExist") && values.length > 0) {
      problems.push(
        `values: Invalid value: ${goStringSlice(values)}: values set must be empty for exists and does not exist`,
      );
    }
    values.forEach((v, i) => problems.push(...valueProblems(v, i)));
    // apimachinery converts requirement by requirement and stops at the first one that fails.
    if (problems.length > 0) return invalid(problems);
    const has = (l: Readonly<Record<string, string>>): boolean => Object.hasOwn(l, key);
    const among = (l: Readonly<Record<string, string>>): boolean =>
      has(l) && values.includes(l[key] ?? "");
    if (operator === "In") requirements.push(among);
    else if (operator === "NotIn") requirements.push(l => !among(l));
    else if (operator === "Exists") requirements.push(has);
    else requirements.push(l => !has(l));
  }
  return ok(requirements.every(requirement => requirement(labels)));
}

/** `field.ErrorList.ToAggregate()` text: one error alone, several as `[a, b]`. */
function invalid(problems: readonly string[]): { ok: false; error: InvalidSelectorError } {
  const message = problems.length === 1 ? (problems[0] ?? "") : `[${problems.join(", ")}]`;
  return err({ code: "invalid_label_selector", message });
}

function keyProblems(key: string): string[] {
  const problems = qualifiedNameErrors(key);
  return problems.length === 0
    ? []
    : [`key: Invalid value: ${goQuote(key)}: ${problems.join("; ")}`];
}

function valueProblems(value: string, index: number): string[] {
  const problems = labelValueErrors(value);
  return problems.length === 0
    ? []
    : [`values[${index}]: Invalid value: ${goQuote(value)}: ${problems.join("; ")}`];
}

/** Go's `%#v` of a `[]string`, as `field.Invalid` prints it. */
function goStringSlice(values: readonly string[] | undefined): string {
  if (values === undefined) return "[]string(nil)";
  return `[]string{${values.map(goQuote).join(", ")}}`;
}
