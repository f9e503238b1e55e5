/**
 * The exact bigint model of Mutual Pools' formulas: the one copy that the keeper's strategy and the tests import.
 *
 * Every function mirrors a Solidity function of `contracts/libraries/` or `contracts/Pool.sol` with the same
 * rounding direction, so a result computed here equals the chain's to the wei. Units: prices are loan-asset units
 * per collateral unit scaled by 1e36 (`priceE36`); percentages are basis points (1e4 = 100%); health factors and
 * rates are scaled by 1e18.
 */

export const PRICE_SCALE = 10n ** 36n;
export const BPS = 10_000n;
export const WAD = 10n ** 18n;
/** Borrow-share virtual amounts (SharesMath.sol). */
export const VIRTUAL_SHARES = 10n ** 6n;
export const VIRTUAL_ASSETS = 1n;
/** ERC-4626 decimals offset of LP shares (Pool.DECIMALS_OFFSET): 10**6 virtual LP shares. */
export const DECIMALS_OFFSET = 6n;
export const MAX_UINT256 = 2n ** 256n - 1n;
/** Pool.MAX_BORROW_RATE_PER_SECOND_E18: 1000% APR per second; the pool caps its rate model's answer at it. */
export const MAX_BORROW_RATE_PER_SECOND_E18 = (10n * WAD) / (365n * 24n * 3600n);

// ------------------------------------------------------------------ rounding primitives (OZ Math.mulDiv)

export function mulDivDown(x: bigint, y: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError("mulDiv: division by zero");
  return (x * y) / denominator;
}

export function mulDivUp(x: bigint, y: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError("mulDiv: division by zero");
  const product = x * y;
  return product === 0n ? 0n : (product - 1n) / denominator + 1n;
}

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const zeroFloorSub = (a: bigint, b: bigint): bigint => (a > b ? a - b : 0n);

// ------------------------------------------------------------------ SharesMath.sol (borrow shares)

