import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ApiClient, KubeList, KubeObject } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import {
  assertLedgerAgrees,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
} from "../support/allocation-ledger.js";
import { exampleMistakes } from "../support/example-mistakes.js";
import { exampleObjects, exampleText } from "../support/examples.js";
import { apply, podEvents, waitRunning } from "../support/kube.js";
import { kubectlRefusal, refusalOf } from "../support/refusals.js";
import { waitFor } from "../support/wait-for.js";

interface Nad extends KubeObject {
  spec?: { config?: string };
}

const NS = "multus-config";
const SMCS = `/apis/spiderpool.spidernet.io/v2beta1/namespaces/${NS}/spidermultusconfigs`;
const NADS = `/apis/k8s.cni.cncf.io/v1/namespaces/${NS}/network-attachment-definitions`;

/** The default pool eth0 takes its address from; net1's comes from the SMC's `ippools`. */
const ETH0_POOL = `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: smc-eth0-v4}
spec: {subnet: 10.193.0.0/24, ips: ["10.193.0.10-10.193.0.29"], gateway: 10.193.0.1, default: true}
`;

/** The NAD text Spiderpool's controller writes for docs/examples/multus-config.yaml. */
const EXPECTED_CONFIG =
  '{"cniVersion":"0.3.1","name":"macvlan-net1","plugins":[' +
  '{"type":"macvlan","master":"eth0","mode":"bridge","mtu":0,"ipam":{"type":"spiderpool","default_ipv4_ippool":["smc-net1-v4"]}},' +
  '{"tunePodRoutes":true,"mode":"auto","type":"coordinator"}]}';

/**
 * SpiderMultusConfig (Spiderpool M00001–M00017, docs/usage/multus-config.md): the watcher writes
 * the NetworkAttachmentDefinition of the same name, keeps it as the SMC says (edit, deletion by
 * someone else), takes over a hand-written one with an Event, and leaves its deletion to the
 * garbage collector; admission refuses Spiderpool's mistakes with its texts, storing nothing; a
 * Pod attached through the generated NAD gets net1's address from the SMC's pool.
 * Addresses: 10.193.0.0/24 (eth0, a default pool while this suite runs), 10.194.0.0/24 (net1).
 */
