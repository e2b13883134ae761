import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { GENERATED_HEADER, findDrift, renderCrdFiles, writeCrdFiles } from "./gen-crds.js";
import { buildSpiderpoolCrds } from "../lib/schemas/spiderpool-crds.js";

describe("scripts/gen-crds", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gen-crds-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("renders YAML that starts with the header and parses back to the built CRD", () => {
    const files = renderCrdFiles();
    const crds = buildSpiderpoolCrds();
    for (const crd of crds) {
      const text = files.get(`${crd.spec.names.plural}.yaml`);
      assert.ok(text?.startsWith(`${GENERATED_HEADER}\n`));
      assert.deepEqual(parse(text ?? ""), crd);
    }
  });

  it("finds no drift right after writing", () => {
    const files = renderCrdFiles();
    writeCrdFiles(dir, files);
    assert.deepEqual(findDrift(dir, files), []);
  });

  it("names a file whose content drifted, with the first differing line", () => {
    const files = renderCrdFiles();
    writeCrdFiles(dir, files);
    const file = path.join(dir, "spiderippools.yaml");
    fs.writeFileSync(
      file,
      fs.readFileSync(file, "utf8").replace("shortNames:\n      - sp", "shortNames:\n      - pool"),
    );
    const drift = findDrift(dir, files);
    assert.equal(drift.length, 1);
    assert.match(
      drift[0]!,
      /spiderippools\.yaml: differs from lib\/schemas \(line \d+: committed "      - pool", generated "      - sp"\)/,
    );
  });

  it("names missing files and stale generated files, and writing removes the stale ones", () => {
    const files = renderCrdFiles();
    writeCrdFiles(dir, files);
    fs.rmSync(path.join(dir, "spiderendpoints.yaml"));
    fs.writeFileSync(path.join(dir, "spiderworkloads.yaml"), `${GENERATED_HEADER}\nkind: X\n`);
    fs.writeFileSync(path.join(dir, "hand-written.yaml"), "kind: Y\n");
    assert.deepEqual(
      findDrift(dir, files)
        .map(line => path.basename(line.split(":")[0]!))
        .sort(),
      ["spiderendpoints.yaml", "spiderworkloads.yaml"],
    );
    writeCrdFiles(dir, files);
    assert.deepEqual(fs.readdirSync(dir).sort(), [...files.keys(), "hand-written.yaml"].sort());
  });
});
