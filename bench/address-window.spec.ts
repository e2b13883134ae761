import assert from "node:assert/strict";
import {
  AddressBook,
  addressAtOffset,
  coversSubnet,
  exactWindow,
  lastAddress,
  offsetInSubnet,
  wideWindow,
  windowRange,
} from "./address-window.js";

describe("bench address-window", () => {
  it("the exact window of 1000 Pods is Whereabouts' 10.x.0.1-10.x.3.232 (offsets 1..1000)", () => {
    const w = exactWindow(1000);
    assert.equal(windowRange(w), "10.200.0.1-10.200.3.232");
    assert.equal(offsetInSubnet(w, lastAddress(w)), 1000);
    assert.equal(coversSubnet(w), false);
  });
  it("the wide window is the whole /16 without network and broadcast", () => {
    const w = wideWindow();
    assert.equal(windowRange(w), "10.201.0.1-10.201.255.254");
    assert.equal(coversSubnet(w), true);
    assert.equal(addressAtOffset(w, 256), "10.201.1.0");
  });
  it("the floors' book hands out each address once until it is released", () => {
    const b = new AddressBook(exactWindow(3));
    const got = [b.take(), b.take(), b.take()];
    assert.deepEqual(got, ["10.200.0.1", "10.200.0.2", "10.200.0.3"]);
    assert.equal(b.take(), undefined);
    b.release("10.200.0.2");
    b.release("10.200.0.2");
    assert.equal(b.take(), "10.200.0.2");
    assert.equal(b.take(), undefined);
    assert.equal(b.held, 3);
  });
});
