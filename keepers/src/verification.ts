/**
 * Verification: after a transaction realized bad debt, replays it in the model from the exact state it ran on and
 * checks the `BadDebtRealized` event: the reserve cover plus the socialized part equal the residual debt (±1 wei), and
 * the share price fell by exactly socialized / total assets. The state it ran on is the pool's stored state at the last
 * accrual (read at the block of that accrual, where views add no interest), accrued by the model to the inclusion
 * block's timestamp, as the contract does. A mismatch is an error log and `keeper_verification_failures_total`.
 */
import type { BlockTag, Log, Provider, TransactionReceipt } from "ethers";
import { IPool__factory } from "../../typechain-types";
import { accrue, realizeBadDebt, sharePrice, zeroFloorSub, type PoolTotals } from "./model/poolMath";
import { quoteFor, type PositionReader } from "./positions";
import type { JournalEntry } from "./state";

const poolInterface = IPool__factory.createInterface();

export interface RealizationEvent {
  borrower: string;
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
}

export interface Expected {
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  totalAssetsBefore: bigint;
}

export type VerificationResult =
  | { status: "no_realization" }
  | { status: "verified"; event: RealizationEvent; expected: Expected }
  | {
      status: "mismatch";
      event: RealizationEvent;
      expected?: Expected;
      problems: string[];
    }
  | { status: "inconclusive"; event: RealizationEvent; reason: string };

const within = (a: bigint, b: bigint, tolerance: bigint): boolean => (a > b ? a - b : b - a) <= tolerance;

export function realizationEvents(pool: string, logs: readonly Log[]): RealizationEvent[] {
  return logs
    .filter((log) => log.address.toLowerCase() === pool.toLowerCase())
    .map((log) => poolInterface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === "BadDebtRealized")
    .map((parsed) => {
      const [borrower, badDebtAssets, coveredByReserve, socializedAssets, sharePriceBefore, sharePriceAfter] =
        parsed!.args;
      return {
        borrower,
        badDebtAssets,
        coveredByReserve,
        socializedAssets,
        sharePriceBefore,
        sharePriceAfter,
      };
    });
}

export class RealizationVerifier {
  constructor(
    private readonly provider: Provider,
    private readonly reader: PositionReader,
  ) {}

  async verify(entry: JournalEntry, receipt: TransactionReceipt): Promise<VerificationResult> {
    const event = realizationEvents(entry.pool, receipt.logs).find(
      (candidate) => candidate.borrower.toLowerCase() === entry.borrower.toLowerCase(),
    );
    if (event === undefined) return { status: "no_realization" };
    const problems: string[] = [];
    if (event.coveredByReserve + event.socializedAssets !== event.badDebtAssets) {
      problems.push(
        `coveredByReserve ${event.coveredByReserve} + socialized ${event.socializedAssets} != badDebt ${event.badDebtAssets}`,
      );
    }

    // Another pool call earlier in the same block changed the state this transaction ran on: no exact replay.
    const sameBlockLogs = await this.provider.getLogs({
      address: entry.pool,
      blockHash: receipt.blockHash,
    });
    if (sameBlockLogs.some((log) => log.transactionIndex < receipt.index)) {
      return {
        status: "inconclusive",
        event,
        reason: "another pool transaction ran earlier in the same block",
      };
    }
    const expected = await this.expectedRealization(entry, receipt);
    if (typeof expected === "string") return { status: "inconclusive", event, reason: expected };

    if (!within(event.badDebtAssets, expected.badDebtAssets, 1n)) {
      problems.push(`badDebt ${event.badDebtAssets} != model ${expected.badDebtAssets} (±1)`);
    }
    if (!within(event.coveredByReserve, expected.coveredByReserve, 1n)) {
      problems.push(`coveredByReserve ${event.coveredByReserve} != model ${expected.coveredByReserve} (±1)`);
    }
    if (event.sharePriceBefore !== expected.sharePriceBefore) {
      problems.push(`sharePriceBefore ${event.sharePriceBefore} != model ${expected.sharePriceBefore}`);
    }
    // The write-down is socialized / total assets: price after = (total assets - socialized) per share, as rounded.
    const { shareDecimals } = await this.reader.poolStatics(entry.pool);
    const supply = await this.reader.pool(entry.pool).totalSupply({ blockTag: receipt.blockNumber });
    const priceAfterFromEvent = sharePrice(expected.totalAssetsBefore - event.socializedAssets, supply, shareDecimals);
    if (event.sharePriceAfter !== priceAfterFromEvent) {
      problems.push(
        `sharePriceAfter ${event.sharePriceAfter} != (totalAssets - socialized) per share ${priceAfterFromEvent}`,
      );
    }
    return problems.length === 0
      ? { status: "verified", event, expected }
      : { status: "mismatch", event, expected, problems };
  }

