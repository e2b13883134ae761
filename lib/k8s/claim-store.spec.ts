/**
 * The claim CREATE protocol against the in-memory API server (lib/testing/memory-api.ts), which
 * can commit a CREATE and lose its reply: a lost reply leaves exactly one claim, which the retry adopts; anyone else's claim is
 * "taken". The real API server and a proxy that drops the reply: e2e/suites/lost-create-reply.e2e.ts.
 */
import assert from "node:assert/strict";
import type { Stored } from "./api-client.js";
import { claimAddress, CLAIMS_PATH } from "./claim-store.js";
import { K8sError } from "./k8s-error.js";
import { claimName, type ClaimSpec, type IPClaim } from "../schemas/ip-claim.js";
import { isOwnClaim } from "../core/lifecycle/claim-ownership.js";
import { MemoryApi } from "../testing/memory-api.js";

const spec = (over: Partial<ClaimSpec> = {}): ClaimSpec => ({
  address: "10.0.0.5",
  ipVersion: 4,
  pool: "p",
  podNamespace: "ns",
  podName: "a",
  podUID: "uid-a",
  interface: "eth0",
  node: "n1",
  containerID: "c0ffee",
  ...over,
});
const VALUE = 0x0a000005n;
const NAME = claimName(4, VALUE);

const timedOut = () =>
  new K8sError("timeout", 0, "ClientTimeout", "POST ipclaims: no complete answer");
const hungUp = () => new K8sError("unavailable", 0, "ECONNRESET", "POST ipclaims: socket hang up");
/** `n` CREATEs commit and then fail as a cut connection would. */
const loseReplies = (api: MemoryApi, n: number) =>
  api.failNext("POST", CLAIMS_PATH, hungUp(), true, n);
/** `n` CREATEs fail without committing (the request never reached the server). */
const failBefore = (api: MemoryApi, n: number) =>
  api.failNext("POST", CLAIMS_PATH, timedOut(), false, n);
const creates = (api: MemoryApi) => api.calls.filter(c => c === `POST ${CLAIMS_PATH}`).length;
const claims = (api: MemoryApi) => api.all<Stored<IPClaim>>(CLAIMS_PATH);

const noSleep = async () => undefined;
const run = (api: MemoryApi, s = spec(), attempts?: number) =>
  claimAddress(api, s, VALUE, { sleep: noSleep, random: () => 0.5, attempts });

describe("claimAddress: CREATE with lost replies and conflicts", () => {
  it("creates the claim when the address is free", async () => {
    const api = new MemoryApi();
    const r = await run(api);
    assert.ok(r !== "taken");
    assert.equal(r.adopted, false);
    assert.equal(r.claim.spec.podUID, "uid-a");
    assert.equal(claims(api).length, 1);
  });

  it("a CREATE that committed while its reply was lost is adopted: exactly one claim", async () => {
    const api = new MemoryApi();
    loseReplies(api, 1);
    const r = await run(api);
    assert.ok(r !== "taken", "our own committed claim must not count as taken");
    assert.equal(r.adopted, true);
    assert.equal(r.claim.metadata.name, NAME);
    assert.equal(claims(api).length, 1);
    assert.equal(creates(api), 2);
  });

  it("a CREATE that timed out before reaching the server is repeated for the same address", async () => {
    const api = new MemoryApi();
    failBefore(api, 2);
    const r = await run(api);
    assert.ok(r !== "taken");
    assert.equal(r.adopted, false);
    assert.deepEqual(
      claims(api).map(c => c.metadata.name),
      [NAME],
    );
  });

  it("another Pod's claim is taken and left alone", async () => {
    const api = new MemoryApi();
    await run(api, spec({ podUID: "uid-b", podName: "b" }));
    assert.equal(await run(api), "taken");
    assert.equal(api.peek<Stored<IPClaim>>(`${CLAIMS_PATH}/${NAME}`)?.spec.podUID, "uid-b");
  });

  it("the same Pod's claim for another NIC, or another incarnation of the same name, is taken", async () => {
    const api = new MemoryApi();
    await run(api, spec({ interface: "net1" }));
    assert.equal(await run(api), "taken");
    const api2 = new MemoryApi();
    await run(api2, spec({ podUID: "uid-old" }));
    assert.equal(await run(api2), "taken");
  });

  it("an outcome that stays unknown is thrown, never settled by claiming elsewhere", async () => {
    const api = new MemoryApi();
    failBefore(api, 10);
    await assert.rejects(
      run(api, spec(), 3),
      (e: unknown) => e instanceof K8sError && e.code === "timeout",
    );
    assert.equal(creates(api), 3);
    assert.equal(claims(api).length, 0);
  });

  it("a refusal that is not about the outcome (403) is thrown at once", async () => {
    const api = new MemoryApi();
    api.failNext("POST", CLAIMS_PATH, new K8sError("forbidden", 403, "Forbidden", "no"));
    await assert.rejects(run(api), (e: unknown) => e instanceof K8sError && e.code === "forbidden");
    assert.equal(creates(api), 1);
  });
});

describe("isOwnClaim", () => {
  const h = { podUID: "u", podNamespace: "ns", podName: "a", interface: "eth0" };
  it("needs UID, namespace, name and NIC to match", () => {
    assert.equal(isOwnClaim(h, h), true);
    for (const k of Object.keys(h) as (keyof typeof h)[])
      assert.equal(isOwnClaim({ ...h, [k]: "other" }, h), false, k);
  });
  it("an empty UID never matches", () => {
    assert.equal(isOwnClaim({ ...h, podUID: "" }, { ...h, podUID: "" }), false);
  });

  describe("after a 409, the watch asked first", () => {
    const reads = (api: MemoryApi) => api.calls.filter(c => c === `GET ${CLAIMS_PATH}/${NAME}`);

    it("a claim the watch shows as another Pod's is taken without a GET", async () => {
      const api = new MemoryApi();
      await run(api, spec({ podUID: "uid-b", podName: "b" }));
      const asked: string[] = [];
      const r = await claimAddress(api, spec(), VALUE, {
        sleep: noSleep,
        watched: async name => {
          asked.push(name);
          return { spec: spec({ podUID: "uid-b", podName: "b" }) };
        },
      });
      assert.equal(r, "taken");
      assert.deepEqual(asked, [NAME]);
      assert.deepEqual(reads(api), [], "no GET after the watch named the winner");
    });

    it("a claim the watch has not shown yet is read with a GET", async () => {
      const api = new MemoryApi();
      await run(api, spec({ podUID: "uid-b", podName: "b" }));
      const r = await claimAddress(api, spec(), VALUE, {
        sleep: noSleep,
        watched: async () => undefined,
      });
      assert.equal(r, "taken");
      assert.equal(reads(api).length, 1);
    });

    it("our own claim in the watch is adopted from the API server's copy, never taken", async () => {
      const api = new MemoryApi();
      loseReplies(api, 1);
      const r = await claimAddress(api, spec(), VALUE, {
        sleep: noSleep,
        random: () => 0.5,
        watched: async () => ({ spec: spec() }),
      });
      assert.ok(r !== "taken");
      assert.equal(r.adopted, true);
      assert.equal(reads(api).length, 1);
      assert.equal(claims(api).length, 1);
    });
  });
});
