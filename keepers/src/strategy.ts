/**
 * Strategy: what to do with one account, from the same bigint model as the contracts.
 * - An account with only dust collateral (at most the dust threshold, and less than its debt) is socialized: the dust
 *   pays the caller, and realizing the loss at once matters more than a bonus.
 * - An insolvent account (its collateral would recover less than its debt if all of it were liquidated) is closed in
 *   one call, `closeInsolventAccount`: every collateral with a live price is seized at its own bonus and the residual
 *   debt is realized in the same transaction. `minSeizedValue` is the model's seized value less
 *   `CLOSE_SEIZED_VALUE_TOLERANCE_BPS`.
 * - A liquidatable but solvent account is liquidated: every collateral with a live price is tried at the largest
 *   repayment the close factor, the dust rule and the keeper's balance allow, and the one with the largest bonus kept.
 * - An account holding a collateral with neither a live nor a recent trusted price (expired) is skipped: the pool
 *   refuses to liquidate, close or socialize it (`PriceUnavailable`).
 * The profit of a close or a liquidation is its bonus minus the gas at the current fee, in loan-asset units.
 */
import {
  MAX_UINT256,
  bpsDown,
  canSocialize,
  healthFactorDown,
  mulDivUp,
  quoteLiquidation,
  realizeBadDebt,
  WAD,
  type CloseQuote,
  type LiquidationQuote,
} from "./model/poolMath";
import { closeQuoteFor, type AccountSnapshot, type PoolSnapshot } from "./positions";

/** Gas units a call needs, from the committed gas snapshot plus a margin; refined by `estimateGas` before sending. */
export const GAS_UNITS_ESTIMATE = {
  liquidate: 160_000n,
  liquidateRealizingBadDebt: 170_000n,
  socialize: 130_000n,
  /** `closeInsolventAccount` seizing one collateral; each further collateral adds `closePerExtraCollateral`. */
  close: 170_000n,
  closePerExtraCollateral: 45_000n,
} as const;

/**
 * A close's `minSeizedValue` is the model's seized value less this (0.5%): room for an oracle update between the scan
 * and the inclusion, while refusing a close whose collateral was mostly taken by someone else first.
 */
export const CLOSE_SEIZED_VALUE_TOLERANCE_BPS = 50n;

export interface FeeContext {
  /** Fee per gas the keeper expects to pay: base fee + priority fee, in wei. */
  gasPriceWei: bigint;
  /** Whole loan-asset units per whole native token, ×1e18. */
  nativePriceE18: bigint;
}

export interface LiquidationPlan {
  kind: "liquidate";
  pool: string;
  borrower: string;
  collateral: string;
  /** `repayAssets` argument: the keeper's budget; the pool takes at most the allowed repayment. */
  repayAssets: bigint;
  minSeizedCollateral: bigint;
  quote: LiquidationQuote;
  gasUnits: bigint;
  gasCostLoanAssets: bigint;
  expectedProfitLoanAssets: bigint;
}

export interface SocializePlan {
  kind: "socialize";
  pool: string;
  borrower: string;
  expectedBadDebtAssets: bigint;
  gasUnits: bigint;
}

export interface ClosePlan {
  kind: "close";
  pool: string;
  borrower: string;
  /** `minSeizedValue` argument: the quote's seized value less the tolerance. */
  minSeizedValue: bigint;
  quote: CloseQuote;
  gasUnits: bigint;
  gasCostLoanAssets: bigint;
  expectedProfitLoanAssets: bigint;
}

export type SkipReason =
  | "healthy"
  | "unprofitable"
  | "insufficient_balance"
  | "not_liquidatable_by_model"
  /** It holds a collateral with neither a live nor a recent trusted price: the pool reverts `PriceUnavailable`. */
  | "unpriced";

export interface Skip {
  kind: "skip";
  pool: string;
  borrower: string;
  /** The call that was considered: a close for an insolvent account, a liquidation otherwise. */
  action: "liquidate" | "close";
  reason: SkipReason;
  detail: string;
}

export type Decision = LiquidationPlan | SocializePlan | ClosePlan | Skip;

