import type { KubeApi, Stored } from "../k8s/api-client.js";
import { Informer } from "../k8s/informer.js";
import type { K8sError } from "../k8s/k8s-error.js";
import { COORDINATOR_NAME, type SpiderCoordinator } from "../schemas/coordinator.js";
import type { Logger } from "../logger.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

/**
 * The cluster-wide detection defaults: SpiderCoordinator `default` from a watch. The watch does
 * not gate the agent's readiness (a cluster without the object, or during an upgrade without the
 * CRD, allocates as before); until it has synced once, a plan reads the object directly.
 */
export class CoordinatorDefaults {
  readonly #informer: Informer<Stored<SpiderCoordinator>>;
  #synced = false;

  constructor(
    private readonly api: KubeApi,
    log: Logger,
  ) {
    this.#informer = new Informer<Stored<SpiderCoordinator>>(api, {
      path: `/apis/${SPIDERPOOL_API_VERSION}/spidercoordinators`,
      fieldSelector: `metadata.name=${COORDINATOR_NAME}`,
      onError: (e: K8sError) =>
        log.warn("watch of spidercoordinators failed; retrying", { err: e }),
    });
    void this.#informer.synced.then(() => (this.#synced = true));
  }

  start(): this {
    this.#informer.start();
    return this;
  }

  stop(): void {
    this.#informer.stop();
  }

  /** `detectIPConflict` and `detectGateway` of `default`, each undefined when not set. */
  async get(): Promise<{ detectIPConflict?: boolean; detectGateway?: boolean }> {
    const obj = this.#synced
      ? this.#informer.get(COORDINATOR_NAME)
      : await this.api
          .get<
            Stored<SpiderCoordinator>
          >(`/apis/${SPIDERPOOL_API_VERSION}/spidercoordinators/${COORDINATOR_NAME}`)
          .catch(() => undefined);
    return {
      detectIPConflict: obj?.spec?.detectIPConflict,
      detectGateway: obj?.spec?.detectGateway,
    };
  }
}
