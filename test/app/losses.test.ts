import { expect } from "chai";
import {
  isBefore,
  lossOfShares,
  lossRows,
  lossTotals,
  sharesBefore,
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

  it("costs the shares held × the share-price drop, rounded down, and nothing for a rise", function () {
    // 54,999.999891 shares × (1.000397 − 0.988332) = 663.5749…
    expect(lossOfShares(54_999_999_891_000_000n, 1_000_397n, 988_332n, 12)).to.equal(663_574_998n);
    expect(lossOfShares(3n, 2n, 1n, 1)).to.equal(0n); // 0.3 → 0
    expect(lossOfShares(10n * E12, 1_000_000n, 1_000_001n, 12)).to.equal(0n);
    expect(lossOfShares(0n, 1_000_000n, 1n, 12)).to.equal(0n);
  });

  it("builds one row per realization, oldest first, with the account's shares then and its cost", function () {
    const transfers = [transfer(10, 0, ZERO, ME, 100n * E12), transfer(20, 4, ZERO, ME, 50n * E12)];
    const events = [realization(30, 1, 950_000n, 900_000n), realization(20, 2, 1_000_000n, 950_000n)];
    const timestamps = new Map([
      [20, 1_000],
      [30, 2_000],
    ]);
    const rows = lossRows(events, timestamps, 12, { address: ME, transfers });
    expect(rows.map((row) => row.blockNumber)).to.deep.equal([20, 30]);
    // Block 20: the realization (log 2) ran before the account's second deposit (log 4) in the same block.
    expect(rows[0].accountShares).to.equal(100n * E12);
    expect(rows[0].accountCost).to.equal(5_000_000n);
    expect(rows[1].accountShares).to.equal(150n * E12);
    expect(rows[1].accountCost).to.equal(7_500_000n);
    expect(rows.map((row) => row.timestamp)).to.deep.equal([1_000, 2_000]);
    expect(lossTotals(rows)).to.deep.equal({
      badDebtAssets: 2_000n,
      coveredByReserve: 200n,
      socializedAssets: 1_800n,
      accountCost: 12_500_000n,
    });

    const anonymous = lossRows(events, timestamps, 12);
    expect(anonymous[0].accountCost).to.equal(undefined);
    expect(lossTotals(anonymous).accountCost).to.equal(0n);
    expect(() => lossRows(events, new Map([[20, 1]]), 12)).to.throw("No timestamp for block 30.");
  });

  it("sums deposits less withdrawals, and gives the gain or loss and the share of the pool", function () {
    const flows = [
      { kind: "deposit" as const, assets: 50_000n },
      { kind: "deposit" as const, assets: 5_000n },
      { kind: "withdraw" as const, assets: 1_000n },
    ];
    expect(netDeposited(flows)).to.equal(54_000n);
    expect(positionSummary(400n, 52_000n, 1_600n, flows)).to.deep.equal({
      shares: 400n,
      value: 52_000n,
      netDeposited: 54_000n,
      gain: -2_000n,
      poolShareE18: WAD / 4n,
    });
    expect(positionSummary(0n, 0n, 0n, []).poolShareE18).to.equal(0n);
  });
});
