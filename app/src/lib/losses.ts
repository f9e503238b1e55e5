/**
 * The loss history an LP sees: each `BadDebtRealized` of the pool, and what it cost one account — the shares it
 * held at that moment × the drop in the share price. Shares are replayed from the pool's `Transfer` events (mints,
 * burns and transfers, in log order), so no archive node is needed and a realization in the same block as the
 * account's own deposit is placed exactly.
 */
import { mulDivDown } from "../../../keepers/src/model/poolMath";

/** Where a log sits in the chain. */
export interface LogPosition {
  blockNumber: number;
  logIndex: number;
}

/** A `Transfer` of pool shares (from 0 = mint, to 0 = burn). */
export interface ShareTransfer extends LogPosition {
  from: string;
  to: string;
  value: bigint;
}

/** A `BadDebtRealized` event with where it sits. */
export interface Realization extends LogPosition {
  transactionHash: string;
  borrower: string;
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  /** Loan-asset units per 10**shareDecimals shares, before and after. */
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
}

export interface LossRow extends Realization {
  /** Unix seconds of the block. */
  timestamp: number;
  /** Shares the account held when the realization ran (undefined without an account). */
  accountShares?: bigint;
  /** What the realization cost the account, in loan-asset units, rounded down (undefined without an account). */
  accountCost?: bigint;
}

/** True when `a` comes before `b` in the chain. */
export function isBefore(a: LogPosition, b: LogPosition): boolean {
  return a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);
}

/** `account`'s share balance right before the log at `at`, from every share transfer to or from it. */
export function sharesBefore(transfers: readonly ShareTransfer[], account: string, at: LogPosition): bigint {
  const me = account.toLowerCase();
  let shares = 0n;
  for (const transfer of transfers) {
    if (!isBefore(transfer, at)) continue;
    if (transfer.to.toLowerCase() === me) shares += transfer.value;
    if (transfer.from.toLowerCase() === me) shares -= transfer.value;
  }
  if (shares < 0n) throw new Error(`The share transfers of ${account} do not add up (${shares}): some are missing.`);
  return shares;
}

/** `shares` × (before − after) / 10**shareDecimals, rounded down: loan-asset units the drop took from them. */
export function lossOfShares(
  shares: bigint,
  sharePriceBefore: bigint,
  sharePriceAfter: bigint,
  shareDecimals: number,
): bigint {
  if (sharePriceAfter >= sharePriceBefore) return 0n;
  return mulDivDown(shares, sharePriceBefore - sharePriceAfter, 10n ** BigInt(shareDecimals));
}

/** One row per realization, oldest first, with the account's shares and cost when an account is given. */
export function lossRows(
  realizations: readonly Realization[],
  timestamps: ReadonlyMap<number, number>,
  shareDecimals: number,
  account?: { address: string; transfers: readonly ShareTransfer[] },
): LossRow[] {
  return [...realizations]
    .sort((a, b) => (isBefore(a, b) ? -1 : isBefore(b, a) ? 1 : 0))
    .map((realization) => {
      const timestamp = timestamps.get(realization.blockNumber);
      if (timestamp === undefined) throw new Error(`No timestamp for block ${realization.blockNumber}.`);
      if (account === undefined) return { ...realization, timestamp };
      const accountShares = sharesBefore(account.transfers, account.address, realization);
      const accountCost = lossOfShares(
        accountShares,
        realization.sharePriceBefore,
        realization.sharePriceAfter,
        shareDecimals,
      );
      return { ...realization, timestamp, accountShares, accountCost };
    });
}

export interface LossTotals {
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  accountCost: bigint;
}

/** Sums of the rows' columns. */
export function lossTotals(rows: readonly LossRow[]): LossTotals {
  return rows.reduce<LossTotals>(
    (sum, row) => ({
      badDebtAssets: sum.badDebtAssets + row.badDebtAssets,
      coveredByReserve: sum.coveredByReserve + row.coveredByReserve,
      socializedAssets: sum.socializedAssets + row.socializedAssets,
      accountCost: sum.accountCost + (row.accountCost ?? 0n),
    }),
    { badDebtAssets: 0n, coveredByReserve: 0n, socializedAssets: 0n, accountCost: 0n },
  );
}
