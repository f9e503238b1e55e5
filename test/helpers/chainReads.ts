/**
 * Reads a pool's state from the chain into the input types of keepers/src/model/poolMath.ts.
 *
 * This module only reads: it does no arithmetic of its own. Every formula lives in poolMath; where a helper returns
 * a model figure (`liquidityOf`), it hands what it read to the poolMath function unchanged.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Pool } from "../../typechain-types";
import { PositionReader, quoteFor } from "../../keepers/src/positions";
import {
  accountLiquidity,
  bookPrice,
  quoteClose,
  recoveryValue,
  shortfallOf,
  toAssetsUp,
  type AccountLiquidity,
  type ClosingCollateral,
  type CollateralPosition,
  type LiquidationInput,
  type LiquidationQuote,
  type LiquidationParams,
  type PoolTotals,
  type TrustedPrice,
} from "../../keepers/src/model/poolMath";
import type { CollateralSetup } from "./fixtures";

/**
 * The block a view call reads: "latest" (the last mined block) or "pending" (the block the next transaction will be
 * mined in, at the timestamp set by `time.setNextBlockTimestamp`, if any).
 */
export type ViewTag = "latest" | "pending";

/** The pool's totals as its views report them at `tag`: interest accrued up to that block. */
export async function totalsOf(pool: Pool, tag: ViewTag = "latest"): Promise<PoolTotals> {
  const overrides = { blockTag: tag };
  return {
    totalLpAssets: await pool.entryTotalAssets(overrides),
    reserveAssets: await pool.reserveAssets(overrides),
    totalBorrowAssets: await pool.totalBorrowAssets(overrides),
    totalBorrowShares: await pool.totalBorrowShares(overrides),
    totalShortfallAssets: await pool.totalRecognizedShortfall(overrides),
  };
}

/**
 * `account`'s collateral positions, one per entry of `collaterals` and in that order (a zero balance included):
 * the balance, the collateral's params and the mock oracle's stored price. The stored price (`priceE36()`, not
 * `price()`) can be read even while the mock is set to revert.
 */
export async function positionsOf(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
): Promise<CollateralPosition[]> {
  const positions: CollateralPosition[] = [];
  for (const collateral of collaterals) {
    const address = await collateral.token.getAddress();
    const params = await pool.collateralParams(address);
    positions.push({
      balance: await pool.collateralOf(account, address),
      priceE36: await collateral.oracle.priceE36(),
      ltvBps: params.ltvBps,
      liquidationThresholdBps: params.liquidationThresholdBps,
      liquidationBonusBps: params.liquidationBonusBps,
    });
  }
  return positions;
}

/**
 * `account`'s collateral positions as the pool's tolerant valuation prices them at `timestamp` (recognizeLosses,
 * accountShortfall, liquidate's health check, closeInsolventAccount, socializeBadDebt): each mock oracle's answer, or
 * the collateral's last trusted price while the mock reverts and that price is at most MAX_TRUSTED_PRICE_AGE old, else
 * 0 (poolMath's `bookPrice`), with whether the price is live. One per entry of `collaterals`, in that order (a zero
 * balance included). `timestamp` defaults to the latest block's (what a view at "latest" reads).
 */
export async function bookPositionsOf(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
  timestamp?: bigint,
): Promise<ClosingCollateral[]> {
  const at = timestamp ?? BigInt(await time.latest());
  const positions = await positionsOf(pool, account, collaterals);
  const booked: ClosingCollateral[] = [];
  for (const [index, collateral] of collaterals.entries()) {
    const answer = (await collateral.oracle.reverting()) ? null : await collateral.oracle.priceE36();
    const trusted = await trustedPriceOf(pool, await collateral.token.getAddress());
    const { priceE36, live } = bookPrice(answer, trusted, at);
    booked.push({ ...positions[index], priceE36, live });
  }
  return booked;
}

/** `collateral`'s last trusted price as poolMath takes it (`Pool.lastTrustedPrice`). */
export async function trustedPriceOf(pool: Pool, collateral: string): Promise<TrustedPrice> {
  const { priceE36, updatedAt } = await pool.lastTrustedPrice(collateral);
  return { priceE36, updatedAt };
}

/**
 * poolMath's shortfall of `account` as a refresh would record it now: its debt at `totals` (by default the views'
 * totals at the latest block) against the recovery value of `bookPositionsOf` at `timestamp` (by default the latest
 * block's).
 */
