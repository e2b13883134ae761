/**
 * A failed step of bringing the cluster up or down. The CLI prints it as one line naming the
 * step and the log to read, instead of a wall of shell output.
 */
export class StepError extends Error {
  readonly step: string;
  readonly logPath?: string;

  constructor(step: string, detail: string, logPath?: string) {
    super(`${step}: ${detail}${logPath ? ` (log: ${logPath})` : ""}`);
    this.name = "StepError";
    this.step = step;
    this.logPath = logPath;
  }
}
