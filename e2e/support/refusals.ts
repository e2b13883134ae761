import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { kubectl } from "../cluster/cluster.js";
import {
  collectionOf,
  stored,
  type SpiderObject,
  type StoredSpiderObject,
} from "./spider-objects.js";

/** What the API server answered a refused request with. */
export interface Refusal {
  status: number;
  message: string;
}

/** Runs kubectl expecting it to fail; returns what it printed. Fails the test if it succeeded. */
export function kubectlRefusal(args: string[], input?: string): string {
  let out: string;
  try {
    out = kubectl(args, input);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`kubectl ${args.join(" ")} was expected to be refused but printed: ${out}`);
}

/** Awaits a request expected to be refused; returns the HTTP status and message. */
export async function refusalOf(request: Promise<unknown>): Promise<Refusal> {
  try {
    await request;
  } catch (e) {
    if (e instanceof K8sError && e.status >= 400) return { status: e.status, message: e.message };
    throw e;
  }
  assert.fail("the request was expected to be refused but was accepted");
}

/**
 * The full check of one refused CREATE, in every way a user can send it: `kubectl apply` prints
 * the message; a server-side dry run gets the same status and message; and afterwards nothing
 * of that name is stored (unless `existing` says an object of that name was there before, in
 * which case it must be unchanged).
 */
export async function assertCreateRefused(
  api: ApiClient,
  object: SpiderObject,
  expect: { status: number; message: string | string[] },
  existing?: StoredSpiderObject,
): Promise<void> {
  const yaml = stringify({ apiVersion: "spiderpool.spidernet.io/v2beta1", ...object });
  const verb = existing ? "create" : "apply";
  const printed = kubectlRefusal([verb, "-f", "-"], yaml);
  assertContains(`kubectl ${verb}`, printed, expect.message);
  const dryRunPrinted = kubectlRefusal([verb, "--dry-run=server", "-f", "-"], yaml);
  assert.equal(
    dryRunPrinted,
    printed,
    "a server-side dry run must be answered exactly like the real request",
  );
  const refused = await refusalOf(
    api.create(
      collectionOf[object.kind]!,
      { apiVersion: "spiderpool.spidernet.io/v2beta1", ...object },
      { dryRun: "All" },
    ),
  );
  assert.equal(refused.status, expect.status, `HTTP status of the refusal: ${refused.message}`);
  assertContains("the API", refused.message, expect.message);
  const after = await stored(api, object.kind, object.metadata.name);
  if (existing)
    assert.deepEqual(
      after && userView(after),
      userView(existing),
      "the stored object must be unchanged",
    );
  else
    assert.equal(
      after,
      undefined,
      `${object.kind} ${object.metadata.name} was persisted despite the refusal`,
    );
}

/**
 * The full check of one refused UPDATE given as a merge patch: kubectl and a server-side dry
 * run print the same message, the API answers with `status`, and the stored object keeps its
 * resourceVersion.
 */
export async function assertPatchRefused(
  api: ApiClient,
  kind: string,
  name: string,
  patch: unknown,
  expect: { status: number; message: string | string[] },
): Promise<void> {
  const before = await stored(api, kind, name);
  assert.ok(before, `${kind} ${name} must exist`);
  const resource = collectionOf[kind]!.split("/").pop()!;
  const args = ["patch", resource, name, "--type=merge", "-p", JSON.stringify(patch)];
  const printed = kubectlRefusal(args);
  assertContains("kubectl patch", printed, expect.message);
  assert.equal(
    kubectlRefusal([...args, "--dry-run=server"]),
    printed,
    "a server-side dry run must be answered exactly like the real request",
  );
  const refused = await refusalOf(
    api.patch(`${collectionOf[kind]}/${name}`, patch, "merge", { dryRun: "All" }),
  );
  assert.equal(refused.status, expect.status, `HTTP status of the refusal: ${refused.message}`);
  assertContains("the API", refused.message, expect.message);
  const after = await stored(api, kind, name);
  assert.deepEqual(
    after && userView(after),
    userView(before),
    `${kind} ${name} changed despite the refusal`,
  );
}

/** Every fragment must appear in what `who` answered. */
function assertContains(who: string, text: string, fragments: string | string[]): void {
  for (const f of [fragments].flat())
    assert.ok(text.includes(f), `${who} answered:\n${text}\nexpected it to contain:\n${f}`);
}

/**
 * What a user's write can change. Not the resourceVersion: the watcher keeps writing the status
 * of pools in use, which moves it without any user write getting through.
 */
function userView(o: StoredSpiderObject) {
  const { labels, annotations, finalizers, ownerReferences, deletionTimestamp } =
    o.metadata as StoredSpiderObject["metadata"] & { annotations?: unknown };
  return { spec: o.spec, labels, annotations, finalizers, ownerReferences, deletionTimestamp };
}
