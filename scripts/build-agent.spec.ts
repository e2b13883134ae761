import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAgent } from "./build-agent.js";

/**
 * The built agent (what the DaemonSet runs) refuses a broken ConfigMap value or an unknown key
 * before it touches the API: exit 2 and one line on stderr naming the key and what it accepts.
 */
describe("scripts/build-agent: the bundled agent refuses bad configuration", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "agent-bundle-"));
    bundle = (await buildAgent(join(dir, "spiderpool-agent.cjs"))).path;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(confYml: string, env: Record<string, string> = {}): { status: number | null; lines: string[]; stdout: string } {
    const conf = join(dir, `conf-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(conf, confYml);
    // A kubeconfig pointing nowhere: a refusal must come before any API call.
    const r = spawnSync(process.execPath, [bundle, `--config-path=${conf}`], {
      env: { PATH: process.env.PATH ?? "", KUBECONFIG: join(dir, "absent-kubeconfig"), SPIDERPOOL_NODE_NAME: "node-1", ...env },
      encoding: "utf8",
      timeout: 20_000,
    });
    return { status: r.status, lines: r.stderr.split("\n").filter(Boolean), stdout: r.stdout };
  }

  const cases: Array<{ name: string; conf: string; env?: Record<string, string>; line: RegExp }> = [
    {
      name: "an unknown nested key names it and lists the accepted keys",
      conf: "gc:\n  scanAllIntervalSecondz: 60\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: unknown key "gc\.scanAllIntervalSecondz"; accepted keys: enabled, scanAllIntervalSeconds, /,
    },
    {
      name: "an unknown top-level key lists the top-level keys",
      conf: "enableIPV4: true\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: unknown key "enableIPV4"; accepted keys: ipamUnixSocketPath, enableIPv4, enableIPv6, /,
    },
    {
      name: "a wrong type names the key, the expected type and the value",
      conf: "enableIPv4: yes please\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: enableIPv4: .*expected boolean.*, got "yes please"$/,
    },
    {
      name: "an out-of-range number names the bound",
      conf: "gc:\n  scanAllIntervalSeconds: 5\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: gc\.scanAllIntervalSeconds: .*>=10.*, got 5$/,
    },
    {
      name: "YAML that does not parse names the file",
      conf: "enableIPv4: [true\n",
      line: /^spiderpool-agent: refusing to start: .*conf-.*\.yml: not valid YAML: /,
    },
    {
      name: "a bad environment variable names it and the accepted values",
      conf: "",
      env: { SPIDERPOOL_LOG_LEVEL: "chatty" },
      line: /^spiderpool-agent: refusing to start: SPIDERPOOL_LOG_LEVEL: expected one of debug, info, warn, error, got "chatty"$/,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.conf, c.env);
      assert.equal(r.status, 2, `exit code; stderr: ${r.lines.join("\n")}`);
      assert.equal(r.lines.length, 1, `exactly one line on stderr, got:\n${r.lines.join("\n")}`);
      assert.match(r.lines[0]!, c.line);
      assert.equal(r.stdout, "", "nothing on stdout");
    });
  }
});
