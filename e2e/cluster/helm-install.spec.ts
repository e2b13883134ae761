import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { assembleChart, parseRendered, peprChartDir } from "../../scripts/build-chart.js";
import { cachedBinary, run } from "../../scripts/helm-binary.js";
import { agentImageRef, peprControllerRef } from "./component-images.js";
import { imageParts, localNodeValues } from "./helm-install.js";
import { paths } from "./paths.js";
import { REAL_NODE_LABEL, type RealNode } from "./real-node.js";
import { socketOf } from "./spiderpool-install.js";

describe("cluster:up --install helm: the local node's values", function () {
  this.timeout(60_000);
  const node = {
    name: "real-1",
    layout: { dir: "/c/nodes/real-1", cniBinDir: "/c/nodes/real-1/cni-bin" },
  } as unknown as RealNode;

  it("splits an image reference into the chart's registry, repository and tag, and names one it cannot", () => {
    assert.deepEqual(imageParts("ghcr.io/pepr-spiderpool/spiderpool-agent:0.1.0-upgrade"), {
      registry: "ghcr.io",
      repository: "pepr-spiderpool/spiderpool-agent",
      tag: "0.1.0-upgrade",
    });
    assert.throws(() => imageParts("busybox:1.36"), /image busybox:1\.36 is not registry\//);
  });

  it("renders a DaemonSet on the real node alone, in its directories, and the Pepr pods there, on the images loaded into it", function () {
    const helm = cachedBinary("helm");
    if (!helm || !fs.existsSync(path.join(peprChartDir(), "Chart.yaml"))) this.skip();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "helm-node-"));
    try {
      const chart = assembleChart({ out: path.join(tmp, "spiderpool") });
      const values = path.join(tmp, "values.yaml");
      fs.writeFileSync(values, stringify(localNodeValues(node)));
      const a = imageParts(agentImageRef());
      const docs = parseRendered(
        run(helm, [
          ...["template", "spiderpool", chart, "-n", "kube-system", "-f", values],
          ...["--set", `spiderpoolAgent.image.registry=${a.registry}`],
          ...["--set", `spiderpoolAgent.image.repository=${a.repository}`],
        ]),
      ) as {
        kind: string;
        metadata: { name: string };
        spec?: {
          template: {
            spec: {
              nodeSelector?: Record<string, string>;
              tolerations?: unknown[];
              containers: { image: string }[];
              volumes?: { name: string; hostPath?: { path: string } }[];
            };
          };
        };
      }[];
      const ds = docs.find(d => d.kind === "DaemonSet")!.spec!.template.spec;
      assert.deepEqual(ds.nodeSelector, { [REAL_NODE_LABEL]: "true" });
      assert.equal(ds.containers[0]!.image, agentImageRef());
      assert.deepEqual(
        Object.fromEntries(
          ds.volumes!.filter(v => v.hostPath).map(v => [v.name, v.hostPath!.path]),
        ),
        {
          "spidernet-run": path.dirname(socketOf("real-1")),
          "spidernet-log": paths.logs,
          "cni-bin": "/c/nodes/real-1/cni-bin",
          netns: "/c/nodes/real-1/containerd/state/netns",
        },
      );
      const pepr = docs.filter(d => d.kind === "Deployment");
      assert.equal(pepr.length, 2);
      for (const d of pepr) {
        const s = d.spec!.template.spec;
        assert.deepEqual(s.nodeSelector, { [REAL_NODE_LABEL]: "true" }, d.metadata.name);
        assert.deepEqual(
          s.tolerations,
          [{ key: REAL_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }],
          d.metadata.name,
        );
        assert.equal(s.containers[0]!.image, peprControllerRef(), d.metadata.name);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
