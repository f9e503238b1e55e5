/**
 * The loss-path scenario: LPs fund a pool, borrowers post two collaterals, interest accrues at the kinked rate,
 * both collateral prices crash, a liquidator works through the insolvent account collateral by collateral until
 * the last call realizes its bad debt, then the pool recovers and everyone withdraws.
 *
 * The step functions run one action each and return both what poolMath predicted for it (`plan`) and what the
 * chain did (`observed`); they assert nothing, so the integration test and a demo script can share them. Every
 * pool (and oracle) transaction is sent at exactly one second after the previous block, so the figures are the
 * same on every run, and the model predicts each accrual to the wei.
 *
 * Every expected amount comes from keepers/src/model/poolMath.ts. The only arithmetic done here is bookkeeping:
 * subtracting from the totals the amounts that poolMath says a call moved, as the pool's own effects do.
 *
 * Loss recognition: every liquidation that leaves debt refreshes the account's recognized shortfall (poolMath's
 * shortfallOf(debt, recoveryValue)), a realization takes it out of the total, and a keeper may recognize it first
 * (`recognizeShortfalls`). Redemptions and share prices are at the exit figure (poolMath's exitAssetsOf), deposits
 * at the entry figure (the totals' gross LP assets).
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type {
  ContractTransactionReceipt,
  ContractTransactionResponse,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { KinkedRateModel, MockERC20, Pool } from "../../typechain-types";
import type {
  TypedContractEvent,
  TypedEventLog,
} from "../../typechain-types/common";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, priceE36, units, type PoolFixture } from "./fixtures";
import { liquidationParamsOf, totalsOf } from "./chainReads";
import { deployKinkedRateModel } from "./setup";

// =====================================================================================================================
// Scenario parameters
// =====================================================================================================================

export const DAY = 86_400n;
export const YEAR = 365n * DAY;

export const LOAN_DECIMALS = 6;
/** Collateral 0 is BTC-like (8 decimals), collateral 1 ETH-like (18 decimals). */
export const COLLATERAL_DECIMALS = [8, 18];
/** Whole loan units per whole collateral. */
export const INITIAL_PRICES = [50_000, 2_000];
/** Both collaterals lose 60%. */
export const CRASHED_PRICES = [20_000, 800];

export const LTV_BPS = 7_500;
export const LIQUIDATION_THRESHOLD_BPS = 8_000;
export const LIQUIDATION_BONUS_BPS = 500;
export const RESERVE_FACTOR_BPS = 1_000;
export const CLOSE_FACTOR_BPS = 5_000;
export const FULL_LIQUIDATION_HEALTH_FACTOR = 95n * 10n ** 16n;
/** 1 loan unit: covers 1 wei of either collateral (worth 500 and 0.000002 raw loan units before the crash). */
export const DUST_THRESHOLD = units(1, LOAN_DECIMALS);

/**
 * Kinked rate model: 0% at zero utilization, 12.5% APR per 100% of utilization up to the 80% kink (so 10% APR at
 * the kink), then +300% APR per 100% of utilization above it.
 */
export const RATE_MODEL_PARAMS: poolMath.KinkedRateParams = {
  baseRatePerSecondE18: 0n,
  slopeBelowKinkPerSecondE18: (125n * 10n ** 15n) / YEAR,
  slopeAboveKinkPerSecondE18: (3n * 10n ** 18n) / YEAR,
  kinkE18: 8n * 10n ** 17n,
};

/** LP 0, 1 and 2 deposit 100k, 250k and 50k. */
export const LP_DEPOSITS = [
  units(100_000, LOAN_DECIMALS),
  units(250_000, LOAN_DECIMALS),
  units(50_000, LOAN_DECIMALS),
];

export interface PositionSpec {
  label: string;
  /** Raw amounts of collateral 0 and collateral 1. */
  collateral: bigint[];
  /** Raw loan assets borrowed. */
  borrow: bigint;
}

export const BORROWER_POSITIONS: PositionSpec[] = [
  // 1.5 × 50k + 30 × 2k = 135k of collateral (limit 101.25k): 74% LTV. Worth 54k after the crash: insolvent.
  {
    label: "heavy",
    collateral: [units("1.5", 8), units(30, 18)],
    borrow: units(100_000, LOAN_DECIMALS),
  },
  // 200k of collateral for 30k (15% LTV): health ≈ 2.1 after the crash.
  {
    label: "moderate",
    collateral: [units(2, 8), units(50, 18)],
    borrow: units(30_000, LOAN_DECIMALS),
  },
  // 45k of collateral for 10k (22% LTV): health ≈ 1.4 after the crash.
  {
    label: "light",
    collateral: [units("0.5", 8), units(10, 18)],
    borrow: units(10_000, LOAN_DECIMALS),
  },
];
/** 1 wei of collateral 0 (worth 500 raw loan units, limit 375) backing 300 raw: 200 raw of collateral after the crash. */
export const DUST_POSITION: PositionSpec = {
  label: "dust",
  collateral: [1n, 0n],
  borrow: 300n,
};

export const INTEREST_PERIOD = 30n * DAY;
/** The treasury tops up the reserve (first-loss buffer) after the interest period. */
export const TREASURY_DONATION = units(1_000, LOAN_DECIMALS);
/** The liquidator's inventory: it repays at most this much per call (and never more than the close factor). */
export const LIQUIDATOR_MAX_REPAY_PER_CALL = units(20_000, LOAN_DECIMALS);
export const LATE_DEPOSIT = units(10_000, LOAN_DECIMALS);
/** Time between the write-down and the healthy borrowers' repayment. */
export const RECOVERY_PERIOD = 7n * DAY;

// =====================================================================================================================
// Types
// =====================================================================================================================

export interface LossPathActors {
  lps: HardhatEthersSigner[];
  heavy: HardhatEthersSigner;
  moderate: HardhatEthersSigner;
  light: HardhatEthersSigner;
  dust: HardhatEthersSigner;
  liquidator: HardhatEthersSigner;
  /** Calls accrueInterest after the oracle update and socializeBadDebt on the dust account. */
  keeper: HardhatEthersSigner;
  /** Deposits after the write-down. */
  lateLp: HardhatEthersSigner;
  /** The pool owner: donates to and withdraws the reserve. */
  treasury: HardhatEthersSigner;
}

export interface LossPath extends PoolFixture {
  kinked: KinkedRateModel;
  actors: LossPathActors;
  /** First block of the scenario: the lifetime event sums start here. */
  startBlock: number;
}

