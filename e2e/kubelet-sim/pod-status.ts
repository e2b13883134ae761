import type { Pod } from "../../lib/k8s/core-kinds.js";

/** The status a kubelet reports once every container of the pod runs. */
export function runningStatus(pod: Pod, hostIP: string, podIPs: string[], startedAt: string) {
  const cond = (type: string) => ({
    type,
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: startedAt,
  });
  const running = (c: { name: string; image?: string }) => ({
    name: c.name,
    image: c.image ?? "sim",
    imageID: `sim://${c.image ?? "sim"}`,
    containerID: `sim://${c.name}`,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt } },
  });
  return {
    status: {
      phase: "Running",
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: podIPs[0],
      podIPs: podIPs.map(ip => ({ ip })),
      startTime: startedAt,
      conditions: [
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "Ready",
        "PodScheduled",
      ].map(cond),
      containerStatuses: pod.spec.containers.map(running),
      initContainerStatuses: (pod.spec.initContainers ?? []).map(c => ({
        ...running(c),
        ready: true,
        started: false,
        state: {
          terminated: { exitCode: 0, reason: "Completed", startedAt, finishedAt: startedAt },
        },
      })),
    },
  };
}

/**
 * The pod's addresses from a CNI result: IPs on the sandbox's eth0, or every IP when the
 * result names no interfaces (IPAM-only results from some chains).
 */
export function podIPsFromResult(result: Record<string, unknown>, netnsPath: string): string[] {
  const interfaces = (result.interfaces ?? []) as { name?: string; sandbox?: string }[];
  const ips = (result.ips ?? []) as { address: string; interface?: number }[];
  return ips
    .filter(i => {
      if (i.interface === undefined) return true;
      const itf = interfaces[i.interface];
      return itf?.name === "eth0" && (!itf.sandbox || itf.sandbox === netnsPath);
    })
    .map(i => i.address.split("/")[0] ?? "");
}
