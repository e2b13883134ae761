import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { configWarningLine, parseConfig } from "./config.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) =>
  parseYaml(fs.readFileSync(path.join(here, "fixtures", name), "utf8")) as Record<string, unknown>;
const CHART_V122 = "spiderpool-v1.2.2-conf.yml";
const CHART_V120 = "spiderpool-v1.2.0-conf.yml";

/** The chart's file with one value replaced at a dotted path (the fixture itself untouched). */
function chartWith(key: string, value: unknown, name = CHART_V122): Record<string, unknown> {
  const doc = structuredClone(fixture(name));
  const keys = key.split(".");
  let cur = doc;
  for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
  cur[keys.at(-1)!] = value;
  return doc;
}

function errorsOf(raw: unknown): string[] {
  const r = parseConfig(raw);
  assert.ok(!r.ok, "expected a refusal");
  return r.errors;
}

function accepted(raw: unknown) {
  const r = parseConfig(raw);
  assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  return r;
}

/** Spiderpool keys of the chart's file for features we do not have: named in the one warning. */
const NOT_ACTED_ON_V122 = [
  "agent.networkResourcePlugin",
  "enableKubevirtStaticIP",
  "iaasNetworkProvider",
  "podResourceInject",
  "tuneSysctlConfig",
];

