import assert from "node:assert/strict";
import { autoPoolTargets } from "../auto-pool/auto-pool-request.js";
import { workloadAnnotationProblems } from "./workload-annotation-check.js";

const top = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  namespace: "ns",
  name: "web",
  uid: "u-1",
};
const config = { enableIPv4: true, enableIPv6: true, defaultFlexibleIPNumber: 1 };
const subnets = new Map([
  ["s4", { name: "s4", family: 4 as const, cidr: "10.0.0.0/24", terminating: false }],
]);

describe("workloadAnnotationProblems", () => {
  it("accepts well-formed and absent annotations", () => {
    assert.deepEqual(workloadAnnotationProblems({}), []);
    assert.deepEqual(
      workloadAnnotationProblems({
        "ipam.spidernet.io/subnet": '{"ipv4":["s4"]}',
        "ipam.spidernet.io/ippool-ip-number": "+2",
        "ipam.spidernet.io/ippool-reclaim": "false",
        "ipam.spidernet.io/ippool": '{"ipv4":["p4"]}',
        "ipam.spidernet.io/ippools": '[{"interface":"eth0","ipv4":["p4"]}]',
      }),
      [],
    );
  });

  it("gives, for a malformed subnet request, exactly the text of the controller's Warning Event", () => {
    for (const annotations of <Record<string, string>[]>[
      { "ipam.spidernet.io/subnet": '{"ipv4": ["s4"' },
      { "ipam.spidernet.io/subnets": "[]" },
      {
        "ipam.spidernet.io/subnet": '{"ipv4":["s4"]}',
        "ipam.spidernet.io/ippool-ip-number": "three",
      },
      {
        "ipam.spidernet.io/subnet": '{"ipv4":["s4"]}',
        "ipam.spidernet.io/ippool-reclaim": "sometimes",
      },
    ]) {
      const controller = autoPoolTargets(top, annotations, 1, subnets, config);
      assert.ok(!controller.ok);
      assert.deepEqual(workloadAnnotationProblems(annotations), [controller.error.message]);
    }
  });

  it("names each malformed annotation, also size and reclaim without a subnet annotation", () => {
    const problems = workloadAnnotationProblems({
      "ipam.spidernet.io/ippool-ip-number": "++1",
      "ipam.spidernet.io/ippool-reclaim": "maybe",
      "ipam.spidernet.io/ippool": "{",
      "ipam.spidernet.io/ippools": '{"ipv4":["p"]}',
    });
    assert.equal(problems.length, 4, problems.join("\n"));
    for (const [i, name] of ["ippool-ip-number", "ippool-reclaim", "ippool'", "ippools'"].entries())
      assert.ok(problems[i]!.includes(`ipam.spidernet.io/${name}`), problems[i]);
    assert.match(problems[0]!, /invalid input '\+\+1'/);
    assert.match(problems[1]!, /ParseBool: parsing "maybe"/);
  });
});
