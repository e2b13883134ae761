import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { logTail } from "./readiness.js";
import { StepError } from "./step-error.js";

/**
 * Runs one command of a cluster step, appending the command line and its output to `log`; a
 * failure is a StepError naming the step with the tail of that log. Returns stdout.
 */
export function runStep(step: string, cmd: string, args: string[], log: string): string {
  try {
    const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    fs.appendFileSync(log, `$ ${cmd} ${args.join(" ")}\n${out}`);
    return out;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    fs.appendFileSync(
      log,
      `$ ${cmd} ${args.join(" ")}\n${err.stdout ?? ""}${err.stderr || err.message}\n`,
    );
    throw new StepError(step, logTail(log), log);
  }
}