/** Loan-token movements between the actors and the pool, measured on the actors' balances. */
export interface LoanFlows {
  lpDeposits: bigint;
  lpWithdrawals: bigint;
  borrowed: bigint;
  repaid: bigint;
  liquidatorPaid: bigint;
  donated: bigint;
  reserveWithdrawn: bigint;
}

/** One collateral's movements between the actors and the pool. */
export interface CollateralFlows {
  supplied: bigint;
  withdrawn: bigint;
  seized: bigint;
  swept: bigint;
}

export interface Flows {
  loan: LoanFlows;
  /** Indexed like `LossPath.collaterals`. */
  collateral: CollateralFlows[];
}

export function emptyFlows(collateralCount: number): Flows {
  return {
    loan: {
      lpDeposits: 0n,
      lpWithdrawals: 0n,
      borrowed: 0n,
      repaid: 0n,
      liquidatorPaid: 0n,
      donated: 0n,
      reserveWithdrawn: 0n,
    },
    collateral: Array.from({ length: collateralCount }, () => ({
      supplied: 0n,
      withdrawn: 0n,
      seized: 0n,
      swept: 0n,
    })),
  };
}

/** A copy to mutate: `loadFixture` hands every test the same returned object. */
export function cloneFlows(flows: Flows): Flows {
  return {
    loan: { ...flows.loan },
    collateral: flows.collateral.map((entry) => ({ ...entry })),
  };
}

export interface MarketCollateral {
  address: string;
  priceE36: bigint;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
}

/** The pool's parameters and prices, as poolMath takes them. */
export interface Market {
  rate: poolMath.KinkedRateParams;
  reserveFactorBps: bigint;
  liquidation: poolMath.LiquidationParams;
  /** LP share decimals (loan decimals + the offset of 6). */
  shareDecimals: bigint;
  collaterals: MarketCollateral[];
}

/** The pool's totals as of `timestamp`, plus the LP share supply. */
export interface Books {
  timestamp: bigint;
  totals: poolMath.PoolTotals;
  lpSupply: bigint;
}

export interface Account {
  address: string;
  borrowShares: bigint;
  /** Indexed like `Market.collaterals`. */
  collateral: bigint[];
  /** The shortfall the pool has recognized for it (pool.recognizedShortfall), as last refreshed. */
  recognizedShortfall: bigint;
}

// =====================================================================================================================
// Reading the chain
// =====================================================================================================================

export async function readMarket(lp: LossPath): Promise<Market> {
  const { pool, kinked } = lp;
  const collaterals: MarketCollateral[] = [];
  for (const collateral of lp.collaterals) {
    const address = await collateral.token.getAddress();
    const params = await pool.collateralParams(address);
    collaterals.push({
      address,
      priceE36: await collateral.oracle.price(),
      ltvBps: params.ltvBps,
      liquidationThresholdBps: params.liquidationThresholdBps,
      liquidationBonusBps: params.liquidationBonusBps,
    });
  }
  return {
    rate: {
      baseRatePerSecondE18: await kinked.baseRatePerSecondE18(),
      slopeBelowKinkPerSecondE18: await kinked.slopeBelowKinkPerSecondE18(),
      slopeAboveKinkPerSecondE18: await kinked.slopeAboveKinkPerSecondE18(),
      kinkE18: await kinked.kinkE18(),
    },
    reserveFactorBps: await pool.reserveFactorBps(),
    liquidation: await liquidationParamsOf(pool),
    shareDecimals: await pool.decimals(),
    collaterals,
  };
}

/** The totals the views report at the latest block (interest accrued up to it). */
export const readTotals = (pool: Pool): Promise<poolMath.PoolTotals> =>
  totalsOf(pool);

/**
 * The pool's books at the latest block. Requires that the latest block accrued interest, so that the views equal
 * the stored totals and poolMath can project the next accrual exactly.
 */
export async function readBooks(pool: Pool): Promise<Books> {
  const timestamp = BigInt(await time.latest());
  const lastAccrual = await pool.lastAccrualTimestamp();
  if (lastAccrual !== timestamp) {
    throw new Error(
      `books not in sync: last accrual at ${lastAccrual}, latest block at ${timestamp}`,
    );
  }
  return {
    timestamp,
    totals: await readTotals(pool),
    lpSupply: await pool.totalSupply(),
  };
}

export async function readAccount(
  lp: LossPath,
  address: string,
): Promise<Account> {
  const collateral: bigint[] = [];
  for (const entry of lp.collaterals)
    collateral.push(
      await lp.pool.collateralOf(address, await entry.token.getAddress()),
    );
  return {
    address,
    borrowShares: await lp.pool.borrowSharesOf(address),
    collateral,
    recognizedShortfall: await lp.pool.recognizedShortfall(address),
  };
}

// =====================================================================================================================
// The model: what poolMath says each call does
// =====================================================================================================================

/** The per-second borrow rate the pool applies to `totals` (the kinked model's rate, capped). */
export function borrowRateOf(
  totals: poolMath.PoolTotals,
  market: Market,
): bigint {
  return poolMath.cappedBorrowRate(
    poolMath.kinkedBorrowRatePerSecond(
      market.rate,
      poolMath.cashOf(totals),
      totals.totalBorrowAssets,
    ),
  );
}

/** The books after the accrual that the first call at `timestamp` performs. */
export function accrueBooks(
  books: Books,
  market: Market,
  timestamp: bigint,
): Books {
  const totals = poolMath.accrue(
    books.totals,
    borrowRateOf(books.totals, market),
    timestamp - books.timestamp,
    market.reserveFactorBps,
  );
  return { timestamp, totals, lpSupply: books.lpSupply };
}

export function liquidityOf(
  account: Account,
  books: Books,
  market: Market,
): poolMath.AccountLiquidity {
  return poolMath.accountLiquidity(
    positionsOf(account, market),
    account.borrowShares,
    books.totals.totalBorrowAssets,
    books.totals.totalBorrowShares,
  );
}

/** The account's collateral as poolMath positions, at the market's (live) prices. */
function positionsOf(account: Account, market: Market): poolMath.CollateralPosition[] {
  return market.collaterals.map((collateral, index) => ({
    ...collateral,
    balance: account.collateral[index],
  }));
}

/**
 * The shortfall a refresh of `account` records on `books` (accrued): poolMath's shortfallOf(debt, recoveryValue), the
 * debt rounded up at the books' borrow totals.
 */
export function shortfallNow(
  account: Account,
  books: Books,
  market: Market,
): bigint {
  const debt = poolMath.toAssetsUp(
    account.borrowShares,
    books.totals.totalBorrowAssets,
    books.totals.totalBorrowShares,
  );
  return poolMath.shortfallOf(
    debt,
    poolMath.recoveryValue(positionsOf(account, market)),
  );
}