/** Gas cost in loan-asset units (smallest unit), rounded up: wei × price × 10^decimals / 1e36. */
export function gasCostInLoanAssets(gasUnits: bigint, fees: FeeContext, loanDecimals: number): bigint {
  return mulDivUp(gasUnits * fees.gasPriceWei, fees.nativePriceE18 * 10n ** BigInt(loanDecimals), WAD * WAD);
}

/** Loan-asset units (smallest unit) in wei, rounded down: the most gas money an amount of profit pays for. */
export function loanAssetsInWei(loanAssets: bigint, nativePriceE18: bigint, loanDecimals: number): bigint {
  if (nativePriceE18 === 0n) return 0n;
  return (loanAssets * WAD * WAD) / (nativePriceE18 * 10n ** BigInt(loanDecimals));
}

export interface DecisionInputs {
  /** Loan assets the keeper can repay with (its balance, or less by config). */
  repayBudget: bigint;
  minProfitLoanAssets: bigint;
  fees: FeeContext;
}

/** The best action for one account, or why there is none. */
export function decide(pool: PoolSnapshot, account: AccountSnapshot, inputs: DecisionInputs): Decision {
  const base = { pool: pool.address, borrower: account.account };
  const { liquidity } = account;
  if (account.expiredCollaterals.length > 0) {
    // Its expired collateral counts as 0 here, so it would look like dust: the pool refuses every call on it.
    return {
      kind: "skip",
      ...base,
      action: account.recoveryValue < liquidity.debt ? "close" : "liquidate",
      reason: "unpriced",
      detail:
        `the oracle of ${account.expiredCollaterals.join(", ")} fails and its last trusted price is older than ` +
        "MAX_TRUSTED_PRICE_AGE: the pool reverts PriceUnavailable",
    };
  }
  if (canSocialize(liquidity, pool.liquidationParams.dustThresholdAssets)) {
    const totals = {
      totalLpAssets: 0n,
      reserveAssets: 0n,
      totalBorrowAssets: pool.totalBorrowAssets,
      totalBorrowShares: pool.totalBorrowShares,
      totalShortfallAssets: 0n,
    };
    return {
      kind: "socialize",
      ...base,
      expectedBadDebtAssets: realizeBadDebt(totals, account.borrowShares).badDebtAssets,
      gasUnits: GAS_UNITS_ESTIMATE.socialize,
    };
  }
  if (liquidity.debt > 0n && account.recoveryValue < liquidity.debt) return decideClose(pool, account, inputs);
  if (healthFactorDown(liquidity.liquidationLimit, liquidity.debt) >= WAD) {
    return {
      kind: "skip",
      ...base,
      action: "liquidate",
      reason: "healthy",
      detail: "health factor at or above 1",
    };
  }

  let best: LiquidationPlan | undefined;
  let blockedByBalance = false;
  pool.collaterals.forEach((collateral, index) => {
    const collateralBalance = account.collateralBalances[index];
    // The pool seizes only a collateral whose oracle answers (`PriceUnavailable`).
    if (collateralBalance === 0n || !collateral.priced) return;
    const input = {
      liquidity,
      borrowShares: account.borrowShares,
      totalBorrowAssets: pool.totalBorrowAssets,
      totalBorrowShares: pool.totalBorrowShares,
      collateralBalance,
      priceE36: collateral.priceE36,
      bonusBps: collateral.liquidationBonusBps,
      params: pool.liquidationParams,
    };
    const quote = quoteLiquidation({
      ...input,
      repayAssets: inputs.repayBudget,
    });
    if (quote === null) {
      if (quoteLiquidation({ ...input, repayAssets: MAX_UINT256 }) !== null) blockedByBalance = true;
      return;
    }
    const gasUnits = quote.realizesBadDebt
      ? GAS_UNITS_ESTIMATE.liquidateRealizingBadDebt
      : GAS_UNITS_ESTIMATE.liquidate;
    const gasCostLoanAssets = gasCostInLoanAssets(gasUnits, inputs.fees, pool.loanDecimals);
    const plan: LiquidationPlan = {
      kind: "liquidate",
      ...base,
      collateral: collateral.address,
      repayAssets: inputs.repayBudget,
      minSeizedCollateral: quote.seizedCollateral,
      quote,
      gasUnits,
      gasCostLoanAssets,
      expectedProfitLoanAssets: quote.bonusValue - gasCostLoanAssets,
    };
    if (best === undefined || isBetter(plan, best)) best = plan;
  });

  if (best === undefined) {
    return blockedByBalance
      ? {
          kind: "skip",
          ...base,
          action: "liquidate",
          reason: "insufficient_balance",
          detail: `a liquidation needs more than the keeper's ${inputs.repayBudget} loan assets (dust rule)`,
        }
      : {
          kind: "skip",
          ...base,
          action: "liquidate",
          reason: "not_liquidatable_by_model",
          detail: "no collateral yields a valid quote",
        };
  }
  if (best.expectedProfitLoanAssets < inputs.minProfitLoanAssets) {
    return {
      kind: "skip",
      ...base,
      action: "liquidate",
      reason: "unprofitable",
      detail:
        `bonus ${best.quote.bonusValue} - gas ${best.gasCostLoanAssets} = ${best.expectedProfitLoanAssets} ` +
        `< minimum profit ${inputs.minProfitLoanAssets} (loan-asset units)`,
    };
  }
  return best;
}

