/** `spiderpool …` (npx spiderpool / npm run ipam --): see cli/args.ts USAGE and docs/usage/cli.md. */
import { runCli } from "./run.js";

runCli(process.argv.slice(2), {
  out: t => process.stdout.write(`${t}\n`),
  err: t => process.stderr.write(`${t}\n`),
}).then(code => {
  process.exitCode = code;
});
