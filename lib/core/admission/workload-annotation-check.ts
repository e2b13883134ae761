/**
 * The admission check of a workload's Pod-template IPAM annotations (docs/usage/subnet-auto-pool.md,
 * "Checked at admission"): only their syntax, with no lookups, so the check needs no API reads and
 * gives the texts the auto-pool controller (subnet, size, reclaim) and the agent (pools) give later.
 */
import { namedAnnotationError } from "../auto-pool/auto-pool-request.js";
import { parsePodIPPool, parsePodIPPools } from "../selection/pool-annotations.js";
import type { Result } from "../base/result.js";
import type { SelectionError } from "../selection/selection-errors.js";
import {
  parsePoolIPNumber,
  parseReclaim,
  parseSubnetAnnotations,
} from "../selection/subnet-annotations.js";
import { ANNO_IPPOOL_IP_NUMBER } from "../base/well-known-names.js";

/**
 * Every malformed annotation, one text each (empty when all are well-formed). The subnet request
 * is parsed as the controller parses it; size and reclaim are also checked when no subnet
 * annotation is present, since a text we could never read must not be accepted silently.
 */
export function workloadAnnotationProblems(
  annotations: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  const add = (r: Result<unknown, SelectionError>) => {
    if (!r.ok && !problems.includes(namedAnnotationError(r.error).message))
      problems.push(namedAnnotationError(r.error).message);
  };
  add(parseSubnetAnnotations(annotations));
  const ipNumber = annotations[ANNO_IPPOOL_IP_NUMBER];
  if (ipNumber !== undefined) add(parsePoolIPNumber(ipNumber));
  add(parseReclaim(annotations));
  add(parsePodIPPool(annotations));
  add(parsePodIPPools(annotations));
  return problems;
}
