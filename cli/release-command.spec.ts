/**
 * `spiderpool release` against in-memory reads and an API server whose claim moves between the
 * check and the delete: the delete carries the resourceVersion read, a conflict makes the command
 * read and decide again, and it never deletes a claim it has not judged as it is now. The real
 * API server's part is in e2e/suites/cli.e2e.ts.
 */
import assert from "node:assert/strict";
import type { ApiClient } from "../lib/k8s/api-client.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import { CliError } from "./cli-error.js";
import type { ClusterReads, StatefulSetReplicaFacts } from "./cluster-reads.js";
import { claim, pod } from "./fixtures.js";
import { releaseCommand, releaseFromReport } from "./release-command.js";
import type { Claim } from "./selection-request.js";

class World {
  claim: Claim | undefined;
  pods = new Map<string, Pod>();
  sts: StatefulSetReplicaFacts | undefined;
  deletes: { rv?: string; uid?: string }[] = [];
  /** Runs just before the API server handles a DELETE: the moment a take-over can slip in. */
  beforeDelete?: () => void;
  reads(): ClusterReads {
    return {
      claim: async () => this.claim,
      pod: async (_ns: string, name: string) => this.pods.get(name),
      statefulSet: async () => this.sts,
    } as unknown as ClusterReads;
  }
  api(): ApiClient {
    return {
      request: async (
        _m: string,
        _p: string,
        opts: { body: { preconditions?: { uid?: string; resourceVersion?: string } } },
      ) => {
        this.beforeDelete?.();
        this.beforeDelete = undefined;
        const pre = opts.body.preconditions ?? {};
        this.deletes.push({ rv: pre.resourceVersion, uid: pre.uid });
        if (!this.claim) throw new K8sError("not_found", 404, "NotFound", "gone");
        if (pre.resourceVersion !== this.claim.metadata.resourceVersion)
          throw new K8sError("conflict", 409, "Conflict", "precondition failed");
        this.claim = undefined;
        return {};
      },
    } as unknown as ApiClient;
  }
}

const stsClaim = (rv: string, uid = "u1"): Claim => {
  const c = claim("10.9.0.8", "a", uid, { static: true, podName: "web-1" });
  return { ...c, metadata: { ...c.metadata, resourceVersion: rv } } as Claim;
};

describe("cli/release-command", () => {
  it("deletes with the resourceVersion it judged", async () => {
    const w = new World();
    w.claim = stsClaim("5");
    const out = await releaseCommand(w.api(), w.reads(), "10.9.0.8", { dryRun: false });
    assert.match(out.table(), /^released 10\.9\.0\.8/);
    assert.equal(out.kind, "ReleaseResult");
    assert.deepEqual(
      (out.body.items as { result: string }[]).map(i => i.result),
      ["released"],
    );
    assert.deepEqual(w.deletes, [{ rv: "5", uid: "claim-10.9.0.8" }]);
  });

  it("a claim taken over by a new StatefulSet incarnation before the delete is read again and kept", async () => {
    const w = new World();
    w.claim = stsClaim("5");
    // The new incarnation re-points the claim (UID kept, resourceVersion moves) while we decide.
    w.beforeDelete = () => {
      w.claim = stsClaim("6", "u2");
      w.pods.set("web-1", pod("web-1", "u2"));
    };
    await assert.rejects(
      releaseCommand(w.api(), w.reads(), "10.9.0.8", { dryRun: false, force: true }),
      (e: unknown) =>
        e instanceof CliError &&
        e.code === "refused" &&
        /is alive \(Running\) and holds it/.test(e.message),
    );
    assert.ok(w.claim, "the claim the new incarnation took is still there");
    assert.deepEqual(w.deletes, [{ rv: "5", uid: "claim-10.9.0.8" }]);
  });

  it("refuses a StatefulSet claim whose ordinal is still wanted, unless --force", async () => {
    const w = new World();
    w.claim = stsClaim("5");
    w.sts = { metadata: { name: "web" }, spec: { replicas: 3 } };
    await assert.rejects(
      releaseCommand(w.api(), w.reads(), "10.9.0.8", { dryRun: false }),
      (e: unknown) => e instanceof CliError && /still wants ordinal 1/.test(e.message),
    );
    assert.equal(w.deletes.length, 0);
    w.sts = { metadata: { name: "web" }, spec: { replicas: 1 } };
    assert.match(
      (await releaseCommand(w.api(), w.reads(), "10.9.0.8", { dryRun: true })).table(),
      /^would release/,
    );
    w.sts = { metadata: { name: "web" }, spec: { replicas: 3 } };
    assert.match(
      (
        await releaseCommand(w.api(), w.reads(), "10.9.0.8", { dryRun: false, force: true })
      ).table(),
      /--force/,
    );
  });

  describe("--from-report", () => {
    const leak = (rv: string, uid = "claim-10.9.0.8") => ({
      address: "10.9.0.8",
      pool: "a",
      claim: { name: "10.9.0.8", uid, resourceVersion: rv },
    });
    const results = (r: { body: Readonly<Record<string, unknown>> }) =>
      (r.body.items as { result: string; reason: string }[]).map(i => i.result);

    it("releases a reported leak that is unchanged, with the report's UID and resourceVersion as preconditions", async () => {
      const w = new World();
      w.claim = stsClaim("5");
      const r = await releaseFromReport(w.api(), w.reads(), [leak("5")], false);
      assert.deepEqual(results(r), ["released"]);
      assert.equal(r.exit, 0);
      assert.deepEqual(w.deletes, [{ rv: "5", uid: "claim-10.9.0.8" }]);
      assert.equal(w.claim, undefined);
    });

    it("refuses a claim changed since the report (another resourceVersion or UID) without deleting, exit 1", async () => {
      for (const [reported, uid] of [
        ["4", "claim-10.9.0.8"],
        ["5", "another-uid"],
      ] as const) {
        const w = new World();
        w.claim = stsClaim("5");
        const r = await releaseFromReport(w.api(), w.reads(), [leak(reported, uid)], false);
        assert.deepEqual(results(r), ["refused"]);
        assert.match((r.body.items as { reason: string }[])[0]!.reason, /changed since the report/);
        assert.equal(r.exit, 1);
        assert.deepEqual(w.deletes, []);
        assert.ok(w.claim);
      }
    });

    it("refuses a reported claim whose Pod came back alive, and says gone for one already deleted", async () => {
      const w = new World();
      w.claim = stsClaim("5");
      w.pods.set("web-1", pod("web-1", "u1"));
      const r = await releaseFromReport(w.api(), w.reads(), [leak("5")], false);
      assert.deepEqual(results(r), ["refused"]);
      assert.deepEqual(w.deletes, []);
      w.claim = undefined;
      const gone = await releaseFromReport(w.api(), w.reads(), [leak("5")], false);
      assert.deepEqual(results(gone), ["gone"]);
      assert.equal(gone.exit, 0);
    });

    it("--dry-run deletes nothing", async () => {
      const w = new World();
      w.claim = stsClaim("5");
      const r = await releaseFromReport(w.api(), w.reads(), [leak("5")], true);
      assert.deepEqual(results(r), ["wouldRelease"]);
      assert.deepEqual(w.deletes, []);
    });
  });
});