export const toSharesDown = (assets: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivDown(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
export const toSharesUp = (assets: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivUp(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
export const toAssetsUp = (shares: bigint, totalAssets: bigint, totalShares: bigint): bigint =>
  mulDivUp(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);

// ------------------------------------------------------------------ ERC-4626 LP shares (OZ ERC4626, offset 6)

const LP_VIRTUAL_SHARES = 10n ** DECIMALS_OFFSET;

export const lpSharesDown = (assets: bigint, totalAssets: bigint, totalSupply: bigint): bigint =>
  mulDivDown(assets, totalSupply + LP_VIRTUAL_SHARES, totalAssets + 1n);
export const lpSharesUp = (assets: bigint, totalAssets: bigint, totalSupply: bigint): bigint =>
  mulDivUp(assets, totalSupply + LP_VIRTUAL_SHARES, totalAssets + 1n);
export const lpAssetsDown = (shares: bigint, totalAssets: bigint, totalSupply: bigint): bigint =>
  mulDivDown(shares, totalAssets + 1n, totalSupply + LP_VIRTUAL_SHARES);
export const lpAssetsUp = (shares: bigint, totalAssets: bigint, totalSupply: bigint): bigint =>
  mulDivUp(shares, totalAssets + 1n, totalSupply + LP_VIRTUAL_SHARES);

/**
 * What a write-down of `socializedAssets` took from `shares` when `totalSupply` shares were out: their part of it,
 * shares × socialized / (totalSupply + virtual shares), i.e. the shares × the exact (unrounded) share-price drop,
 * rounded down. A realization burns no shares, so only totalAssets moves.
 */
export const lpShareOfLossDown = (shares: bigint, socializedAssets: bigint, totalSupply: bigint): bigint =>
  mulDivDown(shares, socializedAssets, totalSupply + LP_VIRTUAL_SHARES);

/** Loan assets per 10**shareDecimals LP shares, rounded down (Pool.sharePrice). */
export const sharePrice = (totalAssets: bigint, totalSupply: bigint, shareDecimals: bigint): bigint =>
  lpAssetsDown(10n ** shareDecimals, totalAssets, totalSupply);

// ------------------------------------------------------------------ RiskMath.sol

export const valueDown = (collateralAssets: bigint, priceE36: bigint): bigint =>
  mulDivDown(collateralAssets, priceE36, PRICE_SCALE);
export const bpsDown = (assets: bigint, bps: bigint): bigint => mulDivDown(assets, bps, BPS);
export const bpsUp = (assets: bigint, bps: bigint): bigint => mulDivUp(assets, bps, BPS);

export const healthFactorDown = (liquidationLimit: bigint, debt: bigint): bigint =>
  debt === 0n ? MAX_UINT256 : mulDivDown(liquidationLimit, WAD, debt);

export const seizedCollateralDown = (repaidAssets: bigint, bonusBps: bigint, priceE36: bigint): bigint =>
  mulDivDown(repaidAssets * (BPS + bonusBps), PRICE_SCALE, priceE36 * BPS);

export const repaidForSeizedUp = (seizedCollateral: bigint, bonusBps: bigint, priceE36: bigint): bigint =>
  mulDivUp(seizedCollateral * BPS, priceE36, PRICE_SCALE * (BPS + bonusBps));

/** RiskMath.repaidForSeizedDown: what liquidating all of `collateralAssets` recovers, value / (1 + bonus), down. */
export const repaidForSeizedDown = (collateralAssets: bigint, bonusBps: bigint, priceE36: bigint): bigint =>
  mulDivDown(collateralAssets * BPS, priceE36, PRICE_SCALE * (BPS + bonusBps));

export interface LiquidationParams {
  closeFactorBps: bigint;
  fullLiquidationHealthFactor: bigint;
  dustThresholdAssets: bigint;
}

/** RiskMath.maxRepayUp: the close factor, lifted to 100% below the full-liquidation health or near dust. */
export function maxRepayUp(
  debt: bigint,
  healthFactor: bigint,
  totalCollateralValue: bigint,
  seizableValue: bigint,
  bonusBps: bigint,
  params: LiquidationParams,
): bigint {
  if (healthFactor < params.fullLiquidationHealthFactor) return debt;
  const closeFactorRepay = bpsUp(debt, params.closeFactorBps);
  if (debt - closeFactorRepay <= params.dustThresholdAssets) return debt;
  const seizedValueAtCap = min(seizableValue, bpsUp(closeFactorRepay, BPS + bonusBps));
  if (totalCollateralValue - seizedValueAtCap <= params.dustThresholdAssets) return debt;
  return closeFactorRepay;
}

// ------------------------------------------------------------------ accounts

export interface CollateralPosition {
  balance: bigint;
  priceE36: bigint;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
}

export interface AccountLiquidity {
  collateralValue: bigint;
  borrowLimit: bigint;
  liquidationLimit: bigint;
  debt: bigint;
}

/** Pool.accountLiquidity: each collateral valued down, then weighted down by LTV and threshold. */
export function accountLiquidity(
  positions: readonly CollateralPosition[],
  borrowShares: bigint,
  totalBorrowAssets: bigint,
  totalBorrowShares: bigint,
): AccountLiquidity {
  const liquidity: AccountLiquidity = { collateralValue: 0n, borrowLimit: 0n, liquidationLimit: 0n, debt: 0n };
  for (const position of positions) {
    if (position.balance === 0n) continue;
    const value = valueDown(position.balance, position.priceE36);
    liquidity.collateralValue += value;
    liquidity.borrowLimit += bpsDown(value, position.ltvBps);
    liquidity.liquidationLimit += bpsDown(value, position.liquidationThresholdBps);
  }
  liquidity.debt = toAssetsUp(borrowShares, totalBorrowAssets, totalBorrowShares);
  return liquidity;
}

/**
 * Pool._valueAccount's recovery value: Σ repaidForSeizedDown over the collaterals held, i.e. what liquidating all
 * of them would repay. `priceE36` is the oracle's price, or the last trusted price where the oracle fails.
 */
export function recoveryValue(positions: readonly CollateralPosition[]): bigint {
  let recovery = 0n;
  for (const position of positions) {
    if (position.balance === 0n) continue;
    recovery += repaidForSeizedDown(position.balance, position.liquidationBonusBps, position.priceE36);
  }
  return recovery;
}

/** An account's shortfall as the pool records it: max(0, debt (rounded up) − recovery value (rounded down)). */
export const shortfallOf = (debt: bigint, recovery: bigint): bigint => zeroFloorSub(debt, recovery);

/** PoolStorage.MAX_TRUSTED_PRICE_AGE: how long a last trusted price may stand in for a failing oracle (6 hours). */
export const MAX_TRUSTED_PRICE_AGE = 21_600n;
/** The largest oracle answer the pool takes as a price (it stores trusted prices in 192 bits). */
export const MAX_PRICE_E36 = 2n ** 192n - 1n;

/** A collateral's last trusted price as `Pool.lastTrustedPrice` returns it. */
export interface TrustedPrice {
  priceE36: bigint;
  /** Unix seconds when the pool last stored it. */
  updatedAt: bigint;
}

/**
 * Pool._bookPrice / _tryPrice: the price a tolerant valuation (liquidate, closeInsolventAccount, socializeBadDebt,
 * recognizeLosses, the refresh in repay and supplyCollateral, accountShortfall) gives a collateral at `timestamp`.
 * `oracleAnswer` is what its oracle returned, null when it reverted or returned fewer than 32 bytes; 0 or an answer
 * above 2^192 is no price either. Without a price the last trusted price stands in (`live` false) while it is at most
 * MAX_TRUSTED_PRICE_AGE old; older, the collateral is `expired` (price 0): liquidate, close and socialize revert
 * PriceUnavailable for the account; recognizeLosses, the repay/top-up refresh and accountShortfall value it at 0.
 */
export function bookPrice(
  oracleAnswer: bigint | null,
  trusted: TrustedPrice,
  timestamp: bigint,
): { priceE36: bigint; live: boolean; expired: boolean } {
  if (oracleAnswer !== null && oracleAnswer !== 0n && oracleAnswer <= MAX_PRICE_E36) {
    return { priceE36: oracleAnswer, live: true, expired: false };
  }
  if (timestamp - trusted.updatedAt <= MAX_TRUSTED_PRICE_AGE) {
    return { priceE36: trusted.priceE36, live: false, expired: false };
  }
  return { priceE36: 0n, live: false, expired: true };
}

/**
 * Pool._recordTrustedPrices: whether a live price read at `timestamp` is stored as the new trusted price (it differs
 * from the stored one, or that is a quarter of MAX_TRUSTED_PRICE_AGE old).
 */
export const recordsTrustedPrice = (livePriceE36: bigint, trusted: TrustedPrice, timestamp: bigint): boolean =>
  livePriceE36 !== trusted.priceE36 || timestamp - trusted.updatedAt >= MAX_TRUSTED_PRICE_AGE / 4n;

/** A collateral held by an account about to be closed, with whether its oracle answered (else: last trusted price). */
export interface ClosingCollateral extends CollateralPosition {
  live: boolean;
}

export interface CloseQuote {
  /** Loan assets the caller pays: Σ repaidForSeizedUp over the live collaterals, capped at the debt. */
  repaidAssets: bigint;
  repaidShares: bigint;
  /** Value of the seized (live) collateral, each term rounded down. */
  seizedValue: bigint;
  /** Per collateral (same order as the input): seized amount (0 for a failed oracle) and the repayment it covers. */
  seized: { assets: bigint; repaidAssets: bigint }[];
  /** Whether the residual is realized in the call (escrowed collateral worth ≤ dust and < the debt left). */
  realizesBadDebt: boolean;
  badDebtAssets: bigint;
  /** The account's shortfall afterwards when nothing is realized (debt left − recovery of escrowed collateral). */
  shortfallAfter: bigint;
  /** Seized value − repaid (the liquidator's bonus at oracle prices), rounded down. */
  bonusValue: bigint;
}

export type CloseRefusal =
  | { error: "NoDebt" }
  | { error: "AccountNotInsolvent"; debt: bigint; recoveryValue: bigint }
  | { error: "SeizedValueBelowMinimum"; seizedValue: bigint; minSeizedValue: bigint }
  | { error: "NothingToClose" };

/**
 * Pool.closeInsolventAccount (state accrued): seize every live collateral, repay what it covers, realize the rest
 * unless escrowed collateral (failed oracle) worth more than dust still backs it. Returns the refusal the contract
 * reverts with, or the quote.
 */
export function quoteClose(
  collaterals: readonly ClosingCollateral[],
  borrowShares: bigint,
  totalBorrowAssets: bigint,
  totalBorrowShares: bigint,
  dustThresholdAssets: bigint,
  minSeizedValue = 0n,
): { refusal: CloseRefusal } | { quote: CloseQuote } {
  if (borrowShares === 0n) return { refusal: { error: "NoDebt" } };
  const debt = toAssetsUp(borrowShares, totalBorrowAssets, totalBorrowShares);
  const recovery = recoveryValue(collaterals);
  if (recovery >= debt) return { refusal: { error: "AccountNotInsolvent", debt, recoveryValue: recovery } };
  let repaid = 0n;
  let seizedValue = 0n;
  let seizedRecovery = 0n;
  let collateralValue = 0n;
  const seized = collaterals.map((collateral) => {
    const value = valueDown(collateral.balance, collateral.priceE36);
    collateralValue += value;
    if (!collateral.live || collateral.balance === 0n) return { assets: 0n, repaidAssets: 0n };
    const repaidFor = repaidForSeizedUp(collateral.balance, collateral.liquidationBonusBps, collateral.priceE36);
    repaid += repaidFor;
    seizedRecovery += repaidForSeizedDown(collateral.balance, collateral.liquidationBonusBps, collateral.priceE36);
    seizedValue += value;
    return { assets: collateral.balance, repaidAssets: repaidFor };
  });
  if (seizedValue < minSeizedValue) return { refusal: { error: "SeizedValueBelowMinimum", seizedValue, minSeizedValue } };
  const repaidAssets = min(repaid, debt);
  const repaidShares = repaidAssets === debt ? borrowShares : toSharesDown(repaidAssets, totalBorrowAssets, totalBorrowShares);
  const borrowAfter = zeroFloorSub(totalBorrowAssets, repaidAssets);
  const sharesAfter = totalBorrowShares - repaidShares;
  const debtLeft = toAssetsUp(borrowShares - repaidShares, borrowAfter, sharesAfter);
  const escrowedValue = collateralValue - seizedValue;
  const realizesBadDebt = debtLeft > 0n && escrowedValue <= dustThresholdAssets && escrowedValue < debtLeft;
  if (!realizesBadDebt && repaidShares === 0n) return { refusal: { error: "NothingToClose" } };
  const badDebtAssets = realizesBadDebt ? min(debtLeft, borrowAfter) : 0n;
  return {
    quote: {
      repaidAssets,
      repaidShares,
      seizedValue,
      seized,
      realizesBadDebt,
      badDebtAssets,
      shortfallAfter: realizesBadDebt ? 0n : zeroFloorSub(debtLeft, recovery - seizedRecovery),
      bonusValue: zeroFloorSub(seizedValue, repaidAssets),
    },
  };
}

export interface LiquidationQuote {
  /** Loan assets the liquidator pays. */
  repaidAssets: bigint;
  /** Collateral the liquidator receives. */
  seizedCollateral: bigint;
  /** Borrow shares burned by the repayment. */
  repaidShares: bigint;
  /** Value of all collateral the borrower keeps. */
  remainingCollateralValue: bigint;
  /** Whether the call also realizes the residual debt as bad debt. */
  realizesBadDebt: boolean;
  /** Debt realized as bad debt (0 when none); equals the waterfall's input. */
  badDebtAssets: bigint;
  /** Liquidation bonus value in loan-asset units (seized value − repaid), rounded down. */
  bonusValue: bigint;
}

export interface LiquidationInput {
  liquidity: AccountLiquidity;
  borrowShares: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  collateralBalance: bigint;
  priceE36: bigint;
  bonusBps: bigint;
  repayAssets: bigint;
  params: LiquidationParams;
}

/** Pool._liquidationAmounts before its checks: repayment capped by the close factor and by the collateral balance. */
function liquidationAmounts(input: LiquidationInput) {
  const { liquidity, priceE36, bonusBps, collateralBalance, params } = input;
  const healthFactor = healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
  const seizableValue = valueDown(collateralBalance, priceE36);
  const maxRepay = maxRepayUp(liquidity.debt, healthFactor, liquidity.collateralValue, seizableValue, bonusBps, params);
  let repaidAssets = min(input.repayAssets, maxRepay);
  let seizedCollateral = seizedCollateralDown(repaidAssets, bonusBps, priceE36);
  if (seizedCollateral >= collateralBalance) {
    seizedCollateral = collateralBalance;
    repaidAssets = min(repaidAssets, repaidForSeizedUp(collateralBalance, bonusBps, priceE36));
  }
  const remainingCollateralValue =
    liquidity.collateralValue - seizableValue + valueDown(collateralBalance - seizedCollateral, priceE36);
  // LiquidationLeavesDust: a partial seizure may not leave debt with only dust collateral behind.
  const leavesDust =
    seizedCollateral < collateralBalance &&
    repaidAssets < liquidity.debt &&
    remainingCollateralValue <= params.dustThresholdAssets;
  const repaidShares =
    repaidAssets >= liquidity.debt
      ? input.borrowShares
      : toSharesDown(repaidAssets, input.totalBorrowAssets, input.totalBorrowShares);
  return { healthFactor, repaidAssets, seizedCollateral, remainingCollateralValue, leavesDust, repaidShares };
}

/** Why Pool.liquidate reverts on a liquidatable-or-not account holding the collateral, in the contract's order. */
export type LiquidationRefusal =
  | { error: "PositionHealthy"; healthFactor: bigint }
  | { error: "LiquidationLeavesDust"; remainingCollateralValue: bigint; dustThresholdAssets: bigint }
  | { error: "SeizedBelowMinimum"; seizedCollateral: bigint; minSeizedCollateral: bigint }
  | { error: "RepayBelowOneShare"; repaidAssets: bigint };

/** The custom error Pool.liquidate reverts with (state accrued, collateral balance > 0, prices > 0), or null. */
export function liquidationRefusal(input: LiquidationInput, minSeizedCollateral: bigint): LiquidationRefusal | null {
  const amounts = liquidationAmounts(input);
  if (amounts.healthFactor >= WAD) return { error: "PositionHealthy", healthFactor: amounts.healthFactor };
  if (amounts.leavesDust) {
    return {
      error: "LiquidationLeavesDust",
      remainingCollateralValue: amounts.remainingCollateralValue,
      dustThresholdAssets: input.params.dustThresholdAssets,
    };
  }
  if (amounts.seizedCollateral < minSeizedCollateral) {
    return { error: "SeizedBelowMinimum", seizedCollateral: amounts.seizedCollateral, minSeizedCollateral };
  }
  if (amounts.repaidShares === 0n) return { error: "RepayBelowOneShare", repaidAssets: amounts.repaidAssets };
  return null;
}

/**
 * Pool.liquidate's amounts for a liquidatable account (state accrued). Returns null when the contract would revert:
 * the account is healthy, has no such collateral, the repayment would burn no borrow share, or a partial seizure
 * would leave debt with only dust collateral (`LiquidationLeavesDust`: repay more). `liquidationRefusal` names which.
 */
export function quoteLiquidation(input: LiquidationInput): LiquidationQuote | null {
  if (input.collateralBalance === 0n || input.repayAssets === 0n) return null;
  if (liquidationRefusal(input, 0n) !== null) return null;
  const { liquidity, priceE36, params } = input;
  const { repaidAssets, seizedCollateral, remainingCollateralValue, repaidShares } = liquidationAmounts(input);
  const realizesBadDebt =
    input.borrowShares > repaidShares &&
    remainingCollateralValue <= params.dustThresholdAssets &&
    remainingCollateralValue < liquidity.debt - repaidAssets;
  let badDebtAssets = 0n;
  if (realizesBadDebt) {
    const borrowAfter = zeroFloorSub(input.totalBorrowAssets, repaidAssets);
    const sharesAfter = input.totalBorrowShares - repaidShares;
    badDebtAssets = min(toAssetsUp(input.borrowShares - repaidShares, borrowAfter, sharesAfter), borrowAfter);
  }
  const bonusValue = zeroFloorSub(valueDown(seizedCollateral, priceE36), repaidAssets);
  return {
    repaidAssets,
    seizedCollateral,
    repaidShares,
    remainingCollateralValue,
    realizesBadDebt,
    badDebtAssets,
    bonusValue,
  };
}

/** Pool.socializeBadDebt's precondition: debt, and collateral worth at most dust and less than the debt. */
export const canSocialize = (liquidity: AccountLiquidity, dustThresholdAssets: bigint): boolean =>
  liquidity.debt > 0n && liquidity.collateralValue <= dustThresholdAssets && liquidity.collateralValue < liquidity.debt;

// ------------------------------------------------------------------ pool totals: interest and bad debt

export interface PoolTotals {
  /** entryTotalAssets(): cash + borrows − reserve, before the recognized shortfall. */
  totalLpAssets: bigint;
  reserveAssets: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  /** totalRecognizedShortfall(): Σ of the accounts' recognized shortfalls. */
  totalShortfallAssets: bigint;
}

/** Pool._exitLpAssets: LP assets net of the recognized shortfall the reserve does not cover (totalAssets()). */
export const exitLpAssets = (totalLpAssets: bigint, reserveAssets: bigint, totalShortfallAssets: bigint): bigint =>
  zeroFloorSub(totalLpAssets, zeroFloorSub(totalShortfallAssets, reserveAssets));

/** totalAssets() for `totals`: the exit figure. */
export const exitAssetsOf = (totals: PoolTotals): bigint =>
  exitLpAssets(totals.totalLpAssets, totals.reserveAssets, totals.totalShortfallAssets);

/** What withdrawReserve may take: the reserve less the part the recognized shortfall needs from it. */
export const withdrawableReserve = (totals: PoolTotals): bigint =>
  zeroFloorSub(totals.reserveAssets, totals.totalShortfallAssets);

/**
 * The reserve's part that covers the recognized shortfall (first loss): min(reserve, total shortfall), the part
 * `withdrawReserve` may not take (`ReserveCommittedToShortfall`). Exits are priced net of the rest of the shortfall.
 */
export const reserveCoveringShortfall = (reserveAssets: bigint, totalShortfallAssets: bigint): bigint =>
  reserveAssets - zeroFloorSub(reserveAssets, totalShortfallAssets);

/** Pool.sharePrice() for `totals`: the EXIT price (assets per 10**shareDecimals shares at exitAssetsOf, rounded down). */
export const exitSharePrice = (totals: PoolTotals, totalSupply: bigint, shareDecimals: bigint): bigint =>
  sharePrice(exitAssetsOf(totals), totalSupply, shareDecimals);

/** One account of a `recognizeLosses` call: its recorded shortfall, its debt (accrued, up) and its recovery value. */
export interface RecognitionInput {
  recordedShortfall: bigint;
  /** 0 for an account without borrow shares. */
  debt: bigint;
  recovery: bigint;
}

/** A `ShortfallUpdated` event: `index` is the account's position in the call's list. */
export interface ShortfallChange {
  index: number;
  shortfallBefore: bigint;
  shortfallAfter: bigint;
  totalShortfall: bigint;
}

/**
 * Pool.recognizeLosses (state accrued): each account's shortfall is set to shortfallOf(debt, recovery) (0 without
 * debt), in list order; an event is emitted only when it changes, with the pool's running total. Each account once.
 */
export function recognizeLosses(
  accounts: readonly RecognitionInput[],
  totalShortfallBefore: bigint,
): { changes: ShortfallChange[]; totalShortfall: bigint } {
  const changes: ShortfallChange[] = [];
  let totalShortfall = totalShortfallBefore;
  accounts.forEach((account, index) => {
    const after = account.debt === 0n ? 0n : shortfallOf(account.debt, account.recovery);
    if (after === account.recordedShortfall) return;
    totalShortfall = totalShortfall + after - account.recordedShortfall;
    changes.push({ index, shortfallBefore: account.recordedShortfall, shortfallAfter: after, totalShortfall });
  });
  return { changes, totalShortfall };
}

/** Idle cash: LP assets + reserve − borrows (Pool._cash). */
export const cashOf = (totals: PoolTotals): bigint =>
  zeroFloorSub(totals.totalLpAssets + totals.reserveAssets, totals.totalBorrowAssets);

/** Pool._interest: linear interest over `elapsedSeconds`, rounded down; the reserve's share rounded down. */
export function interestOf(
  borrowAssets: bigint,
  ratePerSecondE18: bigint,
  elapsedSeconds: bigint,
  reserveFactorBps: bigint,
): { interest: bigint; reserveShare: bigint } {
  const interest = mulDivDown(borrowAssets, ratePerSecondE18 * elapsedSeconds, WAD);
  return { interest, reserveShare: bpsDown(interest, reserveFactorBps) };
}

/** Pool._borrowRate: the rate model's answer, capped. */
export const cappedBorrowRate = (modelRatePerSecondE18: bigint): bigint =>
  min(modelRatePerSecondE18, MAX_BORROW_RATE_PER_SECOND_E18);

/** Pool._accrueInterest applied to a copy of the totals (`ratePerSecondE18` already capped). */
export function accrue(
  totals: PoolTotals,
  ratePerSecondE18: bigint,
  elapsedSeconds: bigint,
  reserveFactorBps: bigint,
): PoolTotals {
  if (elapsedSeconds === 0n || totals.totalBorrowAssets === 0n) return { ...totals };
  const { interest, reserveShare } = interestOf(
    totals.totalBorrowAssets,
    ratePerSecondE18,
    elapsedSeconds,
    reserveFactorBps,
  );
  return {
    totalLpAssets: totals.totalLpAssets + interest - reserveShare,
    reserveAssets: totals.reserveAssets + reserveShare,
    totalBorrowAssets: totals.totalBorrowAssets + interest,
    totalBorrowShares: totals.totalBorrowShares,
    totalShortfallAssets: totals.totalShortfallAssets,
  };
}

export interface BadDebtRealization {
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  totalsAfter: PoolTotals;
}

/**
 * Pool._realizeBadDebt: the loss waterfall for an account holding `borrowShares` whose recognized shortfall was
 * `recognizedShortfall` (it leaves the total). `sharePrice(exitAssetsOf(totals)…)` before and after are the event's
 * `sharePriceBefore` / `sharePriceAfter`.
 */
export function realizeBadDebt(
  totals: PoolTotals,
  borrowShares: bigint,
  recognizedShortfall = 0n,
): BadDebtRealization {
  const badDebtAssets = min(
    toAssetsUp(borrowShares, totals.totalBorrowAssets, totals.totalBorrowShares),
    totals.totalBorrowAssets,
  );
  const coveredByReserve = min(totals.reserveAssets, badDebtAssets);
  const socializedAssets = badDebtAssets - coveredByReserve;
  return {
    badDebtAssets,
    coveredByReserve,
    socializedAssets,
    totalsAfter: {
      totalLpAssets: totals.totalLpAssets - socializedAssets,
      reserveAssets: totals.reserveAssets - coveredByReserve,
      totalBorrowAssets: totals.totalBorrowAssets - badDebtAssets,
      totalBorrowShares: totals.totalBorrowShares - borrowShares,
      totalShortfallAssets: totals.totalShortfallAssets - recognizedShortfall,
    },
  };
}

// ------------------------------------------------------------------ KinkedRateModel.sol

export interface KinkedRateParams {
  baseRatePerSecondE18: bigint;
  slopeBelowKinkPerSecondE18: bigint;
  slopeAboveKinkPerSecondE18: bigint;
  kinkE18: bigint;
}

export const utilizationE18 = (cashAssets: bigint, borrowAssets: bigint): bigint =>
  cashAssets + borrowAssets === 0n ? 0n : mulDivDown(borrowAssets, WAD, cashAssets + borrowAssets);

export function kinkedBorrowRatePerSecond(params: KinkedRateParams, cashAssets: bigint, borrowAssets: bigint): bigint {
  const utilization = utilizationE18(cashAssets, borrowAssets);
  const belowKink = utilization < params.kinkE18 ? utilization : params.kinkE18;
  const aboveKink = utilization > params.kinkE18 ? utilization - params.kinkE18 : 0n;
  return (
    params.baseRatePerSecondE18 +
    mulDivDown(params.slopeBelowKinkPerSecondE18, belowKink, WAD) +
    mulDivDown(params.slopeAboveKinkPerSecondE18, aboveKink, WAD)
  );
}
