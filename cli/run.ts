import { ApiClient } from "../lib/k8s/api-client.js";
import { parseArgs, USAGE } from "./args.js";
import { CliError } from "./cli-error.js";
import { ClusterReads } from "./cluster-reads.js";
import { explainCommand } from "./explain-command.js";
import { poolsCommand } from "./pools-command.js";
import { releaseCommand } from "./release-command.js";

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs one command line; returns the exit status (see USAGE). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let api: ApiClient | undefined;
  try {
    const { global, command } = parseArgs(argv);
    if (command.name === "help") {
      io.out(USAGE);
      return 0;
    }
    try {
      api = ApiClient.fromKubeconfig(global.kubeconfig, 4);
    } catch (e) {
      throw new CliError("api", `cannot load the kubeconfig: ${(e as Error).message}`);
    }
    const reads = new ClusterReads(api);
    switch (command.name) {
      case "pools":
        io.out(await poolsCommand(reads, command.pools, command.output));
        break;
      case "explain":
        io.out(await explainCommand(api, reads, global, command));
        break;
      case "release":
        io.out(
          await releaseCommand(api, reads, command.address, {
            dryRun: command.dryRun,
            force: command.force,
          }),
        );
        break;
    }
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      io.err(
        `spiderpool: ${e.message}${e.code === "usage" ? "\n(spiderpool --help for usage)" : ""}`,
      );
      return e.exitCode;
    }
    io.err(
      `spiderpool: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return 1;
  } finally {
    api?.close();
  }
}