  /** The model's realization from the stored state before the transaction, accrued to its block. */
  private async expectedRealization(entry: JournalEntry, receipt: TransactionReceipt): Promise<Expected | string> {
    const parentBlock = receipt.blockNumber - 1;
    const pool = this.reader.pool(entry.pool);
    const [includedBlock, lastAccrual] = await Promise.all([
      this.provider.getBlock(receipt.blockNumber),
      pool.lastAccrualTimestamp({ blockTag: parentBlock }),
    ]);
    if (includedBlock === null) return "inclusion block not found";
    const accrualBlock = await this.blockWithTimestamp(Number(lastAccrual), parentBlock);
    if (accrualBlock === undefined) return `no block with the last accrual's timestamp ${lastAccrual}`;

    // At the accrual block no time has passed since the accrual: the views return the stored values.
    const stored: BlockTag = accrualBlock;
    const [totalLpAssets, reserveAssets, totalBorrowAssets, totalBorrowShares, ratePerSecond, reserveFactorBps] =
      await Promise.all([
        pool.totalAssets({ blockTag: stored }),
        pool.reserveAssets({ blockTag: stored }),
        pool.totalBorrowAssets({ blockTag: stored }),
        pool.totalBorrowShares({ blockTag: stored }),
        pool.borrowRatePerSecond({ blockTag: stored }),
        pool.reserveFactorBps({ blockTag: parentBlock }),
      ]);
    const supply = await pool.totalSupply({ blockTag: parentBlock });
    const { shareDecimals } = await this.reader.poolStatics(entry.pool);
    const totals = accrue(
      { totalLpAssets, reserveAssets, totalBorrowAssets, totalBorrowShares },
      ratePerSecond,
      BigInt(includedBlock.timestamp) - lastAccrual,
      reserveFactorBps,
    );
    const borrowShares = await pool.borrowSharesOf(entry.borrower, {
      blockTag: parentBlock,
    });

    let totalsBeforeRealization: PoolTotals = totals;
    let sharesToRealize = borrowShares;
    if (entry.action === "liquidate") {
      const snapshot = await this.reader.poolSnapshot(entry.pool, parentBlock);
      snapshot.totalBorrowAssets = totals.totalBorrowAssets;
      snapshot.totalBorrowShares = totals.totalBorrowShares;
      const account = await this.reader.accountSnapshot(snapshot, entry.borrower, parentBlock);
      const quote = quoteFor(snapshot, account, entry.collateral ?? "", BigInt(entry.repayAssets ?? "0"));
      if (quote === null || !quote.realizesBadDebt) return "the model does not realize bad debt for this liquidation";
      totalsBeforeRealization = {
        ...totals,
        totalBorrowAssets: zeroFloorSub(totals.totalBorrowAssets, quote.repaidAssets),
        totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
      };
      sharesToRealize = borrowShares - quote.repaidShares;
    }
    const realization = realizeBadDebt(totalsBeforeRealization, sharesToRealize);
    return {
      badDebtAssets: realization.badDebtAssets,
      coveredByReserve: realization.coveredByReserve,
      socializedAssets: realization.socializedAssets,
      totalAssetsBefore: totals.totalLpAssets,
      sharePriceBefore: sharePrice(totals.totalLpAssets, supply, shareDecimals),
      sharePriceAfter: sharePrice(realization.totalsAfter.totalLpAssets, supply, shareDecimals),
    };
  }

  /** The block at or before `highest` whose timestamp is `timestamp` (timestamps strictly increase): binary search. */
  private async blockWithTimestamp(timestamp: number, highest: number): Promise<number | undefined> {
    let low = 0;
    let high = highest;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      const block = await this.provider.getBlock(middle);
      if (block === null) return undefined;
      if (block.timestamp <= timestamp) low = middle;
      else high = middle - 1;
    }
    const found = await this.provider.getBlock(low);
    return found !== null && found.timestamp === timestamp ? low : undefined;
  }
}
