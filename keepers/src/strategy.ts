/**
 * Strategy: what to do with one account, from the same bigint model as the contracts. For a liquidatable account it
 * tries every collateral at the largest repayment the close factor, the dust rule and the keeper's balance allow, and
 * keeps the one with the largest bonus; the profit is that bonus minus the gas at the current fee, in loan-asset units.
 * An account with only dust collateral (at most the dust threshold, and less than its debt) is socialized: the dust
 * pays the caller, and realizing the loss at once matters more than a bonus.
 */
import {
  MAX_UINT256,
  canSocialize,
  healthFactorDown,
  mulDivUp,
  quoteLiquidation,
  realizeBadDebt,
  WAD,
  type LiquidationQuote,
} from "./model/poolMath";
import type { AccountSnapshot, PoolSnapshot } from "./positions";

/** Gas units a call needs, from the committed gas snapshot plus a margin; refined by `estimateGas` before sending. */
export const GAS_UNITS_ESTIMATE = {
  liquidate: 160_000n,
  liquidateRealizingBadDebt: 170_000n,
  socialize: 130_000n,
} as const;

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

export type SkipReason = "healthy" | "unprofitable" | "insufficient_balance" | "not_liquidatable_by_model";

export interface Skip {
  kind: "skip";
  pool: string;
  borrower: string;
  reason: SkipReason;
  detail: string;
}

export type Decision = LiquidationPlan | SocializePlan | Skip;

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
  if (canSocialize(liquidity, pool.liquidationParams.dustThresholdAssets)) {
    const totals = {
      totalLpAssets: 0n,
      reserveAssets: 0n,
      totalBorrowAssets: pool.totalBorrowAssets,
      totalBorrowShares: pool.totalBorrowShares,
    };
    return {
      kind: "socialize",
      ...base,
      expectedBadDebtAssets: realizeBadDebt(totals, account.borrowShares).badDebtAssets,
      gasUnits: GAS_UNITS_ESTIMATE.socialize,
    };
  }
  if (healthFactorDown(liquidity.liquidationLimit, liquidity.debt) >= WAD) {
    return {
      kind: "skip",
      ...base,
      reason: "healthy",
      detail: "health factor at or above 1",
    };
  }

  let best: LiquidationPlan | undefined;
  let blockedByBalance = false;
  pool.collaterals.forEach((collateral, index) => {
    const collateralBalance = account.collateralBalances[index];
    if (collateralBalance === 0n) return;
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
          reason: "insufficient_balance",
          detail: `a liquidation needs more than the keeper's ${inputs.repayBudget} loan assets (dust rule)`,
        }
      : {
          kind: "skip",
          ...base,
          reason: "not_liquidatable_by_model",
          detail: "no collateral yields a valid quote",
        };
  }
  if (best.expectedProfitLoanAssets < inputs.minProfitLoanAssets) {
    return {
      kind: "skip",
      ...base,
      reason: "unprofitable",
      detail:
        `bonus ${best.quote.bonusValue} - gas ${best.gasCostLoanAssets} = ${best.expectedProfitLoanAssets} ` +
        `< minimum profit ${inputs.minProfitLoanAssets} (loan-asset units)`,
    };
  }
  return best;
}

/** Larger profit wins; at equal profit the call that realizes bad debt (it closes the account). */
function isBetter(candidate: LiquidationPlan, incumbent: LiquidationPlan): boolean {
  if (candidate.expectedProfitLoanAssets !== incumbent.expectedProfitLoanAssets) {
    return candidate.expectedProfitLoanAssets > incumbent.expectedProfitLoanAssets;
  }
  return candidate.quote.realizesBadDebt && !incumbent.quote.realizesBadDebt;
}
