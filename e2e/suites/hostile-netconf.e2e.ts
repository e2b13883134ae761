import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import { clusterDir } from "../cluster/paths.js";
import { pluginDirs, socketOf } from "../cluster/spiderpool-install.js";
import { agentRequest } from "../support/agent-socket.js";
import { claimsOf, deleteNamespaceAndWait, deletePools } from "../support/allocation-ledger.js";
import { apply, createNamespace, listPods, podEvents } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * What a NetworkAttachmentDefinition author cannot do to a node (docs/security.md, "What a netconf
 * cannot do"): make the plugin, root on the host, write or rotate a file outside the node's plugin
 * log directory, or talk to a socket outside its run directory. Real Pods on the local cluster, the
 * real macvlan plugin calling our shim; the victims are files and a listening socket outside both.
 */
describe("hostile netconf: the plugin writes and connects only inside the node's directories", function () {
  const ns = "hostile-netconf";
  const NODE = "node-1";
  let api: ApiClient;
  let outside: string;
  let victim: string;
  let foreignSocket: string;
  let foreign: net.Server;
  let connections = 0;

  /** Everything a write, rename or prune of the victim would change. */
  const seen = () => {
    const st = fs.statSync(victim);
    return {
      content: fs.readFileSync(victim, "utf8"),
      ino: st.ino,
      mtimeMs: st.mtimeMs,
      names: fs.readdirSync(outside).sort(),
    };
  };

  const nad = (name: string, ipam: Record<string, unknown>) => `
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: ${name}, namespace: ${ns}}
spec:
  config: '${JSON.stringify({ cniVersion: "1.0.0", name, type: "macvlan", master: "eth0", mode: "bridge", ipam: { type: "spiderpool", ...ipam } })}'
`;
  const pod = (name: string, network: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  annotations:
    k8s.v1.cni.cncf.io/networks: ${network}
    # Each NIC's own ADD takes its address from this pool (not the multi-NIC form, which would
    # allocate net1 during eth0's ADD); no gateway, so the two NICs get no competing default routes.
    ipam.spidernet.io/ippool: '{"ipv4": ["hostile-v4"]}'
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`;

  before(async () => {
    api = adminClient();
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-netconf-"));
    victim = path.join(outside, "victim.log");
    fs.writeFileSync(victim, "precious\n".repeat(300));
    fs.utimesSync(victim, 1_000_000, 1_000_000);
    // An older "backup" of the victim: what rotation's pruning would have deleted.
    fs.writeFileSync(path.join(outside, "victim-2000-01-01T00-00-00.000.log"), "older");
    foreignSocket = path.join(outside, "foreign.sock");
    foreign = net.createServer(c => {
      connections++;
      c.destroy();
    });
    await new Promise<void>(resolve => foreign.listen(foreignSocket, resolve));
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: hostile-v4}
spec: {subnet: 10.131.0.0/24, ips: ["10.131.0.10-10.131.0.29"]}
`);
    await createNamespace(api, ns);
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, ["hostile-v4"]).catch(() => undefined);
    await new Promise(resolve => foreign.close(resolve));
    fs.rmSync(outside, { recursive: true, force: true });
    api.close();
  });

  const cases = (): Array<[string, Record<string, unknown>, string, string]> => [
    [
      "log-elsewhere",
      { log_file_path: victim, log_file_max_size: 1, log_file_max_count: 1 },
      "ipam.log_file_path",
      `must be a file below the node's plugin log directory ${pluginDirs.logDir}, got ${JSON.stringify(victim)}`,
    ],
    [
      "log-dotdot",
      { log_file_path: `${pluginDirs.logDir}/${path.relative(pluginDirs.logDir, victim)}` },
      "ipam.log_file_path",
      "must be a file below the node's plugin log directory",
    ],
    [
      "log-fraction",
      { log_file_max_size: 0.000001 },
      "ipam.log_file_max_size",
      "ipam.log_file_max_size: expected int, got 0.000001",
    ],
    [
      "socket-foreign",
      { ipam_unix_socket_path: foreignSocket },
      "ipam.ipam_unix_socket_path",
      `must be a socket below the node's run directory ${pluginDirs.runDir}, got ${JSON.stringify(foreignSocket)}`,
    ],
    [
      "timeout-huge",
      { timeout_seconds: 1e300 },
      "ipam.timeout_seconds",
      "expected a whole number of seconds from 1 to 600, got 1e+300",
    ],
  ];

  it("refuses each hostile attachment at ADD with the field named: the Pod stays Pending, nothing for that NIC, no file outside touched", async () => {
    const before = seen();
    const all = cases();
    apply(all.map(([name, ipam]) => nad(name, ipam) + "---" + pod(name, name)).join("---"));
    for (const [name, , field, text] of all) {
      const ev = await waitFor(
        `FailedCreatePodSandBox on ${name}`,
        async () =>
          (await podEvents(api, ns, name)).find(e => e.reason === "FailedCreatePodSandBox"),
        60_000,
      );
      assert.ok(
        ev.message.includes(`failed to load CNI network configuration: ${field}: `),
        `${name}: ${ev.message}`,
      );
      assert.ok(ev.message.includes(text), `${name}: ${ev.message}\nshould contain\n${text}`);
      const p = (await listPods(api, ns)).find(x => x.metadata.name === name)!;
      assert.equal(p.status?.phase, "Pending", name);
      // eth0 (the node's network) may hold its address while the runtime retries. net1 would hold
      // one had its ADD reached the agent (the control below shows it would).
      const net1 = (await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`)).filter(
        c => c.spec.interface === "net1",
      );
      assert.deepEqual(net1, [], `${name}: no address for the refused attachment`);
    }
    assert.deepEqual(seen(), before, "the victim and its directory are untouched");
    assert.equal(connections, 0, "nothing connected to the foreign socket");
  });

  it("control: the same attachment without the hostile field starts, with an address for net1", async () => {
    apply(
      nad("benign", {
        log_file_path: path.join(pluginDirs.logDir, "hostile-netconf-benign.log"),
        log_file_max_size: 1,
        timeout_seconds: 600,
      }) +
        "---" +
        pod("benign", "benign"),
    );
    const running = await waitFor(
      "benign Running",
      async () => {
        const p = (await listPods(api, ns)).find(x => x.metadata.name === "benign");
        return p?.status?.phase === "Running" && p;
      },
      90_000,
    ).catch(async (e: Error) => {
      throw new Error(
        `${e.message}; events: ${JSON.stringify((await podEvents(api, ns, "benign")).map(x => x.message))}`,
      );
    });
    const net1 = (await claimsOf(api, `${CLAIM_LABELS.podUid}=${running.metadata.uid}`)).filter(
      c => c.spec.interface === "net1",
    );
    assert.equal(
      net1.length,
      1,
      "the hostile cases would have shown a net1 claim had they reached the agent",
    );
    assert.ok(
      fs.statSync(path.join(pluginDirs.logDir, "hostile-netconf-benign.log")).size > 0,
      "the plugin logged where the netconf said, inside the directory",
    );
  });

  it("the agent refuses the same netconfs when the exec shim hands them over (its own directories, not the netconf's)", async () => {
    const before = seen();
    for (const [name, ipam, field] of cases()) {
      // The node's real socket, so the shim's call is run by the agent; only the hostile field differs.
      const netconf = {
        cniVersion: "1.0.0",
        name,
        ipam: { type: "spiderpool", ipam_unix_socket_path: socketOf(NODE), ...ipam },
      };
      if (field === "ipam.ipam_unix_socket_path")
        netconf.ipam.ipam_unix_socket_path = foreignSocket;
      const env = {
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "c0ffee",
        CNI_NETNS: "/run/netns/none",
        CNI_IFNAME: "net1",
        CNI_PATH: "/opt/cni/bin",
        CNI_ARGS: `K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${name}`,
      };
      const stdin = JSON.stringify(netconf);
      const r = await agentRequest(NODE, "POST", "/v1/cni/exec", {
        env,
        stdin: Buffer.from(stdin).toString("base64"),
      });
      assert.equal(r.status, 200, r.body);
      const result = JSON.parse(r.body) as { exitCode: number; stdout: string };
      const error = JSON.parse(result.stdout) as { code: number; details: string };
      assert.deepEqual(
        [result.exitCode, error.code, error.details],
        [1, 7, field],
        `${name}: ${result.stdout}`,
      );
      // The installed shim and the Node executable beside it give the same answer.
      const run = (file: string) =>
        spawnSync(path.join(clusterDir, "cni-bin", file), [], {
          env,
          input: stdin,
          encoding: "utf8",
          timeout: 30_000,
        });
      const [shim, node] = [run("spiderpool"), run("spiderpool-node")];
      assert.deepEqual([shim.status, shim.stdout], [1, result.stdout], `${name} through the shim`);
      assert.deepEqual(
        [node.status, node.stdout],
        [1, result.stdout],
        `${name} through the Node executable`,
      );
    }
    assert.deepEqual(seen(), before);
    assert.equal(connections, 0);
  });
});
