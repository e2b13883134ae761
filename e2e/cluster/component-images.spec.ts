import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { peprControllerRef, peprProductionPackages } from "./component-images.js";
import { StepError } from "./step-error.js";

describe("Pepr controller image contents", () => {
  let root: string;
  const pkg = (rel: string, body: Record<string, unknown>) => {
    fs.mkdirSync(path.join(root, rel), { recursive: true });
    fs.writeFileSync(path.join(root, rel, "package.json"), JSON.stringify(body));
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pepr-closure-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("takes pepr's dependencies as Node resolves them, nested copies first, without the CLI-only ones", () => {
    pkg("pepr", {
      version: "1.1.4",
      dependencies: { express: "5", pino: "10", commander: "14", "@types/ramda": "0" },
      peerDependencies: { typescript: "5" },
      optionalDependencies: { "fsevents-like": "1" },
    });
    pkg("express", { version: "5.2.1", dependencies: { debug: "4" } });
    pkg("express/node_modules/debug", { version: "4.4.0" });
    pkg("debug", { version: "2.6.9" });
    pkg("pino", { version: "10.3.1", dependencies: { debug: "2" } });
    pkg("commander", { version: "14.0.3" });
    pkg("@types/ramda", { version: "0.31.1" });
    pkg("typescript", { version: "5.8.3" });
    assert.deepEqual([...peprProductionPackages(root)].sort(), [
      ["debug", "2.6.9"],
      ["express", "5.2.1"],
      ["express/node_modules/debug", "4.4.0"],
      ["pepr", "1.1.4"],
      ["pino", "10.3.1"],
    ]);
  });

  it("names the package whose required dependency is not installed", () => {
    pkg("pepr", { version: "1.1.4", dependencies: { express: "5" } });
    pkg("express", { version: "5.2.1", dependencies: { "body-parser": "2" } });
    assert.throws(
      () => peprProductionPackages(root),
      (e: unknown) => e instanceof StepError && /express needs body-parser/.test(e.message),
    );
  });

  it("is named as pepr build writes it into the module's Deployments", () => {
    // pepr 1.1.4, lib/assets/assets.ts: the image every generated Deployment names.
    const assets = path.join(
      import.meta.dirname,
      "../../node_modules/pepr/src/lib/assets/assets.ts",
    );
    assert.ok(
      fs
        .readFileSync(assets, "utf8")
        .includes("`ghcr.io/defenseunicorns/pepr/controller:v${config.peprVersion}`"),
    );
    assert.equal(peprControllerRef(), "ghcr.io/defenseunicorns/pepr/controller:v1.1.4");
  });
});
