import assert from "node:assert/strict";
import fs from "node:fs";
import { peprClusterRoleRules, peprConfig } from "./rbac-manifests.js";
import {
  regions,
  renderDoc,
  renderTable,
  SECURITY_DOC,
  type Region,
} from "./gen-security-tables.js";

describe("scripts/gen-security-tables", () => {
  const agent = (): Region => regions()[0]!;

  it("the committed docs/security.md has both regions, in sync with the manifests", () => {
    const doc = fs.readFileSync(SECURITY_DOC, "utf8");
    const { text, problems } = renderDoc(doc);
    assert.deepEqual(problems, []);
    assert.equal(text, doc);
  });

  it("renders one row per resource of every rule, with the rule's verbs", () => {
    const region = agent();
    const rows = renderTable(region).text.split("\n").slice(2);
    const expected = (region.role.rules ?? []).flatMap(r =>
      (r.resources ?? []).map(res => `\`${res}\` | ${r.verbs.join(", ")}`),
    );
    assert.equal(rows.length, expected.length);
    expected.forEach((e, i) => assert.ok(rows[i]!.includes(e), `${rows[i]} should contain ${e}`));
  });

  it("a rule without a reason is a problem naming it", () => {
    const region = agent();
    const reasons = { ...region.reasons };
    delete reasons["/events"];
    const { problems } = renderTable({ ...region, reasons });
    assert.deepEqual(problems, [
      "spiderpool-agent: no reason for create,patch on /events (scripts/rbac-reasons.ts)",
    ]);
  });

  it("a reason for a permission no rule grants is a problem too", () => {
    const region = agent();
    const { problems } = renderTable({
      ...region,
      reasons: { ...region.reasons, "/secrets": "never" },
    });
    assert.deepEqual(problems, [
      "spiderpool-agent: reason for /secrets, which no rule grants (scripts/rbac-reasons.ts)",
    ]);
  });

  it("a page without the markers is refused, and text outside them is kept", () => {
    assert.match(renderDoc("# page\n").problems.join("\n"), /no region agent-permissions/);
    const doc = fs.readFileSync(SECURITY_DOC, "utf8");
    const stale = doc.replace(
      "| spiderpool-agent | core | `pods` |",
      "| spiderpool-agent | core | `podz` |",
    );
    const { text } = renderDoc(stale);
    assert.equal(text, doc, "the stale row is regenerated, nothing else moves");
  });

  it("the module's ClusterRole merges Pepr's store rule into ours, as pepr build does", () => {
    const rules = peprClusterRoleRules();
    const store = rules.filter(r => r.resources?.includes("peprstores"));
    assert.equal(store.length, 1);
    assert.deepEqual([...store[0]!.verbs].sort(), ["create", "get", "list", "patch", "watch"]);
    assert.ok(rules.some(r => r.resources?.includes("customresourcedefinitions")));
    assert.throws(
      () => peprClusterRoleRules({ ...peprConfig(), rbacMode: "admin" }),
      /only "scoped"/,
    );
  });
});
