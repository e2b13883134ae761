import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, readAddress, type IpFamily } from "./address.js";
import {
  invalidAddress,
  invalidRangeEntry,
  outsideSubnet,
  rangeOverlap,
  type AddressError,
} from "./address-errors.js";
import { cidrContains, formatCidr, parseCidr, type Cidr } from "./cidr.js";
import { checkSubnetRanges, overlappingRawRanges, type RawInterval } from "./subnet-ranges.js";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function ip(text: string): bigint {
  return readAddress(text)?.value as bigint;
}

function usable(subnet: string, ips: string[], exclude: string[] = []): string[] {
  const checked = checkSubnetRanges(cidr(subnet), ips, exclude);
  if (!checked.ok) throw new Error(checked.error.message);
  return checked.value.usable.toRangeStrings();
}

function failure(subnet: string, ips: string[], exclude: string[] = []): AddressError {
  const checked = checkSubnetRanges(cidr(subnet), ips, exclude);
  assert.equal(checked.ok, false, "expected a failure");
  return (checked as { error: AddressError }).error;
}

describe("subnet-ranges", () => {
  describe("accepted entries", () => {
    it("computes ips minus excludeIPs", () => {
      assert.deepEqual(
        usable(
          "10.6.0.0/16",
          ["10.6.0.1-10.6.0.10", "10.6.0.20"],
          ["10.6.0.5", "10.6.0.9-10.6.0.30"],
        ),
        ["10.6.0.1-10.6.0.4", "10.6.0.6-10.6.0.8"],
      );
    });
    it("accepts adjacent entries (no shared address)", () => {
      assert.deepEqual(usable("10.6.0.0/16", ["10.6.0.1-10.6.0.4", "10.6.0.5"]), [
        "10.6.0.1-10.6.0.5",
      ]);
    });
    it("reads a reversed entry in order, as Spiderpool does here", () => {
      assert.deepEqual(usable("10.6.0.0/16", ["10.6.0.9-10.6.0.1"], ["10.6.0.6-10.6.0.4"]), [
        "10.6.0.1-10.6.0.3",
        "10.6.0.7-10.6.0.9",
      ]);
    });
    it("covers whole /31, /32, /127 and /128 subnets and the edges of /0", () => {
      assert.deepEqual(usable("10.6.0.0/31", ["10.6.0.0-10.6.0.1"]), ["10.6.0.0-10.6.0.1"]);
      assert.deepEqual(usable("10.6.0.7/32", ["10.6.0.7"]), ["10.6.0.7"]);
      assert.deepEqual(usable("fd00::2/127", ["fd00::2-fd00::3"]), ["fd00::2-fd00::3"]);
      assert.deepEqual(usable("fd00::3/128", ["fd00::3"]), ["fd00::3"]);
      assert.deepEqual(usable("0.0.0.0/0", ["0.0.0.0", "255.255.255.255"]), [
        "0.0.0.0",
        "255.255.255.255",
      ]);
      assert.deepEqual(usable("::/0", ["::-::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]), [
        "::-::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      ]);
    });
  });

  describe("rejected entries", () => {
    const cases: Array<[subnet: string, ips: string[], exclude: string[], error: AddressError]> = [
      [
        "10.6.0.0/16",
        ["10.6.0.1-10.6.0.2-10.6.0.3"],
        [],
        invalidRangeEntry("10.6.0.1-10.6.0.2-10.6.0.3"),
      ],
      ["10.6.0.0/16", ["10.6.0.0/24"], [], invalidRangeEntry("10.6.0.0/24")],
      ["10.6.0.0/16", ["10.6.0.1-10.6.0.0/24"], [], invalidAddress("10.6.0.0/24")],
      ["10.6.0.0/16", ["10.6.0.1-abc"], [], invalidAddress("abc")],
      ["10.6.0.0/16", [" 10.6.0.1"], [], invalidAddress(" 10.6.0.1")],
      ["10.6.0.0/16", ["10.6.0.1 - 10.6.0.3"], [], invalidAddress("10.6.0.1 ")],
      ["10.6.0.0/16", ["10.6.0.01"], [], invalidAddress("10.6.0.01")],
      ["10.6.0.0/16", [""], [], invalidAddress("")],
      ["10.6.0.0/16", ["10.7.0.1"], [], outsideSubnet("10.7.0.1", "10.6.0.0/16")],
      ["10.6.0.0/16", ["10.6.0.1-10.7.0.1"], [], outsideSubnet("10.7.0.1", "10.6.0.0/16")],
      ["10.6.0.0/16", ["fd00::1"], [], outsideSubnet("fd00::1", "10.6.0.0/16")],
      ["10.6.0.0/16", ["::ffff:10.6.0.1"], [], outsideSubnet("::ffff:10.6.0.1", "10.6.0.0/16")],
      ["fd00::/64", ["10.6.0.1"], [], outsideSubnet("10.6.0.1", "fd00::/64")],
      ["fd00::2/127", ["fd00::1-fd00::3"], [], outsideSubnet("fd00::1", "fd00::2/127")],
      ["10.6.0.0/16", ["10.6.0.1"], ["10.7.0.1"], outsideSubnet("10.7.0.1", "10.6.0.0/16")],
      ["10.6.0.0/16", ["10.6.0.1"], ["10.6.0.0/24"], invalidRangeEntry("10.6.0.0/24")],
      [
        "10.6.0.0/16",
        ["10.6.0.1-10.6.0.10", "10.6.0.2-10.6.0.5"],
        [],
        rangeOverlap("10.6.0.2-10.6.0.5", "10.6.0.1-10.6.0.10", "covered_by"),
      ],
      [
        "10.6.0.0/16",
        ["10.6.0.1", "10.6.0.1"],
        [],
        rangeOverlap("10.6.0.1", "10.6.0.1", "covered_by"),
      ],
      [
        "10.6.0.0/16",
        ["10.6.0.2-10.6.0.5", "10.6.0.1-10.6.0.10"],
        [],
        rangeOverlap("10.6.0.1-10.6.0.10", "10.6.0.2-10.6.0.5", "covers"),
      ],
      [
        "10.6.0.0/16",
        ["10.6.0.1-10.6.0.5", "10.6.0.3-10.6.0.8"],
        [],
        rangeOverlap("10.6.0.3-10.6.0.8", "10.6.0.1-10.6.0.5", "overlaps"),
      ],
      [
        "10.6.0.0/16",
        ["10.6.0.5-10.6.0.8", "10.6.0.1-10.6.0.5"],
        [],
        rangeOverlap("10.6.0.1-10.6.0.5", "10.6.0.5-10.6.0.8", "overlaps"),
      ],
      [
        "10.6.0.0/16",
        ["10.6.0.10-10.6.0.12", "10.6.0.1-10.6.0.5", "10.6.0.4-10.6.0.11"],
        [],
        rangeOverlap("10.6.0.4-10.6.0.11", "10.6.0.10-10.6.0.12", "overlaps"),
      ],
      [
        "10.6.0.0/16",
        ["10.6.0.9-10.6.0.1", "10.6.0.5"],
        [],
        rangeOverlap("10.6.0.5", "10.6.0.9-10.6.0.1", "covered_by"),
      ],
      [
        "fd00::/64",
        ["fd00::1-fd00::ff", "FD00::10"],
        [],
        rangeOverlap("FD00::10", "fd00::1-fd00::ff", "covered_by"),
      ],
      // An overlap among earlier entries wins over a later parse error, and the reverse.
      [
        "10.6.0.0/16",
        ["10.6.0.1", "10.6.0.1", "bad"],
        [],
        rangeOverlap("10.6.0.1", "10.6.0.1", "covered_by"),
      ],
      ["10.6.0.0/16", ["10.6.0.1", "bad", "10.6.0.1"], [], invalidAddress("bad")],
      [
        "10.6.0.0/16",
        ["10.6.0.1", "10.6.0.1"],
        ["bad"],
        rangeOverlap("10.6.0.1", "10.6.0.1", "covered_by"),
      ],
    ];
    for (const [subnet, ips, exclude, error] of cases) {
      it(`${subnet} ${JSON.stringify(ips)} ${JSON.stringify(exclude)}: ${error.message}`, () => {
        assert.deepEqual(failure(subnet, ips, exclude), error);
      });
    }
  });

  describe("a /64 with thousands of entries", () => {
    const entries = Array.from({ length: 5000 }, (_, i) => {
      const start = ip("fd00:1::") + BigInt(i) * 16n;
      return `${formatAddress(start, 6)}-${formatAddress(start + 9n, 6)}`;
    }).reverse();
    it("accepts them and counts the usable set", () => {
      const checked = checkSubnetRanges(cidr("fd00:1::/64"), entries, ["fd00:1::-fd00:1::ffff"]);
      assert.ok(checked.ok);
      assert.equal(checked.value.usable.size(), 50000n - 4096n * 10n);
      assert.equal(checked.value.pieces.length, 5000 - 4096);
    });
    it("finds a clash added at the end against the earliest entry it meets", () => {
      const clash = [...entries, "fd00:1::5-fd00:1::12"];
      assert.deepEqual(
        failure("fd00:1::/64", clash),
        rangeOverlap("fd00:1::5-fd00:1::12", "fd00:1::10-fd00:1::19", "overlaps"),
      );
    });
  });

  describe("overlappingRawRanges", () => {
    const pieces = (...items: Array<[string, number, number]>): RawInterval[] =>
      items.map(([raw, start, end]) => ({ raw, start: BigInt(start), end: BigInt(end) }));
    it("lists their entries per piece of ours, repeats kept", () => {
      const mine = pieces(["A", 1, 4], ["A", 6, 10]);
      const theirs = pieces(["C", 9, 9], ["B", 3, 7], ["D", 20, 30]);
      assert.deepEqual(overlappingRawRanges(mine, theirs), ["B", "C", "B"]);
      assert.deepEqual(overlappingRawRanges(mine, pieces(["E", 5, 5], ["F", 11, 19])), []);
    });
    it("uses the pieces left after exclusion", () => {
      const ours = checkSubnetRanges(cidr("10.6.0.0/24"), ["10.6.0.1-10.6.0.10"], ["10.6.0.5"]);
      const other = checkSubnetRanges(cidr("10.6.0.0/24"), ["10.6.0.5", "10.6.0.20-10.6.0.30"], []);
      assert.ok(ours.ok && other.ok);
      assert.deepEqual(overlappingRawRanges(ours.value.pieces, other.value.pieces), []);
      const third = checkSubnetRanges(cidr("10.6.0.0/24"), ["10.6.0.2-10.6.0.8"], []);
      assert.ok(third.ok);
      assert.deepEqual(overlappingRawRanges(ours.value.pieces, third.value.pieces), [
        "10.6.0.2-10.6.0.8",
        "10.6.0.2-10.6.0.8",
      ]);
    });
  });

  describe("property: same answers as a direct port of Spiderpool's quadratic NewCIDR", () => {
    const subnets: Array<[IpFamily, string]> = [
      [4, "10.6.0.0/26"],
      [6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffc0/122"],
    ];
    for (const [family, subnetText] of subnets) {
      const subnet = cidr(subnetText);
      // Offsets up to 70 fall outside the /26 (or past the top of IPv6) now and then.
      const end = fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 70 }).map(o => addressText(subnet, o)) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("x", "", "10.6.0.0/28", family === 4 ? "fd00::1" : "10.6.0.1"),
        },
      );
      const entry = fc.oneof(
        { weight: 4, arbitrary: end },
        { weight: 6, arbitrary: fc.tuple(end, end).map(([a, b]) => `${a}-${b}`) },
        { weight: 1, arbitrary: fc.tuple(end, end, end).map(parts => parts.join("-")) },
      );
      it(`IPv${family} ${subnetText}`, () => {
        fc.assert(
          fc.property(
            fc.array(entry, { maxLength: 8 }),
            fc.array(entry, { maxLength: 3 }),
            (ips, exclude) => {
              const expected = referenceNewCidr(subnet, ips, exclude);
              const actual = checkSubnetRanges(subnet, ips, exclude);
              if ("error" in expected) {
                assert.deepEqual(actual, { ok: false, error: expected.error });
              } else {
                assert.ok(actual.ok);
                assert.deepEqual(actual.value.pieces, expected.pieces);
              }
            },
          ),
        );
      });
    }
  });
});

