import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import {
  adminClient,
  loadState,
  restartAgent,
  restartPeprWatcher,
  type ClusterState,
} from "../cluster/cluster.js";
import { paths } from "../cluster/paths.js";
import { confPath } from "../cluster/spiderpool-install.js";
import { apply, createNamespace, listPods, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean } from "../support/wire-audit.js";
import { deleteNamespaceAndWait } from "../support/allocation-ledger.js";

/** How long a decided release is held (SPIDERPOOL_TEST_GC_DELAY_MS): room for ordinal 2 to come back. */
const HOLD_MS = 25_000;
/** A hold no release outlasts within a test: that path cannot act first. */
const NEVER_MS = 10 * 60_000;

interface LogLine {
  msg?: string;
  pod?: string;
  podUID?: string;
  claim?: string;
}

/** The JSON lines a daemon logged since `from` (a byte offset of its log file). */
function logSince(name: string, from: number): LogLine[] {
  const file = paths.log(name);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file)
    .subarray(from)
    .toString("utf8")
    .split("\n")
    .flatMap(l => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}
const logEnd = (name: string) =>
  fs.existsSync(paths.log(name)) ? fs.statSync(paths.log(name)).size : 0;

/**
 * A StatefulSet flaps 3→2→3 while a decided release of ordinal 2's address is in flight
 * (docs/concepts/fault-model.md, "What never means"). Ordinal 2 loses its CNI DEL, so only GC can
 * release its claim. On a Ready node that is first the node's agent, once it confirms no sandbox
 * holds the address (docs/concepts/gc.md, "Ready nodes: the agent confirms"); the watcher's GC
 * only after `gc.readyNodeReleaseAfterSeconds`. Each path is held in turn by
 * SPIDERPOOL_TEST_GC_DELAY_MS after it decided (the ordinal is no longer wanted) while the
 * StatefulSet scales back and the new ordinal 2 takes the claim over. The delete is conditioned on
 * the resourceVersion judged, so it must lose: the new incarnation keeps the address, with exactly
 * one claim, and the wire shows one holder.
 */