/** `totals` with `account`'s recognized shortfall moved from `before` to `after`. */
function withShortfall(
  totals: poolMath.PoolTotals,
  before: bigint,
  after: bigint,
): poolMath.PoolTotals {
  return {
    ...totals,
    totalShortfallAssets: totals.totalShortfallAssets - before + after,
  };
}

/** Share price (assets per 10**shareDecimals shares) at the exit figure of `totals`: pool.sharePrice(). */
export const exitSharePrice = (
  totals: poolMath.PoolTotals,
  lpSupply: bigint,
  market: Market,
): bigint =>
  poolMath.sharePrice(poolMath.exitAssetsOf(totals), lpSupply, market.shareDecimals);

/** What the liquidator asks to repay: the close-factor share of the debt, at most its per-call inventory. */
export function liquidationRequest(
  account: Account,
  books: Books,
  market: Market,
): bigint {
  const debt = liquidityOf(account, books, market).debt;
  return poolMath.min(
    poolMath.bpsUp(debt, market.liquidation.closeFactorBps),
    LIQUIDATOR_MAX_REPAY_PER_CALL,
  );
}

/** The liquidator seizes collateral in listing order: the first one the account still holds, while it owes. */
export function nextCollateralToSeize(account: Account): number | null {
  if (account.borrowShares === 0n) return null;
  const index = account.collateral.findIndex((balance) => balance > 0n);
  return index === -1 ? null : index;
}

export interface LiquidationPlan {
  timestamp: bigint;
  collateralIndex: number;
  repayAssets: bigint;
  /** Books after the call's accrual, before its effects. */
  booksBefore: Books;
  quote: poolMath.LiquidationQuote;
  /** The loss waterfall, when the call realizes the residual debt. */
  realization: poolMath.BadDebtRealization | null;
  /** Dust collateral swept to the receiver, per collateral. */
  swept: bigint[];
  /**
   * Share price (pool.sharePrice(), the exit price: assets per 10**shareDecimals shares) before and after the call's
   * effects. When the call realizes bad debt, these are BadDebtRealized's sharePriceBefore / sharePriceAfter.
   */
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  /** The account's recognized shortfall after the call (refreshed by it, or cleared by the realization). */
  shortfallAfter: bigint;
  booksAfter: Books;
  accountAfter: Account;
}

export function planLiquidation(
  books: Books,
  account: Account,
  market: Market,
  collateralIndex: number,
  repayAssets: bigint,
  timestamp: bigint,
): LiquidationPlan {
  const booksBefore = accrueBooks(books, market, timestamp);
  const { totals } = booksBefore;
  const collateral = market.collaterals[collateralIndex];
  const quote = poolMath.quoteLiquidation({
    liquidity: liquidityOf(account, booksBefore, market),
    borrowShares: account.borrowShares,
    totalBorrowAssets: totals.totalBorrowAssets,
    totalBorrowShares: totals.totalBorrowShares,
    collateralBalance: account.collateral[collateralIndex],
    priceE36: collateral.priceE36,
    bonusBps: collateral.liquidationBonusBps,
    repayAssets,
    params: market.liquidation,
  });
  if (quote === null)
    throw new Error(
      `poolMath: liquidating ${account.address} on collateral ${collateralIndex} reverts`,
    );

  // Pool.liquidate's effects: burn the repaid shares against the repaid assets, move the seized collateral out.
  let totalsAfter: poolMath.PoolTotals = {
    ...totals,
    totalBorrowAssets: poolMath.zeroFloorSub(
      totals.totalBorrowAssets,
      quote.repaidAssets,
    ),
    totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
  };
  let collateralAfter = account.collateral.map((balance, index) =>
    index === collateralIndex ? balance - quote.seizedCollateral : balance,
  );
  let sharesAfter = account.borrowShares - quote.repaidShares;
  let realization: poolMath.BadDebtRealization | null = null;
  let swept = account.collateral.map(() => 0n);
  let shortfallAfter = 0n;
  if (quote.realizesBadDebt) {
    // The realization takes the account's recognized shortfall (as it stood before the call) out of the total.
    realization = poolMath.realizeBadDebt(
      totalsAfter,
      sharesAfter,
      account.recognizedShortfall,
    );
    totalsAfter = realization.totalsAfter;
    swept = collateralAfter;
    collateralAfter = collateralAfter.map(() => 0n);
    sharesAfter = 0n;
  } else {
    // Otherwise the call refreshes the account's shortfall: its debt left against what its collateral left recovers.
    shortfallAfter = shortfallNow(
      {
        address: account.address,
        borrowShares: sharesAfter,
        collateral: collateralAfter,
        recognizedShortfall: account.recognizedShortfall,
      },
      { timestamp, totals: totalsAfter, lpSupply: books.lpSupply },
      market,
    );
    totalsAfter = withShortfall(
      totalsAfter,
      account.recognizedShortfall,
      shortfallAfter,
    );
  }
  return {
    timestamp,
    collateralIndex,
    repayAssets,
    booksBefore,
    quote,
    realization,
    swept,
    sharePriceBefore: exitSharePrice(totals, books.lpSupply, market),
    sharePriceAfter: exitSharePrice(totalsAfter, books.lpSupply, market),
    shortfallAfter,
    booksAfter: { timestamp, totals: totalsAfter, lpSupply: books.lpSupply },
    accountAfter: {
      address: account.address,
      borrowShares: sharesAfter,
      collateral: collateralAfter,
      recognizedShortfall: shortfallAfter,
    },
  };
}

/** Dry run of `liquidateUntilClosed`: one call per second from `books.timestamp + 1`. */
export function planLiquidationsUntilClosed(
  books: Books,
  account: Account,
  market: Market,
): LiquidationPlan[] {
  const plans: LiquidationPlan[] = [];
  let [currentBooks, currentAccount] = [books, account];
  for (
    let index = nextCollateralToSeize(currentAccount);
    index !== null;
    index = nextCollateralToSeize(currentAccount)
  ) {
    if (plans.length >= 20)
      throw new Error("liquidation loop does not terminate");
    const request = liquidationRequest(currentAccount, currentBooks, market);
    const plan = planLiquidation(
      currentBooks,
      currentAccount,
      market,
      index,
      request,
      currentBooks.timestamp + 1n,
    );
    plans.push(plan);
    [currentBooks, currentAccount] = [plan.booksAfter, plan.accountAfter];
  }
  return plans;
}