describe("conf.yml: Spiderpool's chart-rendered file and our keys (lib/schemas/config.ts)", () => {
  describe("the file Spiderpool's chart renders with default values", () => {
    it("v1.2.2 loads; the warning names exactly the keys for features we do not have", () => {
      const r = accepted(fixture(CHART_V122));
      assert.deepEqual(r.warnings.map(w => w.key).sort(), NOT_ACTED_ON_V122);
      for (const w of r.warnings) assert.ok(w.reason.length > 20, `${w.key} says why: ${w.reason}`);
    });

    it("v1.2.0 (no agent section, no request timeout) loads with the same warning less the agent plugin", () => {
      const r = accepted(fixture(CHART_V120));
      assert.deepEqual(
        r.warnings.map(w => w.key).sort(),
        NOT_ACTED_ON_V122.filter(k => k !== "agent.networkResourcePlugin"),
      );
    });

    it("the keys we use take the chart's values; the chart's auto-pool `+N` key is read; foreign keys are not in the value", () => {
      const v = accepted(fixture(CHART_V122)).value;
      assert.equal(v.ipamUnixSocketPath, "/var/run/spidernet/spiderpool.sock");
      assert.equal(v.enableIPv4, true);
      assert.equal(v.enableStatefulSet, true);
      assert.equal(v.enableIPConflictDetection, false);
      assert.equal(v.clusterSubnetAutoPoolDefaultRedundantIPNumber, 1);
      assert.equal(
        accepted(chartWith("clusterSubnetDefaultFlexibleIPNumber", 3)).value
          .clusterSubnetAutoPoolDefaultRedundantIPNumber,
        3,
      );
      assert.deepEqual(Object.keys(v.agent).sort(), [
        "addressWindow",
        "claimAttemptsPerPool",
        "claimAuditIntervalSeconds",
        "sandboxCheckIntervalSeconds",
        "waitSubnetPoolMaxRetries",
        "waitSubnetPoolSeconds",
      ]);
      assert.ok(
        !("podResourceInject" in v) && !("iaasNetworkProvider" in v),
        "nothing can read a key we do not act on",
      );
    });

    it("the one warning line names every key with its reason", () => {
      const r = accepted(fixture(CHART_V122));
      const line = configWarningLine(r.warnings);
      assert.match(line, /^conf\.yml: accepted and not acted on: /);
      for (const k of NOT_ACTED_ON_V122) assert.ok(line.includes(`${k} (`), `${k} in: ${line}`);
      assert.match(
        line,
        /tuneSysctlConfig \(the agent changes no node sysctl; .*net\.ipv4\.conf\.all\.rp_filter=0\); /,
      );
    });
  });

  describe("keys for behaviour we do not implement", () => {
    const refusals: Array<{ key: string; value: unknown; line: RegExp }> = [
      {
        key: "enableCleanOutdatedEndpoint",
        value: true,
        line: /^conf\.yml: enableCleanOutdatedEndpoint: got true, .*; set it to false or remove the key$/,
      },
      {
        key: "enableIPConflictDetection",
        value: true,
        line: /^conf\.yml: enableIPConflictDetection: got true, .*"detectIPConflict": true.*SpiderCoordinator "default".*; set it to false or remove the key$/,
      },
      {
        key: "enableGatewayDetection",
        value: true,
        line: /^conf\.yml: enableGatewayDetection: got true, .*"detectGateway": true.*SpiderCoordinator "default".*; set it to false or remove the key$/,
      },
      {
        key: "podResourceInject.enabled",
        value: true,
        line: /^conf\.yml: podResourceInject\.enabled: got true, .*; set it to false or remove podResourceInject$/,
      },
      {
        key: "iaasNetworkProvider.serverUrl",
        value: "https://iaas.example:8443",
        line: /^conf\.yml: iaasNetworkProvider\.serverUrl: got "https:\/\/iaas\.example:8443", .*; set it to "" or remove iaasNetworkProvider$/,
      },
      {
        key: "agent.networkResourcePlugin.enabled",
        value: true,
        line: /^conf\.yml: agent\.networkResourcePlugin\.enabled: got true, .*; set it to false or remove agent\.networkResourcePlugin$/,
      },
    ];
    for (const c of refusals) {
      it(`${c.key}: ${JSON.stringify(c.value)} is refused naming the key, the value and what to set`, () => {
        const errors = errorsOf(chartWith(c.key, c.value));
        assert.equal(errors.length, 1, errors.join("\n"));
        assert.match(errors[0]!, c.line);
      });
    }

    it("at the value that says what we do they load, without a warning for our own behaviour", () => {
      const r = accepted({
        enableKubevirtStaticIP: false,
        tuneSysctlConfig: false,
        enableCleanOutdatedEndpoint: false,
        enableIPConflictDetection: false,
        enableGatewayDetection: false,
      });
      assert.deepEqual(r.warnings, []);
    });

    it("the chart's `true` for KubeVirt static IPs and sysctl tuning loads, each with what we do instead", () => {
      const r = accepted({ enableKubevirtStaticIP: true, tuneSysctlConfig: true });
      assert.deepEqual(
        r.warnings.map(w => w.key),
        ["enableKubevirtStaticIP", "tuneSysctlConfig"],
      );
      assert.match(r.warnings[0]!.reason, /third-party controller/);
    });

    it("the dropped gc.tracePodGapSeconds is refused with what to do, also beside a typo", () => {
      assert.deepEqual(errorsOf({ gc: { tracePodGapSeconds: 5 } }), [
        "conf.yml: gc.tracePodGapSeconds: no longer a setting: the watcher looks at a Terminating Pod again exactly at its grace deadline (a timer per Pod), so there is no trace period to set; remove the key",
      ]);
      const both = errorsOf({ gc: { tracePodGapSeconds: 5, enable: true } });
      assert.match(
        both[0]!,
        /^conf\.yml: unknown key "gc\.enable"; accepted keys: enabled, .*; gc\.tracePodGapSeconds: no longer a setting/,
      );
    });

    it("every problem is reported at once: a wrong type beside a refused value", () => {
      const errors = errorsOf({
        ...chartWith("enableCleanOutdatedEndpoint", true),
        enableIPv6: "no",
      });
      assert.equal(errors.length, 2, errors.join("\n"));
      assert.ok(errors.some(e => e.startsWith("conf.yml: enableIPv6: ")));
      assert.ok(errors.some(e => e.startsWith("conf.yml: enableCleanOutdatedEndpoint: got true")));
    });
  });

  describe("typos and types stay refused, in our keys and in Spiderpool's", () => {
    const cases: Array<{ name: string; raw: unknown; line: RegExp }> = [
      {
        name: "a top-level key of nobody's",
        raw: chartWith("enableIPV4", true),
        line: /^conf\.yml: unknown key "enableIPV4"; accepted keys: ipamUnixSocketPath, enableIPv4, .*podResourceInject, iaasNetworkProvider$/,
      },
      {
        name: "a typo inside a Spiderpool section",
        raw: chartWith("podResourceInject.enable", true),
        line: /^conf\.yml: unknown key "podResourceInject\.enable"; accepted keys: enabled, namespacesExclude, namespacesInclude$/,
      },
      {
        name: "a typo deep in the agent plugin's rules",
        raw: chartWith("agent.networkResourcePlugin.resourceAdvertisement.masterNIC.rules", [
          { includeInterface: ["eth*"] },
        ]),
        line: /^conf\.yml: unknown key "agent\.networkResourcePlugin\.resourceAdvertisement\.masterNIC\.rules\.0\.includeInterface"; accepted keys: nodeSelector, defaultMaxCount, includeInterfaces, excludeInterfaces$/,
      },
      {
        name: "our agent section lists its keys and the chart's",
        raw: { agent: { adressWindow: 8 } },
        line: /^conf\.yml: unknown key "agent\.adressWindow"; accepted keys: addressWindow, .*, networkResourcePlugin$/,
      },
      {
        name: "a wrong type in a Spiderpool section",
        raw: chartWith("podResourceInject.namespacesExclude", "kube-system"),
        line: /^conf\.yml: podResourceInject\.namespacesExclude: .*, got "kube-system"$/,
      },
      {
        name: "a wrong type of a switch we do not implement",
        raw: { tuneSysctlConfig: "yes" },
        line: /^conf\.yml: tuneSysctlConfig: .*expected boolean.*, got "yes"$/,
      },
      {
        name: "our own bounds",
        raw: chartWith("gc", { scanAllIntervalSeconds: 5 }),
        line: /^conf\.yml: gc\.scanAllIntervalSeconds: .*>=10.*, got 5$/,
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const errors = errorsOf(c.raw);
        assert.equal(errors.length, 1, errors.join("\n"));
        assert.match(errors[0]!, c.line);
      });
    }
  });

  it("an empty file and the shipped ConfigMap load with the defaults and no warning", () => {
    const empty = accepted(undefined);
    assert.deepEqual(empty.warnings, []);
    const cm = parseYaml(
      fs.readFileSync(path.join(here, "../../manifests/agent/configmap.yaml"), "utf8"),
    ) as { data: Record<string, string> };
    const shipped = accepted(parseYaml(cm.data["conf.yml"]!));
    assert.deepEqual(shipped.warnings, []);
    assert.deepEqual(shipped.value, empty.value);
  });
});
