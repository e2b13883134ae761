/**
 * Runs `job` now, or once more right after the run in progress: triggers that arrive during a run
 * fold into one more run, never two at once. Shared by the agent's periodic passes (sandbox sweep,
 * claim audit, docs/adr/0008-sandbox-confirmation.md), which may be triggered by a timer and by
 * watch events at the same time.
 */
export class CoalescedRun {
  #running?: Promise<void>;
  #again = false;

  constructor(private readonly job: () => Promise<void>) {}

  trigger(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.job();
      } while (this.#again);
      this.#running = undefined;
    })();
    return this.#running;
  }
}