describe("gc: StatefulSet flapping 3→2→3 while a GC release is in flight", function () {
  this.timeout(6 * 60_000);
  const ns = `stsflap-${Date.now().toString(36)}`;
  const fastConf = path.join(path.dirname(confPath), `conf-${ns}.yml`);
  let api: ApiClient;
  let state: ClusterState;
  const heldAgents = new Set<string>();
  let watcherHeld = false;

  const claimsOf = async (podName: string) =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
      })
    ).items.filter(c => c.spec.podName === podName);
  const statefulSet = (name: string, replicas: number) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  serviceName: ${name}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: {sim.spiderpool.io/skip-cni-del: "true"}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`;
  const scale = (name: string, replicas: number) =>
    api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`, { spec: { replicas } });

  before(async function () {
    state = loadState()!;
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.188.0.0/24, ips: ["10.188.0.1-10.188.0.10"], gateway: 10.188.0.254}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([ns]) },
    );
  });

  after(async function () {
    if (!api) return;
    for (const node of heldAgents) await restartAgent(state, node);
    if (watcherHeld) await restartPeprWatcher(state);
    fs.rmSync(fastConf, { force: true });
    for (const name of ["db", "dbw"]) await scale(name, 0).catch(() => undefined);
    await waitFor(
      "StatefulSet Pods gone",
      async () => (await listPods(api, ns)).length === 0,
      60_000,
    ).catch(() => undefined);
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  /**
   * Runs StatefulSet `name` with 3 replicas, lets `hold` set up the held release for ordinal 2's
   * node, flaps 3→2→3 and checks the outcome. `log` is the daemon whose release is under test,
   * `held`/`released` recognise its log lines for the old incarnation.
   */
  async function flap(
    name: string,
    hold: (node: string) => Promise<void>,
    log: (node: string) => string,
    lines: { held: string; released: (l: LogLine) => boolean },
  ): Promise<void> {
    apply(statefulSet(name, 3));
    const pods = await waitRunning(api, ns, `app=${name}`, 3, 120_000);
    const old = pods.find(p => p.metadata.name === `${name}-2`)!;
    const node = old.spec.nodeName!;
    const address = old.status!.podIPs![0]!.ip;
    const [claim] = await claimsOf(`${name}-2`);
    assert.ok(
      claim &&
        claim.spec.static &&
        claim.spec.podUID === old.metadata.uid &&
        claim.spec.address === address,
      `${name}-2 runs with a static claim of its address`,
    );
    await hold(node);
    const from = logEnd(log(node));
    const watcherFrom = logEnd("pepr-watcher");
    const agentFrom = logEnd(`agent-${node}`);
    const lineOf = () => logSince(log(node), from);
    const refused = (l: LogLine) =>
      Boolean(
        l.msg?.includes("claim changed since it was judged") &&
          l.claim === claim.metadata.name &&
          l.podUID === old.metadata.uid,
      );
    const released = (l: LogLine) => lines.released(l) && l.pod === `${ns}/${name}-2`;

    // 3 → 2: ordinal 2 goes without a CNI DEL, and the path under test decides to release its claim.
    await scale(name, 2);
    await waitFor(
      `the release of ${name}-2's claim held in flight`,
      async () => lineOf().some(l => l.msg?.includes(lines.held) && l.podUID === old.metadata.uid),
      90_000,
      200,
    );

    // 2 → 3 while the decision is held: the new ordinal 2 takes the claim over.
    await scale(name, 3);
    const fresh = await waitFor(
      `a new ${name}-2 Running`,
      async () =>
        (await listPods(api, ns, `app=${name}`)).find(
          (p: Pod) =>
            p.metadata.name === `${name}-2` &&
            p.metadata.uid !== old.metadata.uid &&
            p.status?.phase === "Running" &&
            p.status.podIPs?.length,
        ),
      HOLD_MS,
      200,
    );
    assert.deepEqual(
      lineOf().filter(l => refused(l) || released(l)),
      [],
      "the held release finished before the new incarnation came back: the test did not see the race",
    );

    // The held decision runs out: its delete must lose, and nothing may release the new claim.
    await waitFor(
      `the held decision on the old ${name}-2 carried out`,
      async () => lineOf().some(l => refused(l) || released(l)),
      HOLD_MS + 30_000,
      500,
    );
    await new Promise(r => setTimeout(r, 3_000)); // the old UID is judged again from what is there now
    const anyRelease = [
      ...logSince("pepr-watcher", watcherFrom),
      ...logSince(`agent-${node}`, agentFrom),
    ].filter(
      l =>
        (l.msg === "IP GC released addresses" || l.msg === "released") &&
        l.pod === `${ns}/${name}-2`,
    );
    assert.deepEqual(anyRelease, [], `${name}-2's address was released`);
    const now = await claimsOf(`${name}-2`);
    assert.equal(
      now.length,
      1,
      `exactly one claim for ${name}-2, got ${now.map(c => `${c.spec.address} (${c.spec.podUID})`).join(", ")}`,
    );
    assert.equal(now[0]!.metadata.uid, claim.metadata.uid, "the same claim object, taken over");
    assert.equal(now[0]!.spec.podUID, fresh.metadata.uid, "the claim names the new incarnation");
    assert.deepEqual(
      fresh.status!.podIPs!.map(p => p.ip),
      [address],
      `the new ${name}-2 keeps its address`,
    );
    assert.ok(
      lineOf().some(refused),
      "the held delete was refused as changed (the race the test is about)",
    );
    const live = (await listPods(api, ns, `app=${name}`)).find(
      p => p.metadata.name === `${name}-2`,
    );
    assert.equal(
      live?.metadata.uid,
      fresh.metadata.uid,
      `${name}-2 still runs as the new incarnation`,
    );
    await assertWireClean(
      api,
      state,
      `after StatefulSet ${name} flapped 3→2→3 with a release in flight`,
    );
  }

  it("the agent's confirmed release, held in flight, loses to the new db-2: one claim, same address", async function () {
    await flap(
      "db",
      async node => {
        heldAgents.add(node);
        await restartAgent(state, node, { env: { SPIDERPOOL_TEST_GC_DELAY_MS: String(HOLD_MS) } });
      },
      node => `agent-${node}`,
      { held: "held back by SPIDERPOOL_TEST_GC_DELAY_MS", released: l => l.msg === "released" },
    );
  });

  it("the watcher's IP GC release after gc.readyNodeReleaseAfterSeconds, held in flight, loses to the new dbw-2", async function () {
    // The agent's own release of ordinal 2 is held past the test, so only the watcher can act; its
    // bound on Ready nodes is 1 s instead of 600 so it acts at all.
    fs.writeFileSync(
      fastConf,
      fs
        .readFileSync(confPath, "utf8")
        .replace(/^gc:\n/m, "gc:\n  readyNodeReleaseAfterSeconds: 1\n"),
    );
    assert.match(
      fs.readFileSync(fastConf, "utf8"),
      /^gc:\n {2}readyNodeReleaseAfterSeconds: 1\n/m,
      "the watcher's conf copy sets the bound",
    );
    await flap(
      "dbw",
      async node => {
        heldAgents.add(node);
        await restartAgent(state, node, { env: { SPIDERPOOL_TEST_GC_DELAY_MS: String(NEVER_MS) } });
        watcherHeld = true;
        await restartPeprWatcher(state, {
          env: { SPIDERPOOL_TEST_GC_DELAY_MS: String(HOLD_MS), SPIDERPOOL_CONFIG_PATH: fastConf },
        });
      },
      () => "pepr-watcher",
      {
        held: "IP GC: release decided, held back by SPIDERPOOL_TEST_GC_DELAY_MS",
        released: l => l.msg === "IP GC released addresses",
      },
    );
  });
});