export interface RedeemPlan {
  timestamp: bigint;
  shares: bigint;
  assets: bigint;
  booksBefore: Books;
  booksAfter: Books;
}

export function planRedeem(
  books: Books,
  market: Market,
  shares: bigint,
  timestamp: bigint,
): RedeemPlan {
  const booksBefore = accrueBooks(books, market, timestamp);
  const { totals, lpSupply } = booksBefore;
  // Exits are priced at the exit figure: LP assets net of the recognized shortfall the reserve does not cover.
  const assets = poolMath.lpAssetsDown(
    shares,
    poolMath.exitAssetsOf(totals),
    lpSupply,
  );
  return {
    timestamp,
    shares,
    assets,
    booksBefore,
    booksAfter: {
      timestamp,
      totals: { ...totals, totalLpAssets: totals.totalLpAssets - assets },
      lpSupply: lpSupply - shares,
    },
  };
}

export interface SocializationPlan {
  timestamp: bigint;
  booksBefore: Books;
  liquidity: poolMath.AccountLiquidity;
  realization: poolMath.BadDebtRealization;
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  booksAfter: Books;
}

export function planSocialization(
  books: Books,
  account: Account,
  market: Market,
  timestamp: bigint,
): SocializationPlan {
  const booksBefore = accrueBooks(books, market, timestamp);
  const liquidity = liquidityOf(account, booksBefore, market);
  if (
    !poolMath.canSocialize(liquidity, market.liquidation.dustThresholdAssets)
  ) {
    throw new Error(`poolMath: ${account.address} cannot be socialized`);
  }
  const realization = poolMath.realizeBadDebt(
    booksBefore.totals,
    account.borrowShares,
    account.recognizedShortfall,
  );
  return {
    timestamp,
    booksBefore,
    liquidity,
    realization,
    sharePriceBefore: exitSharePrice(booksBefore.totals, books.lpSupply, market),
    sharePriceAfter: exitSharePrice(
      realization.totalsAfter,
      books.lpSupply,
      market,
    ),
    booksAfter: {
      timestamp,
      totals: realization.totalsAfter,
      lpSupply: books.lpSupply,
    },
  };
}

// =====================================================================================================================
// Sending transactions at a known time
// =====================================================================================================================

/** Sets the next block one second after the latest and returns its timestamp. */
export async function nextSecond(): Promise<bigint> {
  const timestamp = BigInt(await time.latest()) + 1n;
  await time.setNextBlockTimestamp(timestamp);
  return timestamp;
}

export interface Sent {
  receipt: ContractTransactionReceipt;
  timestamp: bigint;
}

/** Sends `action` in a block exactly one second after the latest. */
export async function sendNextSecond(
  action: () => Promise<ContractTransactionResponse>,
): Promise<Sent> {
  const timestamp = await nextSecond();
  return { receipt: await mined(action), timestamp };
}

/** Sends `action` (in the block whose timestamp was set beforehand) and waits for it. */
export async function mined(
  action: () => Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  const receipt = await (await action()).wait();
  if (receipt === null) throw new Error("transaction not mined");
  return receipt;
}

/** Reads views on the pending block: the next call's block, with its timestamp, before the call. */
export const PENDING = { blockTag: "pending" } as const;

/** The typed events `event` of `pool` emitted by the transaction of `receipt`. */
export async function eventsOf<TEvent extends TypedContractEvent>(
  pool: Pool,
  event: TEvent,
  receipt: ContractTransactionReceipt,
): Promise<TypedEventLog<TEvent>[]> {
  const logs = await pool.queryFilter(
    event,
    receipt.blockNumber,
    receipt.blockNumber,
  );
  return logs.filter((log) => log.transactionHash === receipt.hash);
}

async function balancesOf(
  tokens: MockERC20[],
  account: string,
): Promise<bigint[]> {
  const balances: bigint[] = [];
  for (const token of tokens) balances.push(await token.balanceOf(account));
  return balances;
}

const collateralTokens = (lp: LossPath): MockERC20[] =>
  lp.collaterals.map((collateral) => collateral.token);

/** The dust collateral the DustCollateralSwept events of `receipt` moved, per collateral of `market` (listing order). */
async function sweptIn(
  pool: Pool,
  receipt: ContractTransactionReceipt,
  market: Market,
): Promise<bigint[]> {
  const sweeps = await eventsOf(
    pool,
    pool.filters.DustCollateralSwept,
    receipt,
  );
  return market.collaterals.map((entry) =>
    sweeps
      .filter((log) => log.args.collateral === entry.address)
      .reduce((sum, log) => sum + log.args.assets, 0n),
  );
}

// =====================================================================================================================
// Scenario steps
// =====================================================================================================================

/**
 * Deploys the pool through the factory (6-decimal loan asset, 8- and 18-decimal collaterals), switches it to the
 * kinked rate model, funds the extra actors, then runs step 1 (three LPs deposit) and step 2 (four borrowers open
 * positions: heavy, moderate, light, and a 1-wei dust account).
 */
export async function setupLossPath(): Promise<{ lp: LossPath; flows: Flows }> {
  const startBlock = await ethers.provider.getBlockNumber();
  const fixture = await deployPool({
    loanDecimals: LOAN_DECIMALS,
    collateralDecimals: COLLATERAL_DECIMALS,
    collateralPrices: INITIAL_PRICES,
    ltvBps: LTV_BPS,
    liquidationThresholdBps: LIQUIDATION_THRESHOLD_BPS,
    liquidationBonusBps: LIQUIDATION_BONUS_BPS,
    reserveFactorBps: RESERVE_FACTOR_BPS,
    closeFactorBps: CLOSE_FACTOR_BPS,
    fullLiquidationHealthFactor: FULL_LIQUIDATION_HEALTH_FACTOR,
    dustThresholdAssets: DUST_THRESHOLD,
  });
  const {
    pool,
    owner,
    lps,
    borrowers,
    liquidator,
    others,
    loanToken,
    collaterals,
  } = fixture;
  const p = RATE_MODEL_PARAMS;
  const kinked = await deployKinkedRateModel(p);
  await pool.connect(owner).setRateModel(await kinked.getAddress());

  const [dust, keeper, lateLp] = others;
  const poolAddress = await pool.getAddress();
  await collaterals[0].token.mint(dust.address, DUST_POSITION.collateral[0]);
  await collaterals[0].token
    .connect(dust)
    .approve(poolAddress, ethers.MaxUint256);
  await loanToken.mint(lateLp.address, LATE_DEPOSIT);
  await loanToken.connect(lateLp).approve(poolAddress, ethers.MaxUint256);

  const lp: LossPath = {
    ...fixture,
    kinked,
    startBlock,
    actors: {
      lps,
      heavy: borrowers[0],
      moderate: borrowers[1],
      light: borrowers[2],
      dust,
      liquidator,
      keeper,
      lateLp,
      treasury: owner,
    },
  };
  const flows = emptyFlows(collaterals.length);
  for (const [index, assets] of LP_DEPOSITS.entries())
    await deposit(lp, flows, lps[index], assets);
  const positions: [HardhatEthersSigner, PositionSpec][] = [
    [lp.actors.heavy, BORROWER_POSITIONS[0]],
    [lp.actors.moderate, BORROWER_POSITIONS[1]],
    [lp.actors.light, BORROWER_POSITIONS[2]],
    [dust, DUST_POSITION],
  ];
  for (const [borrower, spec] of positions)
    await openPosition(lp, flows, borrower, spec);
  return { lp, flows };
}