describe("multus config: SpiderMultusConfig writes and owns its NetworkAttachmentDefinition", function () {
  const EXAMPLE = "multus-config.yaml";
  const pools = [
    ...exampleObjects(EXAMPLE)
      .filter(o => o.kind === "SpiderIPPool")
      .map(o => o.metadata.name),
    "smc-eth0-v4",
  ];
  let api: ApiClient;

  const getOrNone = async <T>(path: string): Promise<T | undefined> =>
    api.get<T>(path).catch((e: unknown) => {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw e;
    });
  const nad = (name: string) => getOrNone<Nad>(`${NADS}/${name}`);
  const smcUid = async (name: string) =>
    (await api.get<KubeObject>(`${SMCS}/${name}`)).metadata.uid;

  before(async () => {
    api = adminClient();
    await deleteNamespaceAndWait(api, NS).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    apply(exampleText(EXAMPLE));
    apply(ETH0_POOL);
  });
  // The eth0 pool is a cluster default pool: it must not outlive this suite.
  after(async () => {
    await deleteNamespaceAndWait(api, NS).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    api.close();
  });

  it("writes the NAD of the same name, Spiderpool's config byte for byte, controlled by the SMC", async () => {
    const written = await waitFor("NAD macvlan-net1 written", () => nad("macvlan-net1"), 30_000);
    assert.equal(written.spec?.config, EXPECTED_CONFIG);
    const uid = await smcUid("macvlan-net1");
    assert.deepEqual(
      written.metadata.ownerReferences?.map(r => `${r.kind}/${r.name}/${r.uid}/${r.controller}`),
      [`SpiderMultusConfig/macvlan-net1/${uid}/true`],
    );
  });

  it("stored the SMC with Spiderpool's defaults", async () => {
    const smc = await api.get<{ spec: Record<string, unknown> }>(`${SMCS}/macvlan-net1`);
    assert.equal(smc.spec.enableCoordinator, true);
    assert.equal(smc.spec.disableIPAM, false);
    assert.deepEqual(smc.spec.chainCNIJsonData, []);
    assert.deepEqual(smc.spec.macvlan, {
      master: ["eth0"],
      mtu: 0,
      vlanID: 0,
      rdmaResourceName: "",
      ippools: { ipv4: ["smc-net1-v4"] },
    });
    assert.equal((smc.spec.coordinator as { mode?: string }).mode, "auto");
  });

  it("gives a Pod attached through the generated NAD its net1 address from the SMC's pool", async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata:
  name: attached
  namespace: ${NS}
  labels: {app: smc-attached}
  annotations:
    k8s.v1.cni.cncf.io/networks: macvlan-net1
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: registry.invalid/pause}]
`);
    const [pod] = await waitRunning(api, NS, "app=smc-attached", 1);
    const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${pod!.metadata.uid}`);
    assert.deepEqual(claims.map(c => `${c.spec.interface}:${c.spec.pool}`).sort(), [
      "eth0:smc-eth0-v4",
      "net1:smc-net1-v4",
    ]);
    const nics = await assertLedgerAgrees(api, pod!);
    assert.match(nics.net1?.[0] ?? "", /^10\.194\.0\.\d+\/24$/);
  });

  it("accepts a master no node has, as Spiderpool does; the Pod's ADD then fails in macvlan", async () => {
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderMultusConfig
metadata: {name: missing-master, namespace: ${NS}}
spec:
  cniType: macvlan
  enableCoordinator: false
  macvlan: {master: ["no-such-if0"], ippools: {ipv4: ["smc-net1-v4"]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: on-missing-master
  namespace: ${NS}
  annotations:
    k8s.v1.cni.cncf.io/networks: missing-master
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: registry.invalid/pause}]
`);
    await waitFor("NAD missing-master written", () => nad("missing-master"), 30_000);
    const failure = await waitFor(
      "a failed sandbox event from macvlan",
      async () =>
        (await podEvents(api, NS, "on-missing-master")).find(e =>
          e.message.includes('plugin type="macvlan" failed (add): Link not found'),
        ),
      60_000,
    );
    // The macvlan plugin's own words for a master it cannot find; it does not name it.
    assert.equal(failure.reason, "FailedCreatePodSandBox");
    await api.delete(`/api/v1/namespaces/${NS}/pods/on-missing-master`).catch(() => undefined);
  });

  it("rewrites the NAD when the SMC is edited", async () => {
    await api.patch(`${SMCS}/macvlan-net1`, { spec: { macvlan: { mtu: 1450 } } }, "merge");
    const edited = await waitFor(
      "NAD macvlan-net1 with mtu 1450",
      async () => {
        const n = await nad("macvlan-net1");
        return n?.spec?.config?.includes('"mtu":1450') && n;
      },
      30_000,
    );
    // The update passes defaulting again, which now finds a coordinator block and fills its
    // txQueueLen: Spiderpool's NAD gains the same key after an edit.
    assert.equal(
      edited.spec?.config,
      EXPECTED_CONFIG.replace('"mtu":0', '"mtu":1450').replace(
        '{"tunePodRoutes"',
        '{"txQueueLen":0,"tunePodRoutes"',
      ),
    );
  });

  it("re-creates the NAD when someone deletes it", async () => {
    const before = (await nad("macvlan-net1"))!;
    await api.delete(`${NADS}/macvlan-net1`);
    const again = await waitFor(
      "NAD macvlan-net1 re-created",
      async () => {
        const n = await nad("macvlan-net1");
        return n && n.metadata.uid !== before.metadata.uid && n;
      },
      30_000,
    );
    assert.equal(again.spec?.config, before.spec?.config);
    assert.equal(again.metadata.ownerReferences?.[0]?.uid, await smcUid("macvlan-net1"));
  });

  it("takes over a hand-written NAD of its name and says so in an Event on the SMC", async () => {
    const handConfig = '{"cniVersion":"1.0.0","name":"hand-net","type":"macvlan","master":"eth0"}';
    await api.create(NADS, {
      apiVersion: "k8s.cni.cncf.io/v1",
      kind: "NetworkAttachmentDefinition",
      metadata: { name: "hand-net", namespace: NS, annotations: { "written-by": "hand" } },
      spec: { config: handConfig },
    });
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderMultusConfig
metadata: {name: hand-net, namespace: ${NS}}
spec:
  cniType: ipvlan
  enableCoordinator: false
  ipvlan: {master: ["eth0"]}
`);
    const uid = await smcUid("hand-net");
    const taken = await waitFor(
      "NAD hand-net controlled by its SMC",
      async () => {
        const n = await nad("hand-net");
        return n?.metadata.ownerReferences?.some(r => r.uid === uid && r.controller) && n;
      },
      30_000,
    );
    assert.equal(
      taken.spec?.config,
      '{"cniVersion":"0.3.1","name":"hand-net","plugins":[{"type":"ipvlan","master":"eth0","mtu":0,"ipam":{"type":"spiderpool"}}]}',
    );
    assert.equal(
      taken.metadata.annotations?.["written-by"],
      undefined,
      "the NAD's annotations are the SMC's",
    );
    const event = await waitFor(
      "takeover Event on SpiderMultusConfig hand-net",
      async () => {
        const l = await api.get<
          KubeList<{
            reason: string;
            message: string;
            involvedObject: { kind: string; name: string };
          }>
        >(`/api/v1/namespaces/${NS}/events`);
        return l.items.find(
          e =>
            e.involvedObject.kind === "SpiderMultusConfig" &&
            e.involvedObject.name === "hand-net" &&
            e.reason === "NetworkAttachmentDefinitionTakenOver",
        );
      },
      30_000,
    );
    assert.match(
      event.message,
      /took over the existing net-attach-def multus-config\/hand-net \(written by hand, no owner\)/,
    );
  });

  /** A refused CREATE: kubectl and a server-side dry run print the text, nothing is stored. */
  async function assertRefused(object: { metadata: { name: string } }, message: string) {
    const yaml = stringify(object);
    const printed = kubectlRefusal(["apply", "-f", "-"], yaml);
    assert.ok(printed.includes(message), `kubectl printed:\n${printed}\nexpected:\n${message}`);
    assert.equal(kubectlRefusal(["apply", "--dry-run=server", "-f", "-"], yaml), printed);
    const refused = await refusalOf(api.create(SMCS, object, { dryRun: "All" }));
    assert.equal(refused.status, 422, refused.message);
    assert.ok(refused.message.includes(message), refused.message);
    assert.equal(await getOrNone(`${SMCS}/${object.metadata.name}`), undefined, "stored anyway");
    assert.equal(await nad(object.metadata.name), undefined, "a NAD was written anyway");
  }

  describe("the documented mistakes (docs/examples/multus-config-mistakes.yaml)", () => {
    for (const m of exampleMistakes("multus-config-mistakes.yaml")) {
      it(`refuses ${m.object.metadata.name}`, () => assertRefused(m.object, m.error));
    }
  });

  it("refuses an SMC whose NAD another SMC owns, naming the owner", async () => {
    await assertRefused(
      {
        apiVersion: "spiderpool.spidernet.io/v2beta1",
        kind: "SpiderMultusConfig",
        metadata: {
          name: "second-writer",
          namespace: NS,
          annotations: { "multus.spidernet.io/cr-name": "macvlan-net1" },
        },
        spec: { cniType: "macvlan", macvlan: { master: ["eth0"] } },
      } as { metadata: { name: string } },
      `the net-attach-def ${NS}/macvlan-net1 already exists and is managed by SpiderMultusConfig ${NS}/macvlan-net1.`,
    );
  });

  it("refuses giving an SMC a NAD name later, and leaves it unchanged", async () => {
    const before = await api.get<KubeObject>(`${SMCS}/macvlan-net1`);
    const refused = await refusalOf(
      api.patch(
        `${SMCS}/macvlan-net1`,
        { metadata: { annotations: { "multus.spidernet.io/cr-name": "renamed" } } },
        "merge",
      ),
    );
    assert.equal(refused.status, 422);
    assert.ok(
      refused.message.includes(
        "it's unsupported to changed Multus net-attach-def 'macvlan-net1' to customized name 'renamed'",
      ),
      refused.message,
    );
    const after = await api.get<KubeObject>(`${SMCS}/macvlan-net1`);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it("deletes the NAD with its SMC (owner reference, garbage collector)", async () => {
    await api.delete(`${SMCS}/hand-net`);
    await waitFor("NAD hand-net gone", async () => (await nad("hand-net")) === undefined, 60_000);
  });
});
