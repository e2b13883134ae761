/**
 * The configuration files of a real node: containerd's and the kubelet's. Every path either
 * writes to lies below the node's own directory, so two real nodes (and the machine's own
 * containerd, if any) never share state; the settings that differ from the defaults are the ones
 * this kind of machine needs (README, "Local cluster": real nodes).
 */
import path from "node:path";

export interface RealNodeLayout {
  /** The node's directory under the cluster directory. */
  dir: string;
  name: string;
  /** containerd's gRPC socket. */
  socket: string;
  /** Where runc keeps container state (instead of /run/containerd/runc). */
  runcRoot: string;
  /** CNI plugin directory and network config directory the node's containerd uses. */
  cniBinDir: string;
  cniConfDir: string;
  kubeletRoot: string;
  /** The cgroup (in every hierarchy) the kubelet creates the pod cgroups below. */
  cgroupRoot: string;
}

export function realNodeLayout(dir: string, name: string, cgroupRoot: string): RealNodeLayout {
  return {
    dir,
    name,
    socket: path.join(dir, "containerd", "containerd.sock"),
    runcRoot: path.join(dir, "containerd", "runc"),
    cniBinDir: path.join(dir, "cni-bin"),
    cniConfDir: path.join(dir, "net.d"),
    kubeletRoot: path.join(dir, "kubelet"),
    cgroupRoot,
  };
}

const q = (s: string) => JSON.stringify(s);

/** containerd 1.6's config (version 2): only what differs from `containerd config default`. */
export function containerdConfig(l: RealNodeLayout, sandboxImage: string, runc: string): string {
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `version = 2
root = ${q(path.join(l.dir, "containerd", "root"))}
state = ${q(path.join(l.dir, "containerd", "state"))}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = ${q(l.socket)}

[ttrpc]
  address = ${q(`${l.socket}.ttrpc`)}

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(path.join(l.dir, "containerd", "opt"))}

[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = ${q(l.runcRoot)}
  state_dir = ${q(path.join(l.dir, "containerd", "v1-state"))}

[${cri}]
  sandbox_image = ${q(sandboxImage)}
  # This machine may not lower oom_score_adj; without this, sandboxes fail to start
  # ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  # Pod network namespaces are bind-mounted below the node's state, not in /var/run/netns.
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.cni]
  bin_dir = ${q(l.cniBinDir)}
  conf_dir = ${q(l.cniConfDir)}
  max_conf_num = 1

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = ${q(runc)}
  Root = ${q(l.runcRoot)}
`;
}

export interface KubeletInputs {
  /** The node's management address (the kubelet serves there; the API server calls it). */
  nodeIP: string;
  clientCAFile: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  resolvConf: string;
  /** Taints the node registers with, so only pods that ask for a real node land there. */
  taints: { key: string; value: string; effect: string }[];
}

/** KubeletConfiguration (v1beta1) for a node running inside a network namespace of this machine. */
export function kubeletConfig(l: RealNodeLayout, k: KubeletInputs): string {
  const config = {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // Controllers are cgroup v1 here and there is no systemd: cgroupfs, below a cgroup of our own.
    cgroupDriver: "cgroupfs",
    cgroupRoot: l.cgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    // With true the kubelet refuses to start when vm.overcommit_memory, kernel.panic and
    // kernel.panic_on_oops differ from what it wants; with false it sets them machine-wide, and
    // the cluster restores them at down (host-effects.ts).
    protectKernelDefaults: false,
    makeIPTablesUtilChains: false,
    oomScoreAdj: 0,
    address: k.nodeIP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: k.clientCAFile },
    },
    authorization: { mode: "Webhook" },
    tlsCertFile: k.tlsCertFile,
    tlsPrivateKeyFile: k.tlsPrivateKeyFile,
    resolvConf: k.resolvConf,
    clusterDomain: "cluster.local",
    podLogsDir: path.join(l.dir, "pod-logs"),
    volumePluginDir: path.join(l.dir, "volume-plugins"),
    registerWithTaints: k.taints,
    serializeImagePulls: false,
    // The machine's disk is shared with everything else: evict only when it is really full.
    evictionHard: {
      "memory.available": "50Mi",
      "nodefs.available": "1%",
      "imagefs.available": "1%",
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
  };
  return JSON.stringify(config, null, 2);
}
