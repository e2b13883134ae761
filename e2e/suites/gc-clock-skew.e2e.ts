import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import {
  adminClient,
  loadState,
  restartPeprWatcher,
  type ClusterState,
} from "../cluster/cluster.js";
import { apply, createNamespace, deleteNamespace, listPods, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean } from "../support/wire-audit.js";

/** The completed pods' grace period: their addresses go back this long after they finished. */
const GRACE_S = 20;
/** Until when, after the deadline, the release must have happened: the full-scan period (30 s) of the local cluster. */
const LATE_MS = 30_000;

/**
 * Grace deadlines are judged by the API server's clock, not the watcher host's
 * (docs/concepts/gc.md, "Whose clock"). The watcher is restarted with its clock 60 s ahead, then
 * 60 s behind (SPIDERPOOL_TEST_CLOCK_SKEW_MS); a completed pod whose CNI DEL was lost keeps its
 * address until `finishedAt + terminationGracePeriodSeconds` and loses it soon after. A watcher
 * that trusted its own clock would release at once (ahead) or a minute late (behind). The test
 * runs on the cluster's host, so its own clock is the API server's.
 */
describe("gc: deadlines follow the API server's clock while the watcher's is 60 s off", function () {
  const ns = `clock-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;

  const claims = async () =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
      })
    ).items;

  before(async function () {
    state = loadState()!;
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.184.0.0/24, ips: ["10.184.0.1-10.184.0.20"], gateway: 10.184.0.254}
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
    await restartPeprWatcher(state);
    await deleteNamespace(api, ns);
    await waitFor(
      `namespace ${ns} gone`,
      () =>
        api.get(`/api/v1/namespaces/${ns}`).then(
          () => false,
          () => true,
        ),
      120_000,
    ).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  for (const skewMs of [60_000, -60_000]) {
    const name = skewMs > 0 ? "ahead" : "behind";
    it(`watcher clock 60 s ${name}: a completed pod's address is kept until its grace period ends, and released after`, async function () {
      await restartPeprWatcher(state, { env: { SPIDERPOOL_TEST_CLOCK_SKEW_MS: String(skewMs) } });
      apply(`
apiVersion: v1
kind: Pod
metadata:
  name: job-${name}
  namespace: ${ns}
  labels: {app: job-${name}}
  annotations: {sim.spiderpool.io/exit-after-seconds: "2", sim.spiderpool.io/skip-cni-del: "true"}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: ${GRACE_S}
  containers: [{name: c, image: registry.invalid/pause}]
`);
      const [p] = await waitRunning(api, ns, `app=job-${name}`, 1);
      const claim = (await claims()).find(c => c.spec.podUID === p!.metadata.uid);
      assert.ok(claim, "the running pod has a claim");
      const finishedAt = await waitFor(
        "pod Succeeded",
        async () => {
          const [q] = await listPods(api, ns, `app=job-${name}`);
          const statuses =
            (
              q?.status as
                | { containerStatuses?: { state?: { terminated?: { finishedAt?: string } } }[] }
                | undefined
            )?.containerStatuses ?? [];
          const finished = statuses
            .map(s => s.state?.terminated?.finishedAt ?? "")
            .sort()
            .pop();
          return (q as Pod | undefined)?.status?.phase === "Succeeded" && finished
            ? Date.parse(finished)
            : undefined;
        },
        30_000,
      );
      const deadline = finishedAt + GRACE_S * 1000;
      // Until shortly before the deadline (the API server's time is this host's), the claim stays.
      let looks = 0;
      while (Date.now() < deadline - 2_000) {
        assert.ok(
          (await claims()).some(c => c.metadata.name === claim.metadata.name),
          `released ${((deadline - Date.now()) / 1000).toFixed(1)} s before its deadline`,
        );
        looks++;
        await new Promise(r => setTimeout(r, 500));
      }
      assert.ok(looks > 0, "the pod finished too late to look before its deadline");
      await waitFor(
        "claim released after the deadline",
        async () => !(await claims()).some(c => c.metadata.name === claim.metadata.name),
        deadline + LATE_MS - Date.now(),
        500,
      );
      await assertWireClean(api, state, `after the watcher's clock ran 60 s ${name}`);
    });
  }
});
