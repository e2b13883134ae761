import assert from "node:assert/strict";
import { table } from "./table.js";

describe("cli/table", () => {
  it("pads every column but the last to its widest cell", () => {
    assert.equal(
      table(
        ["A", "LONG"],
        [
          ["xyz", "1"],
          ["x", "22"],
        ],
      ),
      "A    LONG\nxyz  1\nx    22",
    );
  });
  it("prints only the header for no rows", () => {
    assert.equal(table(["POOL", "FREE"], []), "POOL  FREE");
  });
});