export async function deposit(
  lp: LossPath,
  flows: Flows,
  signer: HardhatEthersSigner,
  assets: bigint,
): Promise<bigint> {
  const sharesBefore = await lp.pool.balanceOf(signer.address);
  const loanBefore = await lp.loanToken.balanceOf(signer.address);
  await sendNextSecond(() =>
    lp.pool.connect(signer).deposit(assets, signer.address),
  );
  flows.loan.lpDeposits +=
    loanBefore - (await lp.loanToken.balanceOf(signer.address));
  return (await lp.pool.balanceOf(signer.address)) - sharesBefore;
}

/** Supplies the position's collateral, then borrows against it. */
export async function openPosition(
  lp: LossPath,
  flows: Flows,
  borrower: HardhatEthersSigner,
  spec: PositionSpec,
): Promise<void> {
  const tokens = collateralTokens(lp);
  for (const [index, amount] of spec.collateral.entries()) {
    if (amount === 0n) continue;
    const before = await tokens[index].balanceOf(borrower.address);
    const collateral = await tokens[index].getAddress();
    await sendNextSecond(() =>
      lp.pool
        .connect(borrower)
        .supplyCollateral(collateral, amount, borrower.address),
    );
    flows.collateral[index].supplied +=
      before - (await tokens[index].balanceOf(borrower.address));
  }
  const loanBefore = await lp.loanToken.balanceOf(borrower.address);
  await sendNextSecond(() =>
    lp.pool.connect(borrower).borrow(spec.borrow, borrower.address),
  );
  flows.loan.borrowed +=
    (await lp.loanToken.balanceOf(borrower.address)) - loanBefore;
}

export interface AccrualRecord {
  booksBefore: Books;
  elapsed: bigint;
  ratePerSecondE18: bigint;
  /** poolMath's accrue() over the period. */
  expected: poolMath.PoolTotals;
  /** The views at the end of the period. */
  observed: poolMath.PoolTotals;
  observedRatePerSecondE18: bigint;
}

/** Step 3: lets `seconds` pass in one block and reads the accrued totals. */
export async function accrueInterestOver(
  lp: LossPath,
  seconds: bigint,
): Promise<AccrualRecord> {
  const market = await readMarket(lp);
  const booksBefore = await readBooks(lp.pool);
  const observedRatePerSecondE18 = await lp.pool.borrowRatePerSecond();
  await time.increaseTo(booksBefore.timestamp + seconds);
  return {
    booksBefore,
    elapsed: seconds,
    ratePerSecondE18: borrowRateOf(booksBefore.totals, market),
    expected: accrueBooks(booksBefore, market, booksBefore.timestamp + seconds)
      .totals,
    observed: await readTotals(lp.pool),
    observedRatePerSecondE18,
  };
}

export async function donateToReserve(
  lp: LossPath,
  flows: Flows,
  assets: bigint,
): Promise<void> {
  const { treasury } = lp.actors;
  const before = await lp.loanToken.balanceOf(treasury.address);
  await sendNextSecond(() => lp.pool.connect(treasury).donateToReserve(assets));
  flows.loan.donated +=
    before - (await lp.loanToken.balanceOf(treasury.address));
}

/** Step 4: both oracles report the crashed prices, then a keeper accrues so the books are in sync. */
export async function crashCollateralPrices(lp: LossPath): Promise<void> {
  for (const [index, collateral] of lp.collaterals.entries()) {
    const crashed = priceE36(
      CRASHED_PRICES[index],
      LOAN_DECIMALS,
      collateral.decimals,
    );
    await sendNextSecond(() => collateral.oracle.setPrice(crashed));
  }
  await sendNextSecond(() =>
    lp.pool.connect(lp.actors.keeper).accrueInterest(),
  );
}

export interface BadDebtFigures {
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
}

export interface LiquidationRecord {
  plan: LiquidationPlan;
  receipt: ContractTransactionReceipt;
  /** The close-factor share of the debt (rounded up) at the block before the call. */
  closeFactorShare: bigint;
  /** pool.sharePrice() read on the call's block: before the call (pending block) and after it. */
  sharePriceViewBefore: bigint;
  sharePriceViewAfter: bigint;
  /** Each LP's pool.previewRedeem(balanceOf) on the call's block, before the call (pending block). */
  lpRedeemableViewBefore: bigint[];
  observed: {
    repaidAssets: bigint;
    repaidShares: bigint;
    seizedCollateral: bigint;
    badDebtAssets: bigint;
    /** The BadDebtRealized event, if any. */
    badDebt: BadDebtFigures | null;
    /** DustCollateralSwept amounts per collateral. */
    swept: bigint[];
    liquidatorPaid: bigint;
    liquidatorCollateralReceived: bigint[];
    booksAfter: Books;
    accountAfter: Account;
  };
}

