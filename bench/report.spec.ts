import assert from "node:assert/strict";
import { END, START, replaceSection } from "./report.js";
import { fmtSeconds, timelineSvg } from "./timeline-svg.js";

describe("bench report", () => {
  describe("replaceSection", () => {
    it("replaces only the text between the storm markers", () => {
      const doc = `# Benchmarks\n\nintro\n\n${START}\nold\n${END}\n\n## Other\nkept\n`;
      const out = replaceSection(doc, "new table");
      assert.equal(out, `# Benchmarks\n\nintro\n\n${START}\nnew table\n${END}\n\n## Other\nkept\n`);
    });
    it("appends the section to a document without markers, and starts an empty one", () => {
      assert.equal(
        replaceSection("# Benchmarks\n\nintro\n", "x"),
        `# Benchmarks\n\nintro\n\n${START}\nx\n${END}\n`,
      );
      assert.equal(replaceSection("", "x"), `# Benchmarks\n\n${START}\nx\n${END}\n`);
    });
    it("refuses a document with only one marker instead of guessing", () => {
      assert.throws(() => replaceSection(`a\n${START}\nb\n`, "x"), /only one of/);
    });
  });

  describe("timelineSvg", () => {
    it("draws one polyline per series with points, and the legend labels", () => {
      const svg = timelineSvg([
        {
          title: "S2 c=10 ADD",
          pods: 3,
          series: [
            { label: "ours <x>", color: "#f00", times: [0.2, 0.5, 1.5] },
            { label: "floor", color: "#0f0", times: [] },
          ],
        },
      ]);
      assert.match(svg, /^<svg /);
      assert.equal((svg.match(/<polyline /g) ?? []).length, 1);
      assert.match(svg, /ours &lt;x&gt;/);
      assert.match(svg, /S2 c=10 ADD/);
    });
  });

  it("fmtSeconds labels decades", () => {
    assert.deepEqual([0.01, 0.1, 1, 10, 100].map(fmtSeconds), [
      "0.01 s",
      "0.1 s",
      "1 s",
      "10 s",
      "100 s",
    ]);
  });
});
