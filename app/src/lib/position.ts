/** An LP's position in a pool: what it put in, what it holds now, and its part of the pool. */
import { WAD, mulDivDown } from "../../../keepers/src/model/poolMath";

/** A `Deposit` (assets in) or `Withdraw` (assets out) event whose share owner is the account. */
export interface LpFlow {
  kind: "deposit" | "withdraw";
  assets: bigint;
}

export interface PositionSummary {
  shares: bigint;
  /** What the shares redeem for now (`previewRedeem`), loan-asset units. */
  value: bigint;
  /** Assets deposited less assets withdrawn, over the account's own deposits and withdrawals. */
  netDeposited: bigint;
  /**
   * value − netDeposited: interest earned less losses taken (negative after a write-down larger than the interest).
   * Null once shares moved by transfer: deposits and withdrawals alone then do not tell what the shares cost.
   */
  gain: bigint | null;
  /** shares / totalSupply, 1e18 = the whole pool. */
  poolShareE18: bigint;
}

/** Sums the account's deposits and withdrawals (shares moved by transfer are neither). */
export function netDeposited(flows: readonly LpFlow[]): bigint {
  return flows.reduce((sum, flow) => (flow.kind === "deposit" ? sum + flow.assets : sum - flow.assets), 0n);
}

export function positionSummary(
  shares: bigint,
  value: bigint,
  totalSupply: bigint,
  flows: readonly LpFlow[],
  sharesTransferred: boolean,
): PositionSummary {
  const deposited = netDeposited(flows);
  return {
    shares,
    value,
    netDeposited: deposited,
    gain: sharesTransferred ? null : value - deposited,
    poolShareE18: totalSupply === 0n ? 0n : mulDivDown(shares, WAD, totalSupply),
  };
}