/** `closeInsolventAccount` for an insolvent account: one call seizing every collateral with a live price. */
function decideClose(pool: PoolSnapshot, account: AccountSnapshot, inputs: DecisionInputs): ClosePlan | Skip {
  const base = { pool: pool.address, borrower: account.account, action: "close" as const };
  const result = closeQuoteFor(pool, account);
  if ("refusal" in result) {
    return {
      kind: "skip",
      ...base,
      reason: "not_liquidatable_by_model",
      detail: `closeInsolventAccount would revert with ${result.refusal.error}`,
    };
  }
  const { quote } = result;
  if (quote.repaidAssets > inputs.repayBudget) {
    return {
      kind: "skip",
      ...base,
      reason: "insufficient_balance",
      detail: `the close repays ${quote.repaidAssets}, more than the keeper's ${inputs.repayBudget} loan assets`,
    };
  }
  const seizedCollaterals = BigInt(quote.seized.filter((seized) => seized.assets > 0n).length);
  const gasUnits =
    GAS_UNITS_ESTIMATE.close +
    GAS_UNITS_ESTIMATE.closePerExtraCollateral * (seizedCollaterals > 1n ? seizedCollaterals - 1n : 0n);
  const gasCostLoanAssets = gasCostInLoanAssets(gasUnits, inputs.fees, pool.loanDecimals);
  const expectedProfitLoanAssets = quote.bonusValue - gasCostLoanAssets;
  if (expectedProfitLoanAssets < inputs.minProfitLoanAssets) {
    return {
      kind: "skip",
      ...base,
      reason: "unprofitable",
      detail:
        `bonus ${quote.bonusValue} - gas ${gasCostLoanAssets} = ${expectedProfitLoanAssets} ` +
        `< minimum profit ${inputs.minProfitLoanAssets} (loan-asset units)`,
    };
  }
  return {
    kind: "close",
    pool: base.pool,
    borrower: base.borrower,
    minSeizedValue: quote.seizedValue - bpsDown(quote.seizedValue, CLOSE_SEIZED_VALUE_TOLERANCE_BPS),
    quote,
    gasUnits,
    gasCostLoanAssets,
    expectedProfitLoanAssets,
  };
}

/** Larger profit wins; at equal profit the call that realizes bad debt (it closes the account). */
function isBetter(candidate: LiquidationPlan, incumbent: LiquidationPlan): boolean {
  if (candidate.expectedProfitLoanAssets !== incumbent.expectedProfitLoanAssets) {
    return candidate.expectedProfitLoanAssets > incumbent.expectedProfitLoanAssets;
  }
  return candidate.quote.realizesBadDebt && !incumbent.quote.realizesBadDebt;
}
