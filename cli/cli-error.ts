/**
 * A refusal of the CLI, with the exit status it maps to (docs/usage/cli.md#exit-status): 2 for
 * input the CLI cannot read (bad arguments, malformed address, unreadable file, a kubeconfig or
 * context it cannot use), 1 for a cluster fact that stops the command (unknown pool or Pod, no
 * claim for an address, a live holder), 3 when the API server cannot be reached or refuses the
 * request (forbidden, unauthorized, any other API error).
 */
export type CliErrorCode =
  | "usage"
  | "kubeconfig"
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
    if (
      this.code === "usage" ||
      this.code === "kubeconfig" ||
      this.code === "malformed_address" ||
      this.code === "bad_file"
    )
      return 2;
    return this.code === "api" ? 3 : 1;
  }
}
