import { expect } from "chai";
import {
  isBefore,
  lossRows,
  lossTotals,
  sharesBefore,
  totalSupplyBefore,
  type Realization,
  type ShareTransfer,
} from "../../app/src/lib/losses";
import { netDeposited, positionSummary } from "../../app/src/lib/position";
import { WAD } from "../../keepers/src/model/poolMath";

const ZERO = "0x0000000000000000000000000000000000000000";
const ME = "0x00000000000000000000000000000000000000aA";
const OTHER = "0x00000000000000000000000000000000000000bB";
const E12 = 10n ** 12n;

const transfer = (blockNumber: number, logIndex: number, from: string, to: string, value: bigint): ShareTransfer => ({
  blockNumber,
  logIndex,
  from,
  to,
  value,
});

function realization(blockNumber: number, logIndex: number, before: bigint, after: bigint): Realization {
  return {
    blockNumber,
    logIndex,
    transactionHash: `0x${blockNumber.toString(16).padStart(64, "0")}`,
    borrower: OTHER,
    badDebtAssets: 1_000n,
    coveredByReserve: 100n,
    socializedAssets: 900n,
    sharePriceBefore: before,
    sharePriceAfter: after,
  };
}

describe("app: loss history and position (app/src/lib/losses.ts, position.ts)", function () {
  it("orders logs by block, then log index", function () {
    expect(isBefore({ blockNumber: 5, logIndex: 9 }, { blockNumber: 6, logIndex: 0 })).to.equal(true);
    expect(isBefore({ blockNumber: 6, logIndex: 1 }, { blockNumber: 6, logIndex: 2 })).to.equal(true);
    expect(isBefore({ blockNumber: 6, logIndex: 2 }, { blockNumber: 6, logIndex: 2 })).to.equal(false);
  });

  it("replays the account's share transfers up to a log, placing same-block events exactly", function () {
    const transfers = [
      transfer(10, 0, ZERO, ME, 100n * E12), // deposit (mint)
      transfer(12, 3, ME, OTHER, 30n * E12), // sent away
      transfer(12, 7, OTHER, ME, 5n * E12), // received back later in the same block
      transfer(14, 1, ME, ZERO, 10n * E12), // redeemed (burn)
    ];
    expect(sharesBefore(transfers, ME, { blockNumber: 10, logIndex: 0 })).to.equal(0n);
    expect(sharesBefore(transfers, ME, { blockNumber: 12, logIndex: 3 })).to.equal(100n * E12);
    expect(sharesBefore(transfers, ME, { blockNumber: 12, logIndex: 5 })).to.equal(70n * E12);
    expect(sharesBefore(transfers, ME, { blockNumber: 13, logIndex: 0 })).to.equal(75n * E12);
    expect(sharesBefore(transfers, ME.toLowerCase(), { blockNumber: 99, logIndex: 0 })).to.equal(65n * E12);
    expect(() => sharesBefore([transfer(1, 0, ME, OTHER, 1n)], ME, { blockNumber: 2, logIndex: 0 })).to.throw(
      "do not add up",
    );
  });

  it("replays the total supply from mints and burns", function () {
    const mintsAndBurns = [
      transfer(10, 0, ZERO, ME, 100n * E12),
      transfer(11, 2, ZERO, OTHER, 50n * E12),
      transfer(12, 1, OTHER, ZERO, 20n * E12),
    ];
    expect(totalSupplyBefore(mintsAndBurns, { blockNumber: 10, logIndex: 0 })).to.equal(0n);
    expect(totalSupplyBefore(mintsAndBurns, { blockNumber: 12, logIndex: 0 })).to.equal(150n * E12);
    expect(totalSupplyBefore(mintsAndBurns, { blockNumber: 12, logIndex: 2 })).to.equal(130n * E12);
    expect(() => totalSupplyBefore([transfer(1, 0, OTHER, ZERO, 1n)], { blockNumber: 2, logIndex: 0 })).to.throw(
      "do not add up",
    );
  });

  it("costs each row at the account's shares × socialized / (total supply then + 10**6 virtual shares)", function () {
    const transfers = [transfer(10, 0, ZERO, ME, 100n * E12), transfer(20, 4, ZERO, ME, 50n * E12)];
    // Another LP holds 300 shares from block 9: the supply is 400 then 450 (all × 1e12).
    const mintsAndBurns = [transfer(9, 0, ZERO, OTHER, 300n * E12), ...transfers];
    const events = [realization(30, 1, 950_000n, 900_000n), realization(20, 2, 1_000_000n, 950_000n)];
    const timestamps = new Map([
      [20, 1_000],
      [30, 2_000],
    ]);
    const rows = lossRows(events, timestamps, { address: ME, transfers, mintsAndBurns });
    expect(rows.map((row) => row.blockNumber)).to.deep.equal([20, 30]);
    // Block 20: the realization (log 2) ran before the account's second deposit (log 4) in the same block.
    expect(rows[0].accountShares).to.equal(100n * E12);
    expect(rows[1].accountShares).to.equal(150n * E12);
    // 900 socialized each time: 100/400 of it is 225, less the virtual shares' part → 224; 150/450 → 299.
    expect(rows.map((row) => row.accountCost)).to.deep.equal([224n, 299n]);
    expect(rows.map((row) => row.timestamp)).to.deep.equal([1_000, 2_000]);
    expect(lossTotals(rows)).to.deep.equal({
      badDebtAssets: 2_000n,
      coveredByReserve: 200n,
      socializedAssets: 1_800n,
      accountCost: 523n,
    });

    const anonymous = lossRows(events, timestamps);
    expect(anonymous[0].accountCost).to.equal(undefined);
    expect(lossTotals(anonymous).accountCost).to.equal(0n);
    expect(() => lossRows(events, new Map([[20, 1]]))).to.throw("No timestamp for block 30.");
  });

  it("sums deposits less withdrawals, and gives the gain or loss and the share of the pool", function () {
    const flows = [
      { kind: "deposit" as const, assets: 50_000n },
      { kind: "deposit" as const, assets: 5_000n },
      { kind: "withdraw" as const, assets: 1_000n },
    ];
    expect(netDeposited(flows)).to.equal(54_000n);
    expect(positionSummary(400n, 52_000n, 1_600n, flows, false)).to.deep.equal({
      shares: 400n,
      value: 52_000n,
      netDeposited: 54_000n,
      gain: -2_000n,
      poolShareE18: WAD / 4n,
    });
    expect(positionSummary(0n, 0n, 0n, [], false).poolShareE18).to.equal(0n);
    // Shares moved by transfer: no gain figure rather than a wrong one.
    expect(positionSummary(400n, 52_000n, 1_600n, flows, true).gain).to.equal(null);
  });
});