export async function shortfallFigures(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
  totals?: PoolTotals,
  timestamp?: bigint,
): Promise<{ shortfall: bigint; debt: bigint; recovery: bigint }> {
  const { totalBorrowAssets, totalBorrowShares } = totals ?? (await totalsOf(pool));
  const debt = toAssetsUp(await pool.borrowSharesOf(account), totalBorrowAssets, totalBorrowShares);
  const recovery = recoveryValue(await bookPositionsOf(pool, account, collaterals, timestamp));
  return { shortfall: shortfallOf(debt, recovery), debt, recovery };
}

/**
 * poolMath's `accountLiquidity` of `account`: its positions and borrow shares as read now, its debt priced at
 * `totals` (by default the totals the views report at the latest block).
 */
export async function liquidityOf(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
  totals?: PoolTotals,
): Promise<AccountLiquidity> {
  const { totalBorrowAssets, totalBorrowShares } = totals ?? (await totalsOf(pool));
  return accountLiquidity(
    await positionsOf(pool, account, collaterals),
    await pool.borrowSharesOf(account),
    totalBorrowAssets,
    totalBorrowShares,
  );
}

/**
 * poolMath's `quoteClose` for `closeInsolventAccount(account, minSeizedValue, …)` on the pool's state at `totals` (by
 * default the views' totals at the latest block): the positions as the tolerant valuation prices them at `timestamp`
 * (by default the latest block's), the account's borrow shares and the pool's dust threshold.
 */
export async function closeQuoteOf(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
  totals?: PoolTotals,
  minSeizedValue = 0n,
  timestamp?: bigint,
): Promise<ReturnType<typeof quoteClose>> {
  const atTotals = totals ?? (await totalsOf(pool));
  return quoteClose(
    await bookPositionsOf(pool, account, collaterals, timestamp),
    await pool.borrowSharesOf(account),
    atTotals.totalBorrowAssets,
    atTotals.totalBorrowShares,
    (await pool.liquidationParams()).dustThresholdAssets,
    minSeizedValue,
  );
}

/** The pool's liquidation parameters, as poolMath takes them. */
export async function liquidationParamsOf(pool: Pool): Promise<LiquidationParams> {
  const params = await pool.liquidationParams();
  return {
    closeFactorBps: params.closeFactorBps,
    fullLiquidationHealthFactor: params.fullLiquidationHealthFactor,
    dustThresholdAssets: params.dustThresholdAssets,
  };
}

/** Everything `poolMath.quoteLiquidation` takes but the amount the liquidator asks to repay. */
export type LiquidationState = Omit<LiquidationInput, "repayAssets">;

/**
 * The state a liquidation of `borrower` seizing `focus` starts from: the account's liquidity, its borrow shares,
 * its balance of `focus`, that collateral's price and bonus, and the pool's liquidation parameters. Debt and borrow
 * totals are those of `totals` (by default the totals the views report at the latest block).
 */
export async function liquidationStateOf(
  pool: Pool,
  borrower: string,
  collaterals: readonly CollateralSetup[],
  focus: CollateralSetup,
  totals?: PoolTotals,
): Promise<LiquidationState> {
  const atTotals = totals ?? (await totalsOf(pool));
  const focusAddress = await focus.token.getAddress();
  return {
    liquidity: await liquidityOf(pool, borrower, collaterals, atTotals),
    borrowShares: await pool.borrowSharesOf(borrower),
    totalBorrowAssets: atTotals.totalBorrowAssets,
    totalBorrowShares: atTotals.totalBorrowShares,
    collateralBalance: await pool.collateralOf(borrower, focusAddress),
    priceE36: await focus.oracle.priceE36(),
    bonusBps: (await pool.collateralParams(focusAddress)).liquidationBonusBps,
    params: await liquidationParamsOf(pool),
  };
}

/**
 * poolMath's quote for liquidating `borrower`'s `collateral` with `repayAssets`, from the pool's state at the latest
 * block, read the way the keeper reads it (any oracle: mock or Chainlink adapter).
 */
export async function liquidationQuoteOnChain(
  pool: Pool,
  borrower: string,
  collateral: string,
  repayAssets: bigint,
): Promise<LiquidationQuote | null> {
  const reader = new PositionReader(ethers.provider);
  const snapshot = await reader.poolSnapshot(await pool.getAddress(), "latest");
  const account = await reader.accountSnapshot(snapshot, borrower, "latest");
  return quoteFor(snapshot, account, collateral, repayAssets);
}
