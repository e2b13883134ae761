/**
 * A refusal of the CLI, with the exit status it maps to: 2 for input the CLI cannot read (bad
 * arguments, malformed address, unreadable file), 1 for a cluster fact that stops the command
 * (unknown pool or Pod, no claim for an address, a live holder).
 */
export type CliErrorCode =
  | "usage"
  | "malformed_address"
  | "bad_file"
  | "not_found"
  | "refused"
  | "api";

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }

  get exitCode(): number {
    return this.code === "usage" || this.code === "malformed_address" || this.code === "bad_file"
      ? 2
      : 1;
  }
}
