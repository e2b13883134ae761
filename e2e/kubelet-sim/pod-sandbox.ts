import crypto from "node:crypto";
import { ipAsync } from "../cluster/netns.js";
import type { CniRuntime, Conflist } from "./cni-runtime.js";
import type { SandboxRecord, SandboxStore } from "./sandbox-store.js";

export interface SandboxPlan {
  uid: string;
  namespace: string;
  name: string;
  attachments: { ifname: string; conflist: Conflist; runtimeConfig?: Record<string, unknown> }[];
}

/**
 * Creates a pod network namespace and runs every attachment's CNI ADD. On failure the partial
 * sandbox is torn down (CNI DEL of what was attempted, netns removed), as a CRI runtime does
 * before reporting the error, and the error propagates.
 */
export async function setUpSandbox(
  cni: CniRuntime,
  store: SandboxStore,
  netnsPrefix: string,
  plan: SandboxPlan,
): Promise<SandboxRecord> {
  const containerId = crypto.randomBytes(32).toString("hex");
  const rec: SandboxRecord = {
    uid: plan.uid,
    namespace: plan.namespace,
    name: plan.name,
    containerId,
    netns: `${netnsPrefix}-p${containerId.slice(0, 10)}`,
    attachments: [],
  };
  store.save(rec);
  await ipAsync("netns", "add", rec.netns);
  await ipAsync("-n", rec.netns, "link", "set", "lo", "up");
  try {
    for (const a of plan.attachments) {
      rec.attachments.push({
        ifname: a.ifname,
        conflist: a.conflist,
        runtimeConfig: a.runtimeConfig,
      });
      store.save(rec);
      const last = rec.attachments[rec.attachments.length - 1]!;
      last.result = await cni.add(a.conflist, attachmentOf(rec, a.ifname, a.runtimeConfig));
      store.save(rec);
    }
    return rec;
  } catch (e) {
    await tearDownSandbox(cni, store, rec).catch(() => undefined);
    throw e;
  }
}

/**
 * CNI DEL for every attachment (reverse order), then the netns goes. A failing DEL does not stop
 * the others, as Multus goes on through its delegates: the attachments that can be torn down are
 * (their links and addresses leave the wire), the first error propagates and the netns stays, as
 * a CRI runtime keeps a sandbox whose network teardown failed.
 */
export async function tearDownSandbox(
  cni: CniRuntime,
  store: SandboxStore,
  rec: SandboxRecord,
  skipDel = false,
): Promise<void> {
  if (!skipDel) {
    let first: unknown;
    for (const a of [...rec.attachments].reverse()) {
      try {
        await cni.del(a.conflist, attachmentOf(rec, a.ifname, a.runtimeConfig), a.result);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
  await ipAsync("netns", "delete", rec.netns).catch((e: Error) => {
    if (!/No such file|not exist/i.test(e.message)) throw e;
  });
  store.remove(rec.uid);
}

export function attachmentOf(
  rec: SandboxRecord,
  ifname: string,
  runtimeConfig?: Record<string, unknown>,
) {
  return {
    containerId: rec.containerId,
    netns: `/run/netns/${rec.netns}`,
    ifname,
    podNamespace: rec.namespace,
    podName: rec.name,
    podUid: rec.uid,
    runtimeConfig,
  };
}
