import assert from "node:assert/strict";
import { masterSubnetProblem } from "./master-subnet.js";

describe("master-subnet", () => {
  const master = { name: "enp1s0f0", addresses: ["172.30.0.1", "fd00:20::5", "10.20.0.5"] };

  it("accepts a pool whose subnet contains any address of the master, either family", () => {
    assert.equal(masterSubnetProblem({ name: "v4", subnet: "10.20.0.0/16" }, master), undefined);
    assert.equal(masterSubnetProblem({ name: "v6", subnet: "fd00:20::/64" }, master), undefined);
  });

  it("refuses a pool whose subnet holds none of them, naming the subnet, the master and its addresses", () => {
    assert.equal(
      masterSubnetProblem({ name: "p", subnet: "10.21.0.0/16" }, master),
      `filterPoolCandidatesByPfSubnet: the ippool's subnet "10.21.0.0/16" not found on pod's PF "enp1s0f0" (addresses of enp1s0f0: 172.30.0.1, fd00:20::5, 10.20.0.5)`,
    );
    assert.match(
      masterSubnetProblem({ name: "p", subnet: "10.20.0.0/16" }, { name: "m", addresses: [] })!,
      /\(addresses of m: none\)$/,
    );
  });

  it("compares networks, so an address of the other family never matches", () => {
    const v6only = { name: "m", addresses: ["fd00:20::5"] };
    assert.ok(masterSubnetProblem({ name: "p", subnet: "0.0.0.0/0" }, v6only));
  });

  it("refuses every pool with the reason when the master could not be read", () => {
    assert.equal(
      masterSubnetProblem({ name: "p", subnet: "10.20.0.0/16" }, { problem: "no master named" }),
      "filterPoolCandidatesByPfSubnet: no master named",
    );
  });

  it("refuses a pool without a subnet or with one that does not parse", () => {
    assert.equal(
      masterSubnetProblem({ name: "p" }, master),
      "filterPoolCandidatesByPfSubnet: subnet is empty",
    );
    assert.match(
      masterSubnetProblem({ name: "p", subnet: "10.20.0.0" }, master)!,
      /^filterPoolCandidatesByPfSubnet: failed to parse subnet "10.20.0.0"/,
    );
  });
});
