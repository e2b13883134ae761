import assert from "node:assert/strict";
import { normalizedRef } from "./images.js";
import { containerdConfig, kubeletConfig, realNodeLayout } from "./real-node-config.js";

describe("real node configuration", () => {
  const l = realNodeLayout("/c/nodes/real-1", "real-1", "/spd1-real-1");

  it("names images as the kubelet asks containerd for them", () => {
    assert.equal(normalizedRef("busybox:1.36"), "docker.io/library/busybox:1.36");
    assert.equal(normalizedRef("library/busybox:1.36"), "docker.io/library/busybox:1.36");
    assert.equal(normalizedRef("registry.k8s.io/pause:3.10"), "registry.k8s.io/pause:3.10");
    assert.equal(normalizedRef("localhost/x:1"), "localhost/x:1");
    assert.equal(normalizedRef("reg:5000/x:1"), "reg:5000/x:1");
  });

  it("keeps containerd's state, sockets and runc state below the node's directory", () => {
    const toml = containerdConfig(l, "registry.k8s.io/pause:3.10", "/usr/sbin/runc");
    const paths = [...toml.matchAll(/= "(\/[^"]*)"/g)].map(m => m[1]!);
    assert.deepEqual(
      paths.filter(p => !p.startsWith("/c/nodes/real-1/")),
      ["/usr/sbin/runc"],
      "a path outside the node's directory",
    );
    for (const line of [
      "restrict_oom_score_adj = true",
      "netns_mounts_under_state_dir = true",
      "SystemdCgroup = false",
      'sandbox_image = "registry.k8s.io/pause:3.10"',
      'bin_dir = "/c/nodes/real-1/cni-bin"',
      'conf_dir = "/c/nodes/real-1/net.d"',
    ])
      assert.ok(toml.includes(line), `missing: ${line}`);
  });

  it("gives the kubelet cgroupfs below its own cgroup and no iptables chains", () => {
    const c = JSON.parse(
      kubeletConfig(l, {
        nodeIP: "10.255.255.2",
        clientCAFile: "/c/pki/ca.crt",
        tlsCertFile: "/c/pki/k.crt",
        tlsPrivateKeyFile: "/c/pki/k.key",
        resolvConf: "/c/nodes/real-1/resolv.conf",
        taints: [{ key: "k", value: "true", effect: "NoSchedule" }],
      }),
    ) as Record<string, unknown>;
    assert.equal(c.cgroupDriver, "cgroupfs");
    assert.equal(c.cgroupRoot, "/spd1-real-1");
    assert.equal(c.makeIPTablesUtilChains, false);
    assert.equal(c.address, "10.255.255.2");
    assert.deepEqual(c.authentication, {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: "/c/pki/ca.crt" },
    });
    assert.ok(String(c.podLogsDir).startsWith("/c/nodes/real-1/"));
    assert.ok(String(c.volumePluginDir).startsWith("/c/nodes/real-1/"));
  });
});
