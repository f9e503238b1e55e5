/**
 * The loss history an LP sees: each `BadDebtRealized` of the pool, and what it cost one account: the shares it held
 * at that moment × the drop in the share price, i.e. its part of the socialized amount, shares × socialized /
 * (total supply + virtual shares) (poolMath.lpShareOfLossDown). The event's share prices are rounded to a unit of
 * the loan asset per whole share, too coarse to multiply by a large position, so the exact drop is used. Shares and
 * total supply are replayed from the pool's `Transfer` events (mints, burns and transfers, in log order): no archive
 * node is needed, and a realization in the same block as the account's own deposit is placed exactly.
 */
import { lpShareOfLossDown } from "../../../keepers/src/model/poolMath";
import type { RealizedBadDebt } from "../../../scripts/lib/poolStatus";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

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

/** A `BadDebtRealized` event with where it sits, as `readPoolStatus` lists them. */
export type Realization = RealizedBadDebt;

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

/** Shares in existence right before the log at `at`, from every mint (from 0) and burn (to 0) of the pool. */
export function totalSupplyBefore(mintsAndBurns: readonly ShareTransfer[], at: LogPosition): bigint {
  let supply = 0n;
  for (const transfer of mintsAndBurns) {
    if (!isBefore(transfer, at)) continue;
    if (transfer.from === ZERO_ADDRESS) supply += transfer.value;
    if (transfer.to === ZERO_ADDRESS) supply -= transfer.value;
  }
  if (supply < 0n) throw new Error(`The pool's mints and burns do not add up (${supply}): some are missing.`);
  return supply;
}

/**
 * One row per realization, oldest first. With an account: the shares it held then and its cost, which needs the
 * pool's mints and burns (`mintsAndBurns`) for the total supply then.
 */
export function lossRows(
  realizations: readonly Realization[],
  timestamps: ReadonlyMap<number, number>,
  account?: { address: string; transfers: readonly ShareTransfer[]; mintsAndBurns: readonly ShareTransfer[] },
): LossRow[] {
  return [...realizations]
    .sort((a, b) => (isBefore(a, b) ? -1 : isBefore(b, a) ? 1 : 0))
    .map((realization) => {
      const timestamp = timestamps.get(realization.blockNumber);
      if (timestamp === undefined) throw new Error(`No timestamp for block ${realization.blockNumber}.`);
      if (account === undefined) return { ...realization, timestamp };
      const accountShares = sharesBefore(account.transfers, account.address, realization);
      const totalSupply = totalSupplyBefore(account.mintsAndBurns, realization);
      const accountCost = lpShareOfLossDown(accountShares, realization.socializedAssets, totalSupply);
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
