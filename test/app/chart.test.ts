import { expect } from "chai";
import { chartGeometry, type PricePoint } from "../../app/src/lib/chart";

const BOX = { width: 120, height: 60, padding: 10 };
/** A point of block `blockNumber` (by default its timestamp: one block per second). */
const point = (timestamp: number, sharePrice: bigint, writeDown = false, blockNumber = timestamp): PricePoint => ({
  timestamp,
  blockNumber,
  sharePrice,
  writeDown,
});

describe("app: share-price chart geometry (app/src/lib/chart.ts)", function () {
  it("draws a step line over time, top = highest price, with a marker at each write-down", function () {
    // Any order in; sorted by time, and the before (1,000) and after (900) points of time 200 keep their order.
    const geometry = chartGeometry(
      [point(200, 1_000n), point(200, 900n, true), point(0, 1_000n), point(100, 1_000n)],
      BOX,
    );
    expect(geometry.path).to.equal("M10,10 H60 V10 H110 V10 H110 V50");
    expect(geometry.minPrice).to.equal(900n);
    expect(geometry.maxPrice).to.equal(1_000n);
    expect(geometry.writeDowns).to.deep.equal([{ x: 110, y: 50 }]);
    expect([geometry.firstTimestamp, geometry.lastTimestamp]).to.deep.equal([0, 200]);
  });

  it("keeps input order for equal times: a write-down drops from its before point", function () {
    const geometry = chartGeometry([point(0, 1_000n), point(50, 1_000n), point(50, 800n, true), point(100, 800n)], BOX);
    expect(geometry.path).to.equal("M10,10 H60 V10 H60 V50 H110 V50");
    expect(geometry.writeDowns).to.deep.equal([{ x: 60, y: 50 }]);
  });

  it("centres a flat series, spans one point across the box and draws nothing without points", function () {
    expect(chartGeometry([point(0, 5n), point(10, 5n)], BOX).path).to.equal("M10,30 H110 V30");
    expect(chartGeometry([point(7, 5n)], BOX).path).to.equal("M10,30 H110");
    expect(chartGeometry([], BOX)).to.deep.equal({
      path: "",
      writeDowns: [],
      minPrice: 0n,
      maxPrice: 0n,
      firstTimestamp: 0,
      lastTimestamp: 0,
    });
  });

  it("scales prices too large for a float without losing their order", function () {
    const base = 10n ** 30n;
    const geometry = chartGeometry([point(0, base + 3n), point(1, base + 2n), point(2, base)], BOX);
    expect(geometry.path).to.equal("M10,10 H60 V23.3 H110 V50");
  });

  it("orders points of one timestamp by block: a sample from before a write-down's block is drawn before it", function () {
    // Blocks 5 and 6 share time 50; the write-down is in block 6, the sample (still 1,000) in block 5.
    const points = [
      point(50, 1_000n, false, 6),
      point(50, 800n, true, 6),
      point(50, 1_000n, false, 5),
      point(0, 1_000n),
    ];
    const geometry = chartGeometry([...points, point(100, 800n)], BOX);
    expect(geometry.path).to.equal("M10,10 H60 V10 H60 V10 H60 V50 H110 V50");
  });
});
