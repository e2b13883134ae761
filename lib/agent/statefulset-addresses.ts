import type { KubeApi } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import { deleteClaim, repointClaim } from "../k8s/claim-store.js";
import { getEndpoint, upsertEndpoint } from "../k8s/endpoint-store.js";
import { K8sError } from "../k8s/k8s-error.js";
import type { IpFamily } from "../core/net/address.js";
import {
  buildAllocationResult,
  resultFromDetails,
  type Grant,
  type ResultFlags,
} from "../core/lifecycle/allocation-result.js";
import { parseRoutesAnnotation } from "../core/selection/pool-annotations.js";
import type { NicPlan } from "../core/selection/pool-selection.js";
import type { TopController } from "../core/selection/top-controller.js";
import type { IpamAddArgs, IpamAddResponse } from "../schemas/agent-api.js";
import type { IPAllocationDetail } from "../schemas/endpoint.js";
import { AgentError } from "./agent-error.js";
import type { Claim, ClusterView } from "./cluster-view.js";
import { sameAddresses } from "./same-addresses.js";

/** What the StatefulSet step leaves for the standard allocation that may follow it. */
export interface StatefulSetRetrieval {
  /** The answer when the Pod's recorded addresses cover the NIC being added. */
  response?: IpamAddResponse;
  /** Details of NICs whose addresses the Pod keeps; the endpoint written after allocation keeps them. */
  carried: IPAllocationDetail[];
}

/**
 * A StatefulSet Pod keeps its addresses across re-creation (docs/reference/allocation.md#statefulset-pods): its claims follow the
 * Pod name, and the new incarnation takes them over with a compare-and-swap re-point of the
 * claim's Pod UID and node. Claims whose pool is no longer among the NIC's candidates (the
 * annotation changed) are released first, as Spiderpool's releaseStsOutdatedIPIfNeed does; the
 * NIC is then allocated anew by the standard path, which finds the re-pointed claims as its own.
 */
export class StatefulSetAddresses {
  constructor(
    private readonly api: KubeApi,
    private readonly view: ClusterView,
    private readonly flags: ResultFlags,
  ) {}

  /**
   * @param plan pool selection for the Pod, given the pools it already holds addresses of (so its
   *             own full pool is not "exhausted"); `undefined` when selection refuses the Pod, in
   *             which case nothing is judged outdated and the Pod keeps what it has
   */
  async retrieve(
    pod: Pod,
    top: TopController,
    args: IpamAddArgs,
    plan: (reusable: string[]) => Promise<NicPlan[] | undefined>,
  ): Promise<StatefulSetRetrieval> {
    const ns = pod.metadata.namespace!;
    const uid = pod.metadata.uid ?? "";
    const held = (await this.view.claimsOfPodKeyAnywhere(ns, pod.metadata.name)).filter(
      c => c.spec.static,
    );
    if (!held.length) return { carried: [] };

    const plans = await plan([...new Set(held.map(c => c.spec.pool))]);
    const candidates = (nic: string, family: IpFamily) =>
      plans?.find(p => p.nic === nic)?.families.find(f => f.family === family)?.original ?? [];
    const outdated = plans
      ? held.filter(
          c =>
            plans.some(p => p.nic === c.spec.interface) &&
            !candidates(c.spec.interface, c.spec.ipVersion).includes(c.spec.pool),
        )
      : [];
    for (const c of outdated) {
      // As read: a claim that moved since (another incarnation took it over) is not ours to drop.
      if (
        (await deleteClaim(
          this.api,
          c.metadata.name,
          c.metadata.uid,
          c.metadata.resourceVersion,
        )) === "changed"
      ) {
        throw new AgentError(
          "retries_exhausted",
          `claim ${c.metadata.name} changed while releasing it for Pod ${ns}/${pod.metadata.name}; retry`,
        );
      }
      this.view.forgetClaim(c);
    }

    const current: Claim[] = [];
    for (const c of held.filter(x => !outdated.includes(x)))
      current.push(await this.#takeOver(c, pod, args));

    const ep = await getEndpoint(this.api, ns, pod.metadata.name);
    const details = this.#details(current, ep?.status?.current.ips ?? [], pod, args);
    if (outdated.length || !current.some(c => c.spec.interface === args.ifName))
      return { carried: details };
    await upsertEndpoint(this.api, {
      namespace: ns,
      name: pod.metadata.name,
      podUid: uid,
      node: this.view.nodeName,
      details,
      ownerControllerType: top.kind,
      ownerControllerName: top.name,
    });
    return { response: resultFromDetails(details, this.flags), carried: details };
  }

  /** The claim, re-pointed to this incarnation of the Pod and this node if it is not already. */
  async #takeOver(c: Claim, pod: Pod, args: IpamAddArgs): Promise<Claim> {
    const uid = pod.metadata.uid ?? "";
    if (c.spec.podUID === uid && c.spec.node === this.view.nodeName) return c;
    try {
      const moved = await repointClaim(this.api, c, {
        podUID: uid,
        node: this.view.nodeName,
        containerID: args.containerID,
      });
      this.view.noteClaim(moved);
      return moved;
    } catch (e) {
      if (e instanceof K8sError && e.code === "conflict") {
        throw new AgentError(
          "retries_exhausted",
          `claim ${c.metadata.name} changed while re-pointing it to Pod ${pod.metadata.namespace}/${pod.metadata.name}; retry`,
        );
      }
      throw e;
    }
  }

  /**
   * One detail per NIC the Pod keeps: the recorded one (with the routes computed when it was
   * allocated) when it holds exactly the NIC's claimed addresses, else one rebuilt from the claims.
   */
  #details(
    current: Claim[],
    recorded: IPAllocationDetail[],
    pod: Pod,
    args: IpamAddArgs,
  ): IPAllocationDetail[] {
    const routes = parseRoutesAnnotation(pod.metadata.annotations ?? {});
    const out: IPAllocationDetail[] = [];
    for (const nic of [...new Set(current.map(c => c.spec.interface))]) {
      const mine = current.filter(c => c.spec.interface === nic);
      const d = recorded.find(x => x.interface === nic);
      if (
        d &&
        sameAddresses(
          [d.ipv4, d.ipv6],
          mine.map(c => c.spec.address),
        )
      ) {
        out.push(d);
        continue;
      }
      const cleanGateway =
        d?.cleanGateway ?? (nic === args.ifName ? (args.cleanGateway ?? false) : false);
      const grants = mine.map(c => this.#grant(c, cleanGateway));
      out.push(...buildAllocationResult(grants, routes.ok ? routes.value : [], this.flags).details);
    }
    return out;
  }

  #grant(c: Claim, cleanGateway: boolean): Grant {
    const pool = this.view.pools.get(c.spec.pool);
    return {
      nic: c.spec.interface,
      family: c.spec.ipVersion,
      address: c.spec.address,
      pool: {
        name: c.spec.pool,
        subnet: pool?.spec.subnet ?? "",
        gateway: pool?.spec.gateway,
        routes: pool?.spec.routes,
      },
      cleanGateway,
    };
  }
}
