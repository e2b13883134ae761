import assert from "node:assert/strict";
import { parseCidr, type Cidr } from "../net/cidr.js";
import { checkGateway, checkRoutes } from "./gateway-route-rules.js";
import { checkPoolEntries } from "./range-entry-rules.js";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

describe("gateway-route-rules", () => {
  describe("checkGateway", () => {
    const net = cidr("fd00::/64");
    const entries = (list: string[]) =>
      checkPoolEntries("spec.ips", list, net, "fd00::/64").entries;

    it("accepts no gateway, a gateway outside ips, or an excluded one", () => {
      assert.deepEqual(checkGateway(undefined, net, "fd00::/64", entries(["fd00::1"]), []), []);
      assert.deepEqual(
        checkGateway("fd00::ffff", net, "fd00::/64", entries(["fd00::1-fd00::10"]), []),
        [],
      );
      assert.deepEqual(
        checkGateway(
          "fd00::5",
          net,
          "fd00::/64",
          entries(["fd00::1-fd00::10"]),
          entries(["fd00::4-fd00::6"]),
        ),
        [],
      );
    });

    it("names every ips entry holding the gateway, whatever its spelling", () => {
      const errors = checkGateway(
        "fd00::5",
        net,
        "fd00::/64",
        entries(["fd00::1-fd00::10", "fd00::20", "FD00::0005"]),
        [],
      );
      assert.deepEqual(
        errors.map(e => e.path),
        ["spec.ips[0]", "spec.ips[2]"],
      );
    });

    it("rejects a malformed gateway or one of the other family", () => {
      assert.deepEqual(
        checkGateway("10.0.0.1", net, "fd00::/64", [], []).map(e => e.detail),
        ["invalid IP format in IPv6 '10.0.0.1'"],
      );
    });
  });

  describe("checkRoutes", () => {
    const net = cidr("10.6.0.0/16");
    it("treats any /0 as the default route and equal blocks as duplicates", () => {
      const errors = checkRoutes(
        [
          { dst: "0.0.0.1/0", gw: "10.6.0.1" },
          { dst: "10.7.0.0/16", gw: "10.6.0.1" },
          { dst: "10.7.9.9/16", gw: "10.6.0.1" },
          { dst: "10.8.0.0/16", gw: "10.6.0.999" },
        ],
        4,
        net,
        "10.6.0.0/16",
      );
      assert.deepEqual(
        errors.map(e => [e.code, e.path]),
        [
          ["default_route", "spec.routes[0].dst"],
          ["duplicate_route", "spec.routes[2].dst"],
          ["invalid_route_gateway", "spec.routes[3].gw"],
        ],
      );
    });

    it("accepts a dst with host bits, as Spiderpool does", () => {
      assert.deepEqual(
        checkRoutes([{ dst: "10.7.0.1/16", gw: "10.6.0.1" }], 4, net, "10.6.0.0/16"),
        [],
      );
    });

    it("skips gw containment without a valid subnet", () => {
      assert.deepEqual(
        checkRoutes(
          [
            { dst: "::/0", gw: "fd00::1" },
            { dst: "fd01::/64", gw: "fd02::1" },
          ],
          6,
          undefined,
          "bad",
        ).map(e => e.code),
        ["default_route"],
      );
    });
  });
});
