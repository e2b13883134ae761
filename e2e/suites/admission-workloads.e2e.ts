import assert from "node:assert/strict";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import {
  adminClient,
  loadState,
  startPeprAdmissionAgain,
  stopPeprAdmission,
  type ClusterState,
} from "../cluster/cluster.js";
import { apply, createNamespace } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { deleteNamespaceAndWait } from "./autopool-checks.js";

interface Event {
  type: string;
  reason: string;
  message: string;
}

/**
 * Malformed IPAM annotations on a workload's Pod template are refused at `kubectl apply`, for each
 * of the six kinds, with the text the auto-pool controller gives in its Warning Event; the
 * webhook entry fails open, so with the admission process down workloads are still created (and
 * the controller then reports the same text). docs/usage/subnet-auto-pool.md.
 */
describe("admission: workload IPAM annotations", function () {
  const ns = "admission-workloads";
  const subnet = "admission-wl-v4";
  let api: ApiClient;
  let state: ClusterState;

  // No Pod of these objects ever runs: 0 replicas, suspended jobs, a DaemonSet for no node.
  // The Pod template at `pad` spaces of indentation.
  const template = (
    name: string,
    annotations: Record<string, string>,
    pad: number,
    restartPolicy = "Always",
  ) =>
    [
      "metadata:",
      `  labels: {app: ${name}}`,
      `  annotations: ${JSON.stringify(annotations)}`,
      "spec:",
      `  restartPolicy: ${restartPolicy}`,
      '  nodeSelector: {admission-workloads/none: "true"}',
      "  containers: [{name: c, image: registry.invalid/pause}]",
    ]
      .map(l => " ".repeat(pad) + l)
      .join("\n");
  const head = (apiVersion: string, kind: string, name: string) =>
    `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n`;
  const objects: Record<string, (name: string, a: Record<string, string>) => string> = {
    Deployment: (n, a) =>
      `${head("apps/v1", "Deployment", n)}  replicas: 0\n  selector: {matchLabels: {app: ${n}}}\n  template:\n${template(n, a, 4)}\n`,
    ReplicaSet: (n, a) =>
      `${head("apps/v1", "ReplicaSet", n)}  replicas: 0\n  selector: {matchLabels: {app: ${n}}}\n  template:\n${template(n, a, 4)}\n`,
    StatefulSet: (n, a) =>
      `${head("apps/v1", "StatefulSet", n)}  replicas: 0\n  serviceName: ${n}\n  selector: {matchLabels: {app: ${n}}}\n  template:\n${template(n, a, 4)}\n`,
    DaemonSet: (n, a) =>
      `${head("apps/v1", "DaemonSet", n)}  selector: {matchLabels: {app: ${n}}}\n  template:\n${template(n, a, 4)}\n`,
    Job: (n, a) =>
      `${head("batch/v1", "Job", n)}  suspend: true\n  template:\n${template(n, a, 4, "Never")}\n`,
    CronJob: (n, a) =>
      `${head("batch/v1", "CronJob", n)}  schedule: "0 0 1 1 *"\n  suspend: true\n  jobTemplate:\n    spec:\n      template:\n${template(n, a, 8, "Never")}\n`,
  };
  const S = "ipam.spidernet.io/subnet";
  // [case, annotations, the annotation the refusal must name, what it must say]
  const malformed: Array<[string, Record<string, string>, string, RegExp]> = [
    ["json", { [S]: '{"ipv4": ["x"' }, S, /failed to parse anntation 'ipam.spidernet.io\/subnet'/],
    [
      "subnets",
      { "ipam.spidernet.io/subnets": "[]" },
      "ipam.spidernet.io/subnets",
      /no subnets specified/,
    ],
    [
      "number",
      { [S]: `{"ipv4": ["${subnet}"]}`, "ipam.spidernet.io/ippool-ip-number": "three" },
      "ipam.spidernet.io/ippool-ip-number",
      /invalid input 'three'/,
    ],
    [
      "reclaim",
      { [S]: `{"ipv4": ["${subnet}"]}`, "ipam.spidernet.io/ippool-reclaim": "sometimes" },
      "ipam.spidernet.io/ippool-reclaim",
      /ParseBool/,
    ],
    [
      "ippool",
      { "ipam.spidernet.io/ippool": "{" },
      "ipam.spidernet.io/ippool",
      /invalid format of Pod annotation/,
    ],
    [
      "ippools",
      { "ipam.spidernet.io/ippools": '{"ipv4": ["p"]}' },
      "ipam.spidernet.io/ippools",
      /invalid format of Pod annotation/,
    ],
  ];
  const wellFormed = {
    [S]: `{"ipv4": ["${subnet}"]}`,
    "ipam.spidernet.io/ippool-ip-number": "+1",
    "ipam.spidernet.io/ippool-reclaim": "false",
  };
  const denials = new Map<string, string>();

  before(async () => {
    api = adminClient();
    state = loadState()!;
    apply(
      `apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderSubnet\nmetadata: {name: ${subnet}}\nspec: {subnet: 10.154.0.0/16, ips: ["10.154.1.1-10.154.1.50"]}\n`,
    );
    await createNamespace(api, ns);
  });
  after(async () => {
    await startPeprAdmissionAgain(state).catch(() => undefined);
    await deleteNamespaceAndWait(api, ns);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spidersubnets/${subnet}`)
      .catch(() => undefined);
    api.close();
  });

  for (const kind of Object.keys(objects)) {
    it(`${kind}: each malformed annotation is refused at kubectl apply, naming it; nothing is stored`, async () => {
      for (const [c, annotations, annotation, says] of malformed) {
        const name = `${kind.toLowerCase()}-${c}`;
        const err = (() => {
          try {
            apply(objects[kind]!(name, annotations));
          } catch (e) {
            return (e as Error).message;
          }
          return undefined;
        })();
        assert.ok(err !== undefined, `${kind} ${c}: apply must be refused`);
        assert.match(err, /denied the request/, err);
        assert.ok(err.includes(annotation), `${kind} ${c}: must name ${annotation}: ${err}`);
        assert.match(err, says, err);
        if (kind === "Deployment") denials.set(c, err);
        const path = `/apis/${kind === "Job" || kind === "CronJob" ? "batch" : "apps"}/v1/namespaces/${ns}/${kind.toLowerCase()}s`;
        const stored = await api.get<KubeList<{ metadata: { name: string } }>>(path);
        assert.ok(
          !stored.items.some(o => o.metadata.name === name),
          `${kind} ${c} must not be stored`,
        );
      }
    });

    it(`${kind}: well-formed annotations are accepted; a later malformed edit of them is refused`, async () => {
      const name = `${kind.toLowerCase()}-good`;
      apply(objects[kind]!(name, wellFormed));
      assert.throws(
        () =>
          apply(
            objects[kind]!(name, { ...wellFormed, "ipam.spidernet.io/ippool-ip-number": "+x" }),
          ),
        /ipam.spidernet.io\/ippool-ip-number/,
      );
    });
  }

  it("with the admission process down, workloads are still created; the controller then reports the text the webhook gave", async function () {
    this.timeout(180_000);
    await stopPeprAdmission(state);
    try {
      apply(objects.Deployment!("down-good", wellFormed));
      apply(objects.Deployment!("down-number", malformed[2]![1]));
      apply(objects.CronJob!("down-cron", malformed[0]![1]));
    } finally {
      await startPeprAdmissionAgain(state);
    }
    const refusedWith = denials.get("number");
    assert.ok(refusedWith, "the Deployment case ran first and was refused");
    const ev = await waitFor(
      "Warning Event on Deployment down-number",
      async () => {
        const l = await api.get<KubeList<Event>>(`/api/v1/namespaces/${ns}/events`, {
          fieldSelector: "involvedObject.name=down-number,involvedObject.kind=Deployment",
        });
        return l.items.find(e => e.type === "Warning" && e.reason === "AutoPoolInvalidAnnotation");
      },
      60_000,
    );
    assert.ok(
      refusedWith.endsWith(ev.message),
      `the webhook's text must be the controller's:\n  webhook: ${refusedWith}\n  event:   ${ev.message}`,
    );
    // Back up, an edit that leaves the old problem as it was is not refused: a workload admitted
    // while the webhook was down is never stuck (Kubernetes' controllers update it too).
    const scaled = apply(
      objects.Deployment!("down-number", malformed[2]![1]).replace(
        "replicas: 0",
        "replicas: 0\n  minReadySeconds: 1",
      ),
    );
    assert.match(scaled, /configured/);
  });
});
