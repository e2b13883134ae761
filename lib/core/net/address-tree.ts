/**
 * A mutable set of addresses of one family, kept as a balanced search tree (a treap) of the
 * same sorted, disjoint, non-adjacent runs an {@link IntervalSet} holds. Adding or deleting one
 * address touches at most two runs and costs O(log runs) expected, where rebuilding an
 * IntervalSet costs O(runs): the agent applies one claim event per address to it, and a pool
 * scattered into tens of thousands of runs made the rebuild per event quadratic at cold start
 * (docs/adr/0009-taken-address-index.md). Reads take an IntervalSet snapshot, built in
 * O(runs) and kept until the next change, so what readers see is exactly the set of addresses
 * added and not deleted since.
 */
import { maxAddress, type IpFamily } from "./address.js";
import { IntervalSet } from "./interval-set.js";
import type { Interval } from "./range-syntax.js";

/** A run of consecutive addresses; `start` is the key, so it changes only where order allows. */
interface Node {
  start: bigint;
  end: bigint;
  readonly priority: number;
  left: Node | undefined;
  right: Node | undefined;
}

export class AddressTree {
  readonly family: IpFamily;
  readonly #max: bigint;
  #root: Node | undefined;
  #size = 0;
  #runs = 0;
  #snapshot: IntervalSet | undefined;
  /** xorshift32 state: priorities are pseudo-random but the same on every run, so is the shape. */
  #seed = 0x9e3779b9;

  constructor(family: IpFamily) {
    this.family = family;
    this.#max = maxAddress(family);
  }

  /** Number of addresses in the set. */
  get size(): number {
    return this.#size;
  }

  /** Number of maximal runs of consecutive addresses (the intervals of the snapshot). */
  get runs(): number {
    return this.#runs;
  }

  has(value: bigint): boolean {
    const run = this.#floor(value);
    return run !== undefined && value <= run.end;
  }

  /**
   * Adds one address, joining it to the run ending just below and the one starting just above.
   * Returns whether it was new. Throws on an address outside the family (a caller bug).
   */
  add(value: bigint): boolean {
    this.#check(value);
    const below = this.#floor(value);
    if (below !== undefined && value <= below.end) return false;
    const above = value < this.#max ? this.#find(value + 1n) : undefined;
    const joinsBelow = below !== undefined && below.end + 1n === value;
    if (joinsBelow && above) {
      below.end = above.end;
      this.#root = remove(this.#root, above.start);
      this.#runs--;
    } else if (joinsBelow) {
      below.end = value;
    } else if (above) {
      above.start = value; // still above every other run's end, so the tree stays ordered
    } else {
      this.#insert({
        start: value,
        end: value,
        priority: this.#nextPriority(),
        left: undefined,
        right: undefined,
      });
      this.#runs++;
    }
    this.#size++;
    this.#snapshot = undefined;
    return true;
  }

  /** Deletes one address, splitting its run when it was inside one. Returns whether it was there. */
  delete(value: bigint): boolean {
    this.#check(value);
    const run = this.#floor(value);
    if (run === undefined || value > run.end) return false;
    if (run.start === run.end) {
      this.#root = remove(this.#root, run.start);
      this.#runs--;
    } else if (run.start === value) {
      run.start = value + 1n;
    } else if (run.end === value) {
      run.end = value - 1n;
    } else {
      const end = run.end;
      run.end = value - 1n;
      this.#insert({
        start: value + 1n,
        end,
        priority: this.#nextPriority(),
        left: undefined,
        right: undefined,
      });
      this.#runs++;
    }
    this.#size--;
    this.#snapshot = undefined;
    return true;
  }

  /** The set as an IntervalSet: O(runs) after a change, free until the next one. */
  toIntervalSet(): IntervalSet {
    if (this.#snapshot) return this.#snapshot;
    const out: Interval[] = [];
    const stack: Node[] = [];
    let n = this.#root;
    while (n || stack.length) {
      while (n) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop() as Node;
      out.push({ start: top.start, end: top.end });
      n = top.right;
    }
    // Already sorted, disjoint and non-adjacent: `of` checks and keeps them in one linear pass.
    this.#snapshot = IntervalSet.of(this.family, out);
    return this.#snapshot;
  }

  /** The run with the greatest start ≤ value. */
  #floor(value: bigint): Node | undefined {
    let best: Node | undefined;
    let n = this.#root;
    while (n) {
      if (n.start <= value) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  /** The run starting exactly at `start`. */
  #find(start: bigint): Node | undefined {
    let n = this.#root;
    while (n && n.start !== start) n = start < n.start ? n.left : n.right;
    return n;
  }

  #insert(node: Node): void {
    const [lo, hi] = split(this.#root, node.start);
    this.#root = merge(merge(lo, node), hi);
  }

  #nextPriority(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed;
  }

  #check(value: bigint): void {
    if (value < 0n || value > this.#max)
      throw new RangeError(`address ${value} is outside IPv${this.family}`);
  }
}

/** The runs starting below `key`, and those starting at or above it. */
function split(n: Node | undefined, key: bigint): [Node | undefined, Node | undefined] {
  if (!n) return [undefined, undefined];
  if (n.start < key) {
    const [lo, hi] = split(n.right, key);
    n.right = lo;
    return [n, hi];
  }
  const [lo, hi] = split(n.left, key);
  n.left = hi;
  return [lo, n];
}

/** Joins two treaps, every start of `a` below every start of `b`; the higher priority goes up. */
function merge(a: Node | undefined, b: Node | undefined): Node | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return a;
  }
  b.left = merge(a, b.left);
  return b;
}

/** The treap without the run starting at `start` (which must be there). */
function remove(n: Node | undefined, start: bigint): Node | undefined {
  if (!n) return undefined;
  if (n.start === start) return merge(n.left, n.right);
  if (start < n.start) n.left = remove(n.left, start);
  else n.right = remove(n.right, start);
  return n;
}