/** Step 5, one call: the liquidator repays what `liquidationRequest` says on the given collateral. */
export async function liquidateOnce(
  lp: LossPath,
  flows: Flows,
  borrower: string,
  collateralIndex: number,
): Promise<LiquidationRecord> {
  const { pool, loanToken } = lp;
  const { liquidator } = lp.actors;
  const tokens = collateralTokens(lp);
  const market = await readMarket(lp);
  const books = await readBooks(pool);
  const account = await readAccount(lp, borrower);
  const request = liquidationRequest(account, books, market);
  const closeFactorShare = poolMath.bpsUp(
    liquidityOf(account, books, market).debt,
    market.liquidation.closeFactorBps,
  );
  const loanBefore = await loanToken.balanceOf(liquidator.address);
  const collateralBefore = await balancesOf(tokens, liquidator.address);

  const timestamp = await nextSecond();
  const plan = planLiquidation(
    books,
    account,
    market,
    collateralIndex,
    request,
    timestamp,
  );
  const sharePriceViewBefore = await pool.sharePrice(PENDING);
  const lpRedeemableViewBefore: bigint[] = [];
  for (const signer of lp.actors.lps) {
    lpRedeemableViewBefore.push(
      await pool.previewRedeem(await pool.balanceOf(signer.address), PENDING),
    );
  }
  const collateral = market.collaterals[collateralIndex].address;
  const receipt = await mined(() =>
    pool
      .connect(liquidator)
      .liquidate(
        borrower,
        collateral,
        request,
        plan.quote.seizedCollateral,
        liquidator.address,
      ),
  );

  const [liquidated] = await eventsOf(pool, pool.filters.Liquidate, receipt);
  const realized = await eventsOf(pool, pool.filters.BadDebtRealized, receipt);
  const swept = await sweptIn(pool, receipt, market);
  const liquidatorPaid =
    loanBefore - (await loanToken.balanceOf(liquidator.address));
  const collateralAfter = await balancesOf(tokens, liquidator.address);
  const liquidatorCollateralReceived = collateralAfter.map(
    (balance, index) => balance - collateralBefore[index],
  );

  flows.loan.liquidatorPaid += liquidatorPaid;
  flows.collateral[collateralIndex].seized += liquidated.args.seizedCollateral;
  for (const [index, amount] of swept.entries())
    flows.collateral[index].swept += amount;

  return {
    plan,
    receipt,
    closeFactorShare,
    sharePriceViewBefore,
    sharePriceViewAfter: await pool.sharePrice(),
    lpRedeemableViewBefore,
    observed: {
      repaidAssets: liquidated.args.repaidAssets,
      repaidShares: liquidated.args.repaidShares,
      seizedCollateral: liquidated.args.seizedCollateral,
      badDebtAssets: liquidated.args.badDebtAssets,
      badDebt: realized.length === 0 ? null : badDebtFiguresOf(realized[0]),
      swept,
      liquidatorPaid,
      liquidatorCollateralReceived,
      booksAfter: await readBooks(pool),
      accountAfter: await readAccount(lp, borrower),
    },
  };
}

function badDebtFiguresOf(
  log: TypedEventLog<Pool["filters"]["BadDebtRealized"]>,
): BadDebtFigures {
  return {
    badDebtAssets: log.args.badDebtAssets,
    coveredByReserve: log.args.coveredByReserve,
    socializedAssets: log.args.socializedAssets,
    sharePriceBefore: log.args.sharePriceBefore,
    sharePriceAfter: log.args.sharePriceAfter,
  };
}

/** Step 5: liquidates collateral by collateral, one call per second, until the account owes nothing. */
export async function liquidateUntilClosed(
  lp: LossPath,
  flows: Flows,
  borrower: string,
): Promise<LiquidationRecord[]> {
  const records: LiquidationRecord[] = [];
  for (
    let index = nextCollateralToSeize(await readAccount(lp, borrower));
    index !== null;
    index = nextCollateralToSeize(await readAccount(lp, borrower))
  ) {
    if (records.length >= 20)
      throw new Error("liquidation loop does not terminate");
    records.push(await liquidateOnce(lp, flows, borrower, index));
  }
  return records;
}

export interface RedeemRecord {
  plan: RedeemPlan;
  receipt: ContractTransactionReceipt;
  maxRedeem: bigint;
  payout: bigint;
  booksAfter: Books;
}

/**
 * Redeems `sharesToRedeem(pendingBlock)` shares of `signer` (read on the redemption's own block), asking for at least
 * what poolMath predicts.
 */
export async function redeemShares(
  lp: LossPath,
  flows: Flows,
  signer: HardhatEthersSigner,
  sharesToRedeem: () => Promise<bigint>,
): Promise<RedeemRecord> {
  const { pool, loanToken } = lp;
  const market = await readMarket(lp);
  const books = await readBooks(pool);
  const before = await loanToken.balanceOf(signer.address);
  const timestamp = await nextSecond();
  const shares = await sharesToRedeem();
  const maxRedeem = await pool.maxRedeem(signer.address, PENDING);
  const plan = planRedeem(books, market, shares, timestamp);
  const receipt = await mined(() =>
    pool
      .connect(signer)
      .redeemWithMinAssets(shares, signer.address, signer.address, plan.assets),
  );
  const payout = (await loanToken.balanceOf(signer.address)) - before;
  flows.loan.lpWithdrawals += payout;
  return { plan, receipt, maxRedeem, payout, booksAfter: await readBooks(pool) };
}

/** Redeems every share `signer` holds. */
export async function redeemEverything(
  lp: LossPath,
  flows: Flows,
  signer: HardhatEthersSigner,
): Promise<RedeemRecord> {
  return redeemShares(lp, flows, signer, () =>
    lp.pool.balanceOf(signer.address),
  );
}

/** Redeems `maxRedeem(signer)` shares, as read on the redemption's block. */
export async function redeemMax(
  lp: LossPath,
  flows: Flows,
  signer: HardhatEthersSigner,
): Promise<RedeemRecord> {
  return redeemShares(lp, flows, signer, () =>
    lp.pool.maxRedeem(signer.address, PENDING),
  );
}

export interface RoundTripRecord {
  deposited: bigint;
  plannedShares: bigint;
  shares: bigint;
  redeem: RedeemRecord;
}

/** Deposits `assets` and immediately redeems every share minted. */
export async function depositThenRedeem(
  lp: LossPath,
  flows: Flows,
  signer: HardhatEthersSigner,
  assets: bigint,
): Promise<RoundTripRecord> {
  const market = await readMarket(lp);
  const books = await readBooks(lp.pool);
  const accrued = accrueBooks(books, market, books.timestamp + 1n);
  const plannedShares = poolMath.lpSharesDown(
    assets,
    accrued.totals.totalLpAssets,
    accrued.lpSupply,
  );
  const shares = await deposit(lp, flows, signer, assets);
  return {
    deposited: assets,
    plannedShares,
    shares,
    redeem: await redeemEverything(lp, flows, signer),
  };
}

export interface SocializationRecord {
  plan: SocializationPlan;
  observed: {
    badDebt: BadDebtFigures;
    swept: bigint[];
    callerCollateralReceived: bigint[];
    booksAfter: Books;
    accountAfter: Account;
  };
}

