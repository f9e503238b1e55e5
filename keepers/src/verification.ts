/**
 * Verification of the keeper's own transactions against the model in `model/poolMath.ts`.
 *
 * Realizations (`BadDebtRealized` of a liquidation, a close or a socialization): the transaction is replayed in the
 * model from the exact state it ran on, the pool's stored state at the last accrual (read at the block of that accrual,
 * where views add no interest), accrued by the model to the inclusion block's timestamp, as the contract does. The
 * event must show reserve cover + socialized = residual debt, the bad debt and the cover of the model (±1 wei), and
 * the EXIT share price (`sharePrice()`, net of the recognized shortfall the reserve does not cover) before and after
 * the write-off, the account's recognized shortfall leaving the total. If another pool transaction ran earlier in the
 * same block, an exact replay is impossible: the result is "inconclusive".
 *
 * Recognitions (`ShortfallUpdated` of a `recognizeLosses` batch): checked on the state right after the transaction,
 * the inclusion block's state when no later pool transaction of that block could have changed it (else
 * "inconclusive"; a later recognition of other accounts, such as the next batch of a split one, cannot). There the model
 * values each account of the batch (debt at the block's accrued totals, recovery at the block's prices, a failed
 * oracle's collateral at its last trusted price while that is recent, else at 0): each event's `shortfallAfter` must
 * equal the model's shortfall, an account without an event must already have recorded it, each `shortfallBefore` the
 * value recorded before, and the running totals must add up to the pool's `totalRecognizedShortfall`. A mismatch while
 * an oracle price moved inside the inclusion block is "inconclusive" (the update may have come after the recognition).
 *
 * A mismatch is an error log and `keeper_verification_failures_total`.
 */
import type { BlockTag, Log, Provider, TransactionReceipt } from "ethers";
import { IPool__factory } from "../../typechain-types";
import {
  accrue,
  exitLpAssets,
  exitSharePrice,
  recognizeLosses,
  realizeBadDebt,
  sharePrice,
  zeroFloorSub,
  type PoolTotals,
} from "./model/poolMath";
import { closeQuoteFor, quoteFor, type AccountSnapshot, type PoolSnapshot, type PositionReader } from "./positions";
import type { JournalEntry } from "./state";

const poolInterface = IPool__factory.createInterface();
const SHORTFALL_TOPIC = poolInterface.getEvent("ShortfallUpdated").topicHash;
const TRUSTED_PRICE_TOPIC = poolInterface.getEvent("LastTrustedPriceUpdated").topicHash;
const topicAccount = (topic: string): string => `0x${topic.slice(26)}`.toLowerCase();

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
  /** totalAssets() (the exit figure) just before the write-off. */
  exitAssetsBefore: bigint;
  /** The account's recognized shortfall, which the realization removes from the total. */
  recognizedShortfall: bigint;
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

/** A `ShortfallUpdated` event. */
export interface ShortfallEvent {
  account: string;
  shortfallBefore: bigint;
  shortfallAfter: bigint;
  totalShortfall: bigint;
}

/** The model's view of one account of a recognition batch, on the state right after it. */
export interface RecognizedAccount {
  account: string;
  debt: bigint;
  recoveryValue: bigint;
  /** The model's shortfall: what the pool must have recorded. */
  shortfall: bigint;
}

export type RecognitionVerification =
  | { status: "verified"; events: ShortfallEvent[]; accounts: RecognizedAccount[] }
  | { status: "mismatch"; events: ShortfallEvent[]; accounts: RecognizedAccount[]; problems: string[] }
  | { status: "inconclusive"; events: ShortfallEvent[]; reason: string };

/**
 * Where the recognition verifier reads positions at the inclusion block: the keeper's event mirror when it has indexed
 * exactly that block (no call per account), else the pool's getters.
 */
export type PositionSource = (
  snapshot: PoolSnapshot,
  accounts: readonly string[],
  block: number,
) => Promise<AccountSnapshot[]>;

const within = (a: bigint, b: bigint, tolerance: bigint): boolean => (a > b ? a - b : b - a) <= tolerance;
const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

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

export function shortfallEvents(pool: string, logs: readonly Log[]): ShortfallEvent[] {
  return logs
    .filter((log) => sameAddress(log.address, pool) && log.topics[0] === SHORTFALL_TOPIC)
    .map((log) => {
      const [account, shortfallBefore, shortfallAfter, totalShortfall] = poolInterface.parseLog(log)!.args;
      return { account, shortfallBefore, shortfallAfter, totalShortfall };
    });
}