function addressText(subnet: Cidr, offset: number): string {
  const value = subnet.network + BigInt(offset);
  const max = subnet.family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  return formatAddress(value > max ? value - (1n << 8n) : value, subnet.family);
}

/**
 * pkg/ip NewCIDR, line by line: parse, swap a reversed range, compare with every earlier
 * entry, then cut each exclusion out of every piece in turn. Differs from Go only where our
 * module documents it: exclusions are read in order too, and ends of the other family are
 * outside the subnet.
 */
function referenceNewCidr(
  subnet: Cidr,
  ips: readonly string[],
  exclude: readonly string[],
): { error: AddressError } | { pieces: RawInterval[] } {
  const parse = (value: string): { error: AddressError } | { start: bigint; end: bigint } => {
    const parts = value.split("-");
    if (parts.length > 2 || (parts.length === 1 && value.includes("/")))
      return { error: invalidRangeEntry(value) };
    const values: bigint[] = [];
    for (const part of parts) {
      const address = readAddress(part);
      if (address === undefined) return { error: invalidAddress(part) };
      if (!cidrContains(subnet, address)) return { error: outsideSubnet(part, formatCidr(subnet)) };
      values.push(address.value);
    }
    return { start: values[0] as bigint, end: values[values.length - 1] as bigint };
  };
  let ranges: RawInterval[] = [];
  for (const raw of ips) {
    const parsed = parse(raw);
    if ("error" in parsed) return parsed;
    const a =
      parsed.start <= parsed.end
        ? { raw, ...parsed }
        : { raw, start: parsed.end, end: parsed.start };
    for (const b of ranges) {
      if (a.start >= b.start && a.end <= b.end)
        return { error: rangeOverlap(a.raw, b.raw, "covered_by") };
      if (a.start <= b.start && a.end >= b.end)
        return { error: rangeOverlap(a.raw, b.raw, "covers") };
      if (a.start >= b.start && a.start <= b.end)
        return { error: rangeOverlap(a.raw, b.raw, "overlaps") };
      if (a.end >= b.start && a.end <= b.end)
        return { error: rangeOverlap(a.raw, b.raw, "overlaps") };
    }
    ranges.push(a);
  }
  const cuts: Array<{ start: bigint; end: bigint }> = [];
  for (const raw of exclude) {
    const parsed = parse(raw);
    if ("error" in parsed) return parsed;
    cuts.push(parsed.start <= parsed.end ? parsed : { start: parsed.end, end: parsed.start });
  }
  for (const { start: x, end: y } of cuts) {
    const next: RawInterval[] = [];
    for (const e of ranges) {
      if (e.start > y || e.end < x) {
        next.push(e);
        continue;
      }
      if (e.start < x) next.push({ raw: e.raw, start: e.start, end: x - 1n });
      if (e.end > y) next.push({ raw: e.raw, start: y + 1n, end: e.end });
    }
    ranges = next;
  }
  return { pieces: ranges };
}