/** `caller` realizes the bad debt of a dust account and receives its dust collateral. */
export async function socializeDustAccount(
  lp: LossPath,
  flows: Flows,
  borrower: string,
  caller: HardhatEthersSigner,
): Promise<SocializationRecord> {
  const { pool } = lp;
  const tokens = collateralTokens(lp);
  const market = await readMarket(lp);
  const books = await readBooks(pool);
  const plan = planSocialization(
    books,
    await readAccount(lp, borrower),
    market,
    books.timestamp + 1n,
  );
  const before = await balancesOf(tokens, caller.address);
  const { receipt } = await sendNextSecond(() =>
    pool.connect(caller).socializeBadDebt(borrower),
  );
  const [realized] = await eventsOf(
    pool,
    pool.filters.BadDebtRealized,
    receipt,
  );
  const swept = await sweptIn(pool, receipt, market);
  for (const [index, amount] of swept.entries())
    flows.collateral[index].swept += amount;
  const after = await balancesOf(tokens, caller.address);
  return {
    plan,
    observed: {
      badDebt: badDebtFiguresOf(realized),
      swept,
      callerCollateralReceived: after.map(
        (balance, index) => balance - before[index],
      ),
      booksAfter: await readBooks(pool),
      accountAfter: await readAccount(lp, borrower),
    },
  };
}

/** Repays the borrower's whole debt (the borrower pays). Returns what it paid. */
export async function repayInFull(
  lp: LossPath,
  flows: Flows,
  borrower: HardhatEthersSigner,
): Promise<bigint> {
  const before = await lp.loanToken.balanceOf(borrower.address);
  await sendNextSecond(() =>
    lp.pool.connect(borrower).repay(ethers.MaxUint256, borrower.address),
  );
  const paid = before - (await lp.loanToken.balanceOf(borrower.address));
  flows.loan.repaid += paid;
  return paid;
}

export async function withdrawAllCollateral(
  lp: LossPath,
  flows: Flows,
  borrower: HardhatEthersSigner,
): Promise<void> {
  for (const [index, token] of collateralTokens(lp).entries()) {
    const collateral = await token.getAddress();
    const balance = await lp.pool.collateralOf(borrower.address, collateral);
    if (balance === 0n) continue;
    const before = await token.balanceOf(borrower.address);
    await sendNextSecond(() =>
      lp.pool
        .connect(borrower)
        .withdrawCollateral(collateral, balance, borrower.address),
    );
    flows.collateral[index].withdrawn +=
      (await token.balanceOf(borrower.address)) - before;
  }
}

/** The treasury withdraws the whole reserve (as of the withdrawal's block). Returns the amount. */
export async function withdrawWholeReserve(
  lp: LossPath,
  flows: Flows,
): Promise<bigint> {
  const { treasury } = lp.actors;
  const market = await readMarket(lp);
  const books = await readBooks(lp.pool);
  const reserve = accrueBooks(books, market, books.timestamp + 1n).totals
    .reserveAssets;
  if (reserve === 0n) return 0n;
  const before = await lp.loanToken.balanceOf(treasury.address);
  await sendNextSecond(() =>
    lp.pool.connect(treasury).withdrawReserve(reserve, treasury.address),
  );
  const withdrawn = (await lp.loanToken.balanceOf(treasury.address)) - before;
  flows.loan.reserveWithdrawn += withdrawn;
  return withdrawn;
}

export interface LifetimeTotals {
  interest: bigint;
  reserveInterest: bigint;
  badDebt: bigint;
  coveredByReserve: bigint;
  socialized: bigint;
}

/** Sums of InterestAccrued and BadDebtRealized over the scenario. */
export async function lifetimeTotals(lp: LossPath): Promise<LifetimeTotals> {
  const { pool, startBlock } = lp;
  const accruals = await pool.queryFilter(
    pool.filters.InterestAccrued,
    startBlock,
  );
  const realizations = await pool.queryFilter(
    pool.filters.BadDebtRealized,
    startBlock,
  );
  const sum = (values: bigint[]): bigint =>
    values.reduce((total, value) => total + value, 0n);
  return {
    interest: sum(accruals.map((log) => log.args.interestAssets)),
    reserveInterest: sum(accruals.map((log) => log.args.reserveAssetsAdded)),
    badDebt: sum(realizations.map((log) => log.args.badDebtAssets)),
    coveredByReserve: sum(realizations.map((log) => log.args.coveredByReserve)),
    socialized: sum(realizations.map((log) => log.args.socializedAssets)),
  };
}

// =====================================================================================================================
// Composite runs
// =====================================================================================================================

export interface CrashedLossPath {
  lp: LossPath;
  flows: Flows;
  accrual: AccrualRecord;
  /** Books and heavy account right after the crash (synced). */
  postCrashBooks: Books;
  postCrashHeavy: Account;
}

/** Setup, steps 1–4: deposits, positions, 30 days of interest, the treasury's donation, the price crash. */
export async function reachCrash(): Promise<CrashedLossPath> {
  const { lp, flows } = await setupLossPath();
  const accrual = await accrueInterestOver(lp, INTEREST_PERIOD);
  await donateToReserve(lp, flows, TREASURY_DONATION);
  await crashCollateralPrices(lp);
  return {
    lp,
    flows,
    accrual,
    postCrashBooks: await readBooks(lp.pool),
    postCrashHeavy: await readAccount(lp, lp.actors.heavy.address),
  };
}

/**
 * One LP's loss over a write-down: what its `shares` were worth at a reference point (before anyone acted on the
 * crash) and what they are worth, or were paid, at the end.
 */
export interface LpLoss {
  shares: bigint;
  before: bigint;
  after: bigint;
}

/**
 * poolMath's figures for an LP holding `shares` from `booksBefore` to `booksAfter` (same share supply): its shares'
 * value at the exit figure (pool.previewRedeem) of each.
 */
export function lpLossOf(
  shares: bigint,
  booksBefore: Books,
  booksAfter: Books,
): LpLoss {
  return {
    shares,
    before: poolMath.lpAssetsDown(
      shares,
      poolMath.exitAssetsOf(booksBefore.totals),
      booksBefore.lpSupply,
    ),
    after: poolMath.lpAssetsDown(
      shares,
      poolMath.exitAssetsOf(booksAfter.totals),
      booksAfter.lpSupply,
    ),
  };
}

/** The call of `records` that realized bad debt. */
export function realizingCall(
  records: LiquidationRecord[],
): LiquidationRecord & {
  plan: LiquidationPlan & { realization: poolMath.BadDebtRealization };
} {
  const record = records.find((entry) => entry.plan.realization !== null);
  if (record === undefined || record.plan.realization === null)
    throw new Error("no liquidation realized bad debt");
  return {
    ...record,
    plan: { ...record.plan, realization: record.plan.realization },
  };
}