export class Verifier {
  constructor(
    private readonly provider: Provider,
    private readonly reader: PositionReader,
  ) {}

  async verify(entry: JournalEntry, receipt: TransactionReceipt): Promise<VerificationResult> {
    const event = realizationEvents(entry.pool, receipt.logs).find((candidate) =>
      sameAddress(candidate.borrower, entry.borrower),
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
    const replay = await this.expectedRealization(entry, receipt);
    if (typeof replay === "string") return { status: "inconclusive", event, reason: replay };
    const { expected, totalsBefore, supply, shareDecimals } = replay;

    if (!within(event.badDebtAssets, expected.badDebtAssets, 1n)) {
      problems.push(`badDebt ${event.badDebtAssets} != model ${expected.badDebtAssets} (±1)`);
    }
    if (!within(event.coveredByReserve, expected.coveredByReserve, 1n)) {
      problems.push(`coveredByReserve ${event.coveredByReserve} != model ${expected.coveredByReserve} (±1)`);
    }
    if (event.sharePriceBefore !== expected.sharePriceBefore) {
      problems.push(`sharePriceBefore ${event.sharePriceBefore} != model exit price ${expected.sharePriceBefore}`);
    }
    // The exit price after the write-off, from the event's own figures: LP assets − socialized, reserve − its cover,
    // the account's recognized shortfall out of the total.
    const exitAfter = exitLpAssets(
      totalsBefore.totalLpAssets - event.socializedAssets,
      zeroFloorSub(totalsBefore.reserveAssets, event.coveredByReserve),
      zeroFloorSub(totalsBefore.totalShortfallAssets, expected.recognizedShortfall),
    );
    const priceAfterFromEvent = sharePrice(exitAfter, supply, shareDecimals);
    if (event.sharePriceAfter !== priceAfterFromEvent) {
      problems.push(
        `sharePriceAfter ${event.sharePriceAfter} != exit price after the event's write-off ${priceAfterFromEvent}`,
      );
    }
    if (event.sharePriceAfter !== expected.sharePriceAfter) {
      problems.push(`sharePriceAfter ${event.sharePriceAfter} != model exit price ${expected.sharePriceAfter}`);
    }
    return problems.length === 0
      ? { status: "verified", event, expected }
      : { status: "mismatch", event, expected, problems };
  }

  /** The model's realization from the stored state before the transaction, accrued to its block. */
  private async expectedRealization(
    entry: JournalEntry,
    receipt: TransactionReceipt,
  ): Promise<{ expected: Expected; totalsBefore: PoolTotals; supply: bigint; shareDecimals: bigint } | string> {
    const parentBlock = receipt.blockNumber - 1;
    const pool = this.reader.pool(entry.pool);
    const accrued = await this.accruedTotals(entry.pool, receipt);
    if (typeof accrued === "string") return accrued;
    const { totals } = accrued;
    const [supply, borrowShares, recognizedShortfall, { shareDecimals }] = await Promise.all([
      pool.totalSupply({ blockTag: parentBlock }),
      pool.borrowSharesOf(entry.borrower, { blockTag: parentBlock }),
      pool.recognizedShortfall(entry.borrower, { blockTag: parentBlock }),
      this.reader.poolStatics(entry.pool),
    ]);

    let totalsBefore: PoolTotals = totals;
    let sharesToRealize = borrowShares;
    if (entry.action === "liquidate" || entry.action === "close") {
      const snapshot = await this.reader.poolSnapshot(entry.pool, parentBlock);
      snapshot.totalBorrowAssets = totals.totalBorrowAssets;
      snapshot.totalBorrowShares = totals.totalBorrowShares;
      const account = await this.reader.accountSnapshot(snapshot, entry.borrower, parentBlock);
      let repaid: { repaidAssets: bigint; repaidShares: bigint };
      if (entry.action === "liquidate") {
        const quote = quoteFor(snapshot, account, entry.collateral ?? "", BigInt(entry.repayAssets ?? "0"));
        if (quote === null || !quote.realizesBadDebt) return "the model does not realize bad debt for this liquidation";
        repaid = quote;
      } else {
        const result = closeQuoteFor(snapshot, account, BigInt(entry.minSeizedValue ?? "0"));
        if ("refusal" in result) return `the model's close reverts with ${result.refusal.error}`;
        if (!result.quote.realizesBadDebt) return "the model's close does not realize bad debt";
        repaid = result.quote;
      }
      totalsBefore = {
        ...totals,
        totalBorrowAssets: zeroFloorSub(totals.totalBorrowAssets, repaid.repaidAssets),
        totalBorrowShares: totals.totalBorrowShares - repaid.repaidShares,
      };
      sharesToRealize = borrowShares - repaid.repaidShares;
    }
    const realization = realizeBadDebt(totalsBefore, sharesToRealize, recognizedShortfall);
    return {
      expected: {
        badDebtAssets: realization.badDebtAssets,
        coveredByReserve: realization.coveredByReserve,
        socializedAssets: realization.socializedAssets,
        exitAssetsBefore: exitLpAssets(
          totalsBefore.totalLpAssets,
          totalsBefore.reserveAssets,
          totalsBefore.totalShortfallAssets,
        ),
        recognizedShortfall,
        sharePriceBefore: exitSharePrice(totalsBefore, supply, shareDecimals),
        sharePriceAfter: exitSharePrice(realization.totalsAfter, supply, shareDecimals),
      },
      totalsBefore,
      supply,
      shareDecimals,
    };
  }

  /**
   * The pool's totals as the transaction in `receipt` found them after its own accrual: the stored state at the last
   * accrual before its block, accrued by the model to the block's timestamp; the recognized total from the parent.
   */
  private async accruedTotals(
    poolAddress: string,
    receipt: TransactionReceipt,
  ): Promise<{ totals: PoolTotals } | string> {
    const parentBlock = receipt.blockNumber - 1;
    const pool = this.reader.pool(poolAddress);
    const [includedBlock, lastAccrual] = await Promise.all([
      this.provider.getBlock(receipt.blockNumber),
      pool.lastAccrualTimestamp({ blockTag: parentBlock }),
    ]);
    if (includedBlock === null) return "inclusion block not found";
    const accrualBlock = await this.blockWithTimestamp(Number(lastAccrual), parentBlock);
    if (accrualBlock === undefined) return `no block with the last accrual's timestamp ${lastAccrual}`;

    // At the accrual block no time has passed since the accrual: the views return the stored values.
    const stored: BlockTag = accrualBlock;
    const [
      totalLpAssets,
      reserveAssets,
      totalBorrowAssets,
      totalBorrowShares,
      ratePerSecond,
      reserveFactorBps,
      totalShortfallAssets,
    ] = await Promise.all([
      pool.entryTotalAssets({ blockTag: stored }),
      pool.reserveAssets({ blockTag: stored }),
      pool.totalBorrowAssets({ blockTag: stored }),
      pool.totalBorrowShares({ blockTag: stored }),
      pool.borrowRatePerSecond({ blockTag: stored }),
      pool.reserveFactorBps({ blockTag: parentBlock }),
      pool.totalRecognizedShortfall({ blockTag: parentBlock }),
    ]);
    return {
      totals: accrue(
        { totalLpAssets, reserveAssets, totalBorrowAssets, totalBorrowShares, totalShortfallAssets },
        ratePerSecond,
        BigInt(includedBlock.timestamp) - lastAccrual,
        reserveFactorBps,
      ),
    };
  }

  /**
   * Checks a `recognizeLosses` transaction of the keeper: every account of `entry.accounts` against the model on the
   * state right after it (see the file comment). `positions` reads the accounts at the inclusion block.
   */
  async verifyRecognition(
    entry: JournalEntry,
    receipt: TransactionReceipt,
    positions: PositionSource = (snapshot, accounts, block) =>
      Promise.all(accounts.map((account) => this.reader.accountSnapshot(snapshot, account, block))),
  ): Promise<RecognitionVerification> {
    const events = shortfallEvents(entry.pool, receipt.logs);
    const accounts = entry.accounts ?? [];
    const blockLogs = await this.provider.getLogs({ address: entry.pool, blockHash: receipt.blockHash });
    // A later transaction of the block that only recognized other accounts (same block: no accrual) changed nothing
    // this check reads but the pool's total; anything else may have.
    const batch = new Set(accounts.map((account) => account.toLowerCase()));
    const later = blockLogs.filter((log) => log.transactionIndex > receipt.index);
    const laterHarmless = later.every(
      (log) =>
        log.topics[0] === TRUSTED_PRICE_TOPIC ||
        (log.topics[0] === SHORTFALL_TOPIC && !batch.has(topicAccount(log.topics[1]))),
    );
    if (!laterHarmless) {
      return { status: "inconclusive", events, reason: "a later pool transaction in the same block changed the state" };
    }
    const block = receipt.blockNumber;
    const pool = this.reader.pool(entry.pool);
    const [snapshot, totalAfter] = await Promise.all([
      this.reader.poolSnapshot(entry.pool, block),
      pool.totalRecognizedShortfall({ blockTag: block }),
    ]);
    const valued = await positions(snapshot, accounts, block);
    const modelAccounts: RecognizedAccount[] = valued.map((account) => ({
      account: account.account,
      debt: account.liquidity.debt,
      recoveryValue: account.recoveryValue,
      shortfall: account.shortfall,
    }));

    // The recorded values before: from the scan that decided the batch when it read the parent block and no earlier
    // transaction of the block updated that account's shortfall; otherwise the events' own `shortfallBefore`.
    const touchedEarlier = new Set(
      blockLogs
        .filter((log) => log.transactionIndex < receipt.index && log.topics[0] === SHORTFALL_TOPIC)
        .map((log) => topicAccount(log.topics[1])),
    );
    const scanIsParent = entry.detectedBlock === block - 1 && entry.recordedAtScan !== undefined;
    const problems: string[] = [];
    const before = accounts.map((account, index) => {
      const event = events.find((candidate) => sameAddress(candidate.account, account));
      if (scanIsParent && !touchedEarlier.has(account.toLowerCase())) return BigInt(entry.recordedAtScan![index]);
      return event?.shortfallBefore ?? modelAccounts[index].shortfall;
    });
    const earlierTotals = blockLogs.filter(
      (log) => log.transactionIndex < receipt.index && log.topics[0] === SHORTFALL_TOPIC,
    );
    const totalBefore =
      earlierTotals.length > 0
        ? (poolInterface.parseLog(earlierTotals[earlierTotals.length - 1])!.args.totalShortfall as bigint)
        : await pool.totalRecognizedShortfall({ blockTag: block - 1 });

    // The model's call: each account set to its shortfall, events only for changes, the running total.
    const model = recognizeLosses(
      modelAccounts.map((account, index) => ({
        recordedShortfall: before[index],
        debt: account.debt,
        recovery: account.recoveryValue,
      })),
      totalBefore,
    );
    const expectedEvents = model.changes.map((change) => ({ account: accounts[change.index], ...change }));
    for (const account of accounts) {
      const actual = events.find((event) => sameAddress(event.account, account));
      const wanted = expectedEvents.find((event) => sameAddress(event.account, account));
      if (actual === undefined && wanted === undefined) continue;
      if (actual === undefined) {
        problems.push(`${account}: no ShortfallUpdated, model ${wanted!.shortfallBefore} -> ${wanted!.shortfallAfter}`);
      } else if (wanted === undefined) {
        problems.push(
          `${account}: ShortfallUpdated ${actual.shortfallBefore} -> ${actual.shortfallAfter}, model: no change`,
        );
      } else {
        for (const field of ["shortfallBefore", "shortfallAfter", "totalShortfall"] as const) {
          if (actual[field] !== wanted[field])
            problems.push(`${account}: ${field} ${actual[field]} != model ${wanted[field]}`);
        }
      }
    }
    if (events.length !== expectedEvents.length) {
      problems.push(`${events.length} ShortfallUpdated events, model ${expectedEvents.length}`);
    }
    for (const [index, account] of modelAccounts.entries()) {
      const recorded = valued[index].recognizedShortfall;
      if (recorded !== account.shortfall) {
        problems.push(`${account.account}: recorded ${recorded} after the call != model ${account.shortfall}`);
      }
    }
    if (later.length === 0 && totalAfter !== model.totalShortfall) {
      problems.push(`totalRecognizedShortfall ${totalAfter} != model ${model.totalShortfall}`);
    }
    if (problems.length === 0) return { status: "verified", events, accounts: modelAccounts };

    const parent = await this.reader.poolSnapshot(entry.pool, block - 1);
    const moved = parent.collaterals.some(
      (collateral, index) =>
        collateral.priceE36 !== snapshot.collaterals[index]?.priceE36 ||
        collateral.priced !== snapshot.collaterals[index]?.priced ||
        collateral.expired !== snapshot.collaterals[index]?.expired,
    );
    if (moved) {
      return { status: "inconclusive", events, reason: "an oracle price moved in the inclusion block" };
    }
    return { status: "mismatch", events, accounts: modelAccounts, problems };
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
