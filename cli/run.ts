import { ApiClient } from "../lib/k8s/api-client.js";
import { KubeconfigError, loadCredentials, type Credentials } from "../lib/k8s/kubeconfig.js";
import { parseArgs, type Command, type GlobalOptions } from "./args.js";
import { checkCommand } from "./check-command.js";
import { readReport } from "./check-report.js";
import { CliError } from "./cli-error.js";
import { ClusterReads } from "./cluster-reads.js";
import { explainCommand } from "./explain-command.js";
import { helpText } from "./help.js";
import { ipCommand } from "./ip-command.js";
import { render, type CommandResult } from "./output.js";
import { poolsCommand } from "./pools-command.js";
import { parseAddressArg, releaseCommand, releaseFromReport } from "./release-command.js";
import { subnetsCommand } from "./subnets-command.js";
import { cliVersion } from "./version.js";

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The environment the kubeconfig is looked up in ($KUBECONFIG, $HOME). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs one command line; returns the exit status (docs/usage/cli.md#exit-status). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let api: ApiClient | undefined;
  try {
    const { global, command } = parseArgs(argv);
    if (command.name === "help") {
      io.out(helpText(command.topic));
      return 0;
    }
    if (command.name === "version") {
      io.out(
        global.output === "table"
          ? `spiderpool ${cliVersion()}`
          : render(
              { kind: "Version", body: { version: cliVersion() }, table: () => "" },
              global.output,
            ),
      );
      return 0;
    }
    // Input checked before any API call: a bad address or report file is exit 2 whatever the
    // cluster says, and needs no cluster.
    if (command.name === "ip") parseAddressArg(command.address);
    if (command.name === "release" && command.target.kind === "address")
      parseAddressArg(command.target.address);
    const report =
      command.name === "release" && command.target.kind === "report"
        ? readReport(command.target.path)
        : undefined;
    const credentials = load(global, io.env ?? process.env);
    api = ApiClient.fromCredentials(credentials, 4);
    const reads = new ClusterReads(api);
    const result = await dispatch(
      api,
      reads,
      global,
      inNamespace(command, credentials.namespace ?? "default"),
      report,
    );
    io.out(render(result, global.output));
    return result.exit ?? 0;
  } catch (e) {
    if (e instanceof CliError) {
      io.err(
        `spiderpool: ${e.message}${e.code === "usage" ? " (spiderpool --help for usage)" : ""}`,
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

/** A workload named without -n is in the context's namespace, else `default` (kubectl's rule). */
function inNamespace<C extends Command>(command: C, fallback: string): C {
  if (command.name !== "explain" || command.target.kind === "file") return command;
  if (command.target.namespace !== undefined) return command;
  return { ...command, target: { ...command.target, namespace: fallback } };
}

function load(global: GlobalOptions, env: NodeJS.ProcessEnv): Credentials {
  try {
    return loadCredentials(
      global.kubeconfig,
      env,
      global.context ? { context: global.context } : {},
    );
  } catch (e) {
    if (e instanceof KubeconfigError) throw new CliError("kubeconfig", e.message);
    throw e;
  }
}

function dispatch(
  api: ApiClient,
  reads: ClusterReads,
  global: GlobalOptions,
  command: Exclude<Command, { name: "help" | "version" }>,
  report: ReturnType<typeof readReport> | undefined,
): Promise<CommandResult> {
  switch (command.name) {
    case "pools":
      return poolsCommand(reads, command.pools);
    case "subnets":
      return subnetsCommand(reads, command.subnets);
    case "ip":
      return ipCommand(reads, command.address);
    case "check":
      return checkCommand(reads, command.namespace);
    case "explain":
      return explainCommand(api, reads, global, command);
    case "release":
      return command.target.kind === "report"
        ? releaseFromReport(api, reads, report ?? [], command.dryRun)
        : releaseCommand(api, reads, command.target.address, {
            dryRun: command.dryRun,
            force: command.force,
          });
  }
}