/**
 * The recovery: time passes, the moderate borrower repays and takes its collateral back, the light borrower repays
 * (its collateral stays posted) and the treasury withdraws the reserve. Afterwards no debt is left.
 */
export async function recover(lp: LossPath, flows: Flows): Promise<void> {
  const { actors } = lp;
  await time.increase(RECOVERY_PERIOD);
  await repayInFull(lp, flows, actors.moderate);
  await withdrawAllCollateral(lp, flows, actors.moderate);
  await repayInFull(lp, flows, actors.light);
  await withdrawWholeReserve(lp, flows);
}

/**
 * The recovery, then every original LP exits: `redeem(maxRedeem)`, which equals its whole balance whenever the idle
 * cash covers it (see the loss-path test "LPs withdraw what is left").
 */
export async function recoverAndExit(
  lp: LossPath,
  flows: Flows,
): Promise<RedeemRecord[]> {
  await recover(lp, flows);
  const redemptions: RedeemRecord[] = [];
  for (const signer of lp.actors.lps)
    redemptions.push(await redeemMax(lp, flows, signer));
  return redemptions;
}

export interface WithdrawalRaceSide {
  realization: poolMath.BadDebtRealization;
  /** The books losses are measured from: right after the crash, before anyone acted on it. */
  reference: Books;
  /** The exit LP assets (totalAssets()) at the reference and right after the realization. */
  lpAssetsBefore: bigint;
  lpAssetsAfter: bigint;
  /**
   * Per LP: its shares at the reference, their value then (previewRedeem at the reference books) and at the end:
   * previewRedeem after the realization, or, for an LP that exited, what it was paid.
   */
  lpLosses: LpLoss[];
}

/** Index of the escaping LP in `actors.lps`. */
export const ESCAPER = 1;

export interface RecognitionRecord {
  /** The books on the call's block after its accrual, before its effects. */
  booksBefore: Books;
  /** poolMath's shortfall of each account (same order as the call's list). */
  expected: bigint[];
  /** The books poolMath predicts after the call. */
  booksAfterPlanned: Books;
  observed: {
    /** ShortfallUpdated events, in order. */
    updates: { account: string; before: bigint; after: bigint; total: bigint }[];
    booksAfter: Books;
    /** pool.recognizedShortfall of each account after the call. */
    recognized: bigint[];
  };
}

/** A keeper calls recognizeLosses(accounts) one second after the latest block. */
export async function recognizeShortfalls(
  lp: LossPath,
  accounts: readonly string[],
): Promise<RecognitionRecord> {
  const { pool } = lp;
  const market = await readMarket(lp);
  const books = await readBooks(pool);
  const timestamp = await nextSecond();
  const booksBefore = accrueBooks(books, market, timestamp);
  let totals = booksBefore.totals;
  const expected: bigint[] = [];
  for (const address of accounts) {
    const account = await readAccount(lp, address);
    const shortfall = shortfallNow(account, booksBefore, market);
    expected.push(shortfall);
    totals = withShortfall(totals, account.recognizedShortfall, shortfall);
  }
  const receipt = await mined(() =>
    pool.connect(lp.actors.keeper).recognizeLosses([...accounts]),
  );
  const updates = (
    await eventsOf(pool, pool.filters.ShortfallUpdated, receipt)
  ).map((log) => ({
    account: log.args.account,
    before: log.args.shortfallBefore,
    after: log.args.shortfallAfter,
    total: log.args.totalShortfall,
  }));
  const recognized: bigint[] = [];
  for (const address of accounts)
    recognized.push(await pool.recognizedShortfall(address));
  return {
    booksBefore,
    expected,
    booksAfterPlanned: { timestamp, totals, lpSupply: booksBefore.lpSupply },
    observed: { updates, booksAfter: await readBooks(pool), recognized },
  };
}

/**
 * From the post-crash state: optionally a keeper recognizes the heavy account's shortfall, optionally the escaper
 * redeems everything, then the heavy account is liquidated until closed. Losses are measured from the post-crash
 * books for every LP.
 */
export async function writeDownSide(
  crashed: CrashedLossPath,
  flows: Flows,
  escape: boolean,
  recognizeFirst = false,
): Promise<{
  side: WithdrawalRaceSide;
  escaperPayout: bigint;
  recognition: RecognitionRecord | null;
  records: LiquidationRecord[];
  escape: RedeemRecord | null;
}> {
  const { lp, postCrashBooks } = crashed;
  const sharesAtCrash: bigint[] = [];
  for (const signer of lp.actors.lps)
    sharesAtCrash.push(await lp.pool.balanceOf(signer.address));
  const recognition = recognizeFirst
    ? await recognizeShortfalls(lp, [lp.actors.heavy.address])
    : null;
  const escapeRecord = escape
    ? await redeemEverything(lp, flows, lp.actors.lps[ESCAPER])
    : null;
  const records = await liquidateUntilClosed(
    lp,
    flows,
    lp.actors.heavy.address,
  );
  const { plan } = realizingCall(records);
  const lpLosses: LpLoss[] = [];
  for (const [index, shares] of sharesAtCrash.entries()) {
    const before = poolMath.lpAssetsDown(
      shares,
      poolMath.exitAssetsOf(postCrashBooks.totals),
      postCrashBooks.lpSupply,
    );
    const after =
      escapeRecord !== null && index === ESCAPER
        ? escapeRecord.payout
        : await lp.pool.previewRedeem(shares);
    lpLosses.push({ shares, before, after });
  }
  return {
    side: {
      realization: plan.realization,
      reference: postCrashBooks,
      lpAssetsBefore: poolMath.exitAssetsOf(postCrashBooks.totals),
      lpAssetsAfter: poolMath.exitAssetsOf(plan.booksAfter.totals),
      lpLosses,
    },
    escaperPayout: escapeRecord === null ? 0n : escapeRecord.payout,
    recognition,
    records,
    escape: escapeRecord,
  };
}

// =====================================================================================================================
// Formatting
// =====================================================================================================================

/** `numerator / denominator` as a percentage with 4 decimals, rounded down. */
export function formatPercent(numerator: bigint, denominator: bigint): string {
  const ppm = poolMath.mulDivDown(numerator, 100n * 10n ** 6n, denominator);
  const whole = ppm / 10n ** 6n;
  const fraction = (ppm % 10n ** 6n).toString().padStart(6, "0").slice(0, 4);
  return `${whole}.${fraction}%`;
}

export const formatLoan = (raw: bigint): string =>
  ethers.formatUnits(raw, LOAN_DECIMALS);
