/**
 * The reference model of one pool for the differential suite: the pool's whole state (LP shares, borrow shares,
 * collateral balances, totals, reserve, prices, accrual clock, pause flag) and every wallet and pool token balance,
 * advanced by the same operations as the contract.
 *
 * Every formula comes from keepers/src/model/poolMath.ts (accrue, realizeBadDebt, quoteLiquidation, quoteClose,
 * accountLiquidity, recoveryValue, shortfallOf, bookPrice, exitAssetsOf, withdrawableReserve, the LP and borrow-share
 * conversions, canSocialize, …); this class only sequences them in the contract's order of checks and effects, so
 * that it can say, before a call is sent, whether it succeeds, which custom error (with which arguments) it reverts
 * with otherwise, which `ShortfallUpdated` and `BadDebtRealized` events it emits, and what every figure is afterwards.
 *
 * Loss recognition: each account's recorded shortfall and their total; exits (withdraw, redeem, their max views,
 * totalAssets, sharePrice) at the exit figure, entries (deposit, mint) at the gross LP assets; the refresh-on-touch
 * rules (borrow and withdrawCollateral clear, repay and supplyCollateral re-value only an account with a recorded
 * shortfall, liquidate refreshes after, realization clears); last trusted prices with their dates (the listing's,
 * then every live price a recognition, a refresh on touch, a liquidation, a close, a write-off or refreshTrustedPrices
 * reads) standing in for an oracle that reverts or answers 0 for MAX_TRUSTED_PRICE_AGE, after which the collateral
 * is unpriced: liquidate, the close and socializeBadDebt refuse the account, recognition values it at 0.
 */
import {
  accountLiquidity,
  accrue,
  bookPrice,
  canSocialize,
  cappedBorrowRate,
  cashOf,
  exitAssetsOf,
  kinkedBorrowRatePerSecond,
  lpAssetsDown,
  lpAssetsUp,
  lpSharesDown,
  lpSharesUp,
  min,
  quoteClose,
  quoteLiquidation,
  realizeBadDebt,
  recordsTrustedPrice,
  recoveryValue,
  sharePrice,
  shortfallOf,
  toAssetsUp,
  toSharesDown,
  toSharesUp,
  withdrawableReserve,
  zeroFloorSub,
  DECIMALS_OFFSET,
  type AccountLiquidity,
  type ClosingCollateral,
  type CloseRefusal,
  type CollateralPosition,
  type KinkedRateParams,
  type LiquidationInput,
  type LiquidationParams,
  type PoolTotals,
  type TrustedPrice,
  liquidationRefusal,
} from "../../keepers/src/model/poolMath";

export const UINT128_MAX = 2n ** 128n - 1n;
/** The supply cap every collateral is listed with (the largest the pool accepts). */
export const COLLATERAL_SUPPLY_CAP = UINT128_MAX;

/** Everyone who acts on the pool. LPs hold shares; borrowers hold collateral and debt. */
export const LP_NAMES = ["lp0", "lp1", "lp2"] as const;
export const BORROWER_NAMES = ["b0", "b1", "b2"] as const;
export const ACTOR_NAMES = [...LP_NAMES, ...BORROWER_NAMES, "liquidator", "owner", "guardian"] as const;
export type ActorName = (typeof ACTOR_NAMES)[number];
export type LpName = (typeof LP_NAMES)[number];
export type BorrowerName = (typeof BORROWER_NAMES)[number];

/** Token 0 is the loan asset; token 1 + i is collateral i. */
export type TokenIndex = number;
export const LOAN_TOKEN: TokenIndex = 0;

export type RateSpec = { kind: "constant"; ratePerSecondE18: bigint } | { kind: "kinked"; params: KinkedRateParams };

export interface CollateralSpec {
  decimals: number;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
}

export interface PoolSpec {
  loanDecimals: number;
  collaterals: readonly CollateralSpec[];
  reserveFactorBps: bigint;
  liquidationParams: LiquidationParams;
  rate: RateSpec;
}

/** Addresses the model needs to predict custom-error arguments. */
export interface AddressBook {
  pool: string;
  actors: Record<ActorName, string>;
  collaterals: readonly string[];
}

/** Which contract a revert comes from (its interface decodes the error). */
export type RevertSource = "pool" | "loanToken" | `collateral${number}` | `oracle${number}`;

export interface ExpectedRevert {
  source: RevertSource;
  error: string;
  args: readonly (bigint | string)[];
}

/** One `BadDebtRealized` the model expects, with the figures around it. */
export interface ExpectedRealization {
  borrower: BorrowerName;
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  /** sharePrice() (the exit price) just before and just after the write-off. */
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  reserveBefore: bigint;
  /** The account's recognized shortfall, which leaves the total with it. */
  recognizedShortfall: bigint;
  /** Gross LP assets (entryTotalAssets) and the exit figure (totalAssets) just before and after. */
  totalLpAssetsBefore: bigint;
  totalLpAssetsAfter: bigint;
  exitAssetsBefore: bigint;
  exitAssetsAfter: bigint;
  totalSupply: bigint;
}

/** One `ShortfallUpdated` the model expects. */
export interface ExpectedShortfallUpdate {
  account: ActorName;
  shortfallBefore: bigint;
  shortfallAfter: bigint;
  totalShortfall: bigint;
}

/** The pool events an operation emits that the suite checks, in emission order per kind. */
export interface EventLog {
  realizations: ExpectedRealization[];
  shortfallUpdates: ExpectedShortfallUpdate[];
}

export type Outcome =
  | {
      ok: true;
      next: ReferencePool;
      realizations: ExpectedRealization[];
      shortfallUpdates: ExpectedShortfallUpdate[];
      result: bigint;
      detail: string;
    }
  | { ok: false; revert: ExpectedRevert };

/** Thrown inside an operation to stop it with the contract's custom error. */
class Revert extends Error {
  constructor(readonly expected: ExpectedRevert) {
    super(`${expected.source}.${expected.error}`);
  }
}

export class ReferencePool {
  /** The pool's stored totals, as of `lastAccrual`. */
  totals: PoolTotals;
  lastAccrual: bigint;
  paused = false;
  reserveFactorBps: bigint;
  /** LP share balances, by actor (only LPs ever hold shares here, but any actor may). */
  shares: Record<ActorName, bigint>;
  totalSupply = 0n;
  borrowShares: Record<ActorName, bigint>;
  /** The shortfall the pool has recorded for each account (recognizedShortfall). */
  shortfall: Record<ActorName, bigint>;
  /** collateral[actor][i]: balance of collateral i credited to the actor in the pool. */
  collateral: Record<ActorName, bigint[]>;
  totalCollateral: bigint[];
  /** What each mock oracle is set to answer (0 counts as no price). */
  pricesE36: bigint[];
  /** Whether each mock oracle reverts (OracleDown) instead of answering. */
  oracleReverting: boolean[];
  /** Pool.lastTrustedPrice of each collateral: the price and when it was stored. */
  trustedPrices: TrustedPrice[];
  /** wallets[actor][token]: token balances outside the pool. */
  wallets: Record<ActorName, bigint[]>;
  /** Token balances of the pool's address. */
  poolBalances: bigint[];
  /** Loan assets sent to the pool by plain transfer: in its balance, in no total. */
  strayLoanAssets = 0n;

  constructor(
    readonly spec: PoolSpec,
    readonly addresses: AddressBook,
    startTimestamp: bigint,
    initialWallets: Record<ActorName, bigint[]>,
    initialPricesE36: readonly bigint[],
    initialTrustedPrices: readonly TrustedPrice[],
  ) {
    const tokenCount = spec.collaterals.length + 1;
    const perActor = <T>(make: () => T): Record<ActorName, T> =>
      Object.fromEntries(ACTOR_NAMES.map((name) => [name, make()])) as Record<ActorName, T>;
    this.totals = {
      totalLpAssets: 0n,
      reserveAssets: 0n,
      totalBorrowAssets: 0n,
      totalBorrowShares: 0n,
      totalShortfallAssets: 0n,
    };
    this.lastAccrual = startTimestamp;
    this.reserveFactorBps = spec.reserveFactorBps;
    this.shares = perActor(() => 0n);
    this.borrowShares = perActor(() => 0n);
    this.shortfall = perActor(() => 0n);
    this.collateral = perActor(() => spec.collaterals.map(() => 0n));
    this.totalCollateral = spec.collaterals.map(() => 0n);
    this.pricesE36 = [...initialPricesE36];
    this.oracleReverting = spec.collaterals.map(() => false);
    this.trustedPrices = initialTrustedPrices.map((trusted) => ({ ...trusted }));
    this.wallets = perActor(() => Array.from({ length: tokenCount }, () => 0n));
    for (const name of ACTOR_NAMES) this.wallets[name] = [...initialWallets[name]];
    this.poolBalances = Array.from({ length: tokenCount }, () => 0n);
  }

  clone(): ReferencePool {
    const copy = Object.create(ReferencePool.prototype) as ReferencePool;
    Object.assign(copy, this);
    copy.totals = { ...this.totals };
    copy.shares = { ...this.shares };
    copy.borrowShares = { ...this.borrowShares };
    copy.shortfall = { ...this.shortfall };
    copy.collateral = Object.fromEntries(ACTOR_NAMES.map((name) => [name, [...this.collateral[name]]])) as Record<
      ActorName,
      bigint[]
    >;
    copy.totalCollateral = [...this.totalCollateral];
    copy.pricesE36 = [...this.pricesE36];
    copy.oracleReverting = [...this.oracleReverting];
    copy.trustedPrices = this.trustedPrices.map((trusted) => ({ ...trusted }));
    copy.wallets = Object.fromEntries(ACTOR_NAMES.map((name) => [name, [...this.wallets[name]]])) as Record<
      ActorName,
      bigint[]
    >;
    copy.poolBalances = [...this.poolBalances];
    return copy;
  }

  /** Makes this model the state `next` (an operation's outcome). */
  adopt(next: ReferencePool): void {
    Object.assign(this, next);
  }

  /** A copy with interest accrued up to `timestamp`, for sizing a call sent at that time. */
  accruedCopy(timestamp: bigint): ReferencePool {
    const copy = this.clone();
    copy.accrueInterest(timestamp);
    return copy;
  }

  // ------------------------------------------------------------------ derived figures

  get shareDecimals(): bigint {
    return BigInt(this.spec.loanDecimals) + DECIMALS_OFFSET;
  }

  /** The rate the pool's next accrual charges on its stored totals (Pool._borrowRate). */
  borrowRate(totals: PoolTotals = this.totals): bigint {
    const rate = this.spec.rate;
    if (rate.kind === "constant") return cappedBorrowRate(rate.ratePerSecondE18);
    return cappedBorrowRate(kinkedBorrowRatePerSecond(rate.params, cashOf(totals), totals.totalBorrowAssets));
  }

  /** The totals with interest accrued up to `timestamp` (what the views report in a block at `timestamp`). */
  accruedTotals(timestamp: bigint): PoolTotals {
    return accrue(this.totals, this.borrowRate(), timestamp - this.lastAccrual, this.reserveFactorBps);
  }

  /** sharePrice(): the exit price, at the exit figure of `totals`. */
  sharePriceAt(totals: PoolTotals): bigint {
    return sharePrice(exitAssetsOf(totals), this.totalSupply, this.shareDecimals);
  }

  /** entrySharePrice(): at the gross LP assets of `totals`. */
  entrySharePriceAt(totals: PoolTotals): bigint {
    return sharePrice(totals.totalLpAssets, this.totalSupply, this.shareDecimals);
  }

  /** What the mock oracle of collateral `index` answers: null while it reverts. */
  oracleAnswer(index: number): bigint | null {
    return this.oracleReverting[index] ? null : this.pricesE36[index];
  }

  /** The account's collateral at the oracles' answers (the strict valuation; a failed oracle is not caught here). */
  positionsOf(account: ActorName): CollateralPosition[] {
    return this.spec.collaterals.map((collateral, index) => ({
      balance: this.collateral[account][index],
      priceE36: this.pricesE36[index],
      ltvBps: collateral.ltvBps,
      liquidationThresholdBps: collateral.liquidationThresholdBps,
      liquidationBonusBps: collateral.liquidationBonusBps,
    }));
  }

  /** poolMath.bookPrice of collateral `index` in a block at `timestamp`. */
  bookPriceOf(index: number, timestamp: bigint): { priceE36: bigint; live: boolean; expired: boolean } {
    return bookPrice(this.oracleAnswer(index), this.trustedPrices[index], timestamp);
  }

  /**
   * The account's collateral at book prices in a block at `timestamp` (poolMath.bookPrice: live, else the last
   * trusted price while recent, else 0), with `live`.
   */
  bookPositionsOf(account: ActorName, timestamp: bigint): ClosingCollateral[] {
    return this.spec.collaterals.map((collateral, index) => {
      const { priceE36, live } = this.bookPriceOf(index, timestamp);
      return {
        balance: this.collateral[account][index],
        priceE36,
        live,
        ltvBps: collateral.ltvBps,
        liquidationThresholdBps: collateral.liquidationThresholdBps,
        liquidationBonusBps: collateral.liquidationBonusBps,
      };
    });
  }

  /** Indexes of the collaterals `account` holds: the prices a tolerant valuation of it loads. */
  heldIndexes(account: ActorName): number[] {
    return this.collateral[account].flatMap((balance, index) => (balance > 0n ? [index] : []));
  }

  /**
   * Pool._valueAccount's `unpricedCollateral`: the last held collateral (in listing order) with neither a live nor a
   * recent trusted price at `timestamp`, or null.
   */
  unpricedIndex(account: ActorName, timestamp: bigint): number | null {
    let unpriced: number | null = null;
    for (const index of this.heldIndexes(account)) if (this.bookPriceOf(index, timestamp).expired) unpriced = index;
    return unpriced;
  }

  /** Pool._valuePricedAccount's check: PriceUnavailable for an account holding an unpriced collateral. */
  private requirePriced(account: ActorName, timestamp: bigint): void {
    const unpriced = this.unpricedIndex(account, timestamp);
    if (unpriced !== null) {
      throw new Revert({ source: "pool", error: "PriceUnavailable", args: [this.addresses.collaterals[unpriced]] });
    }
  }

  /**
   * poolMath.accountLiquidity at live prices (Pool._collateralLiquidity, used by the borrow-limit check and the
   * accountLiquidity view): the first held collateral whose oracle reverts throws its `OracleDown`, one that answers 0
   * throws the pool's `ZeroPrice`.
   */
  liquidityOf(account: ActorName, totals: PoolTotals = this.totals): AccountLiquidity {
    for (const index of this.heldIndexes(account)) {
      if (this.oracleReverting[index]) throw new Revert({ source: `oracle${index}`, error: "OracleDown", args: [] });
      if (this.pricesE36[index] === 0n) {
        throw new Revert({ source: "pool", error: "ZeroPrice", args: [this.addresses.collaterals[index]] });
      }
    }
    return accountLiquidity(
      this.positionsOf(account),
      this.borrowShares[account],
      totals.totalBorrowAssets,
      totals.totalBorrowShares,
    );
  }

  /** Pool._valueAccount with the debt: the tolerant valuation (failed oracles at their last trusted price). */
  tolerantLiquidityOf(account: ActorName, timestamp: bigint, totals: PoolTotals = this.totals): AccountLiquidity {
    return accountLiquidity(
      this.bookPositionsOf(account, timestamp),
      this.borrowShares[account],
      totals.totalBorrowAssets,
      totals.totalBorrowShares,
    );
  }

  /**
   * accountShortfall(account) in a block at `timestamp`: the shortfall a refresh would record, its debt and recovery
   * value (an unpriced collateral counts 0).
   */
  liveShortfallOf(
    account: ActorName,
    timestamp: bigint,
    totals: PoolTotals = this.totals,
  ): { shortfall: bigint; debt: bigint; recovery: bigint } {
    const debt = this.debtOf(account, totals);
    const recovery = recoveryValue(this.bookPositionsOf(account, timestamp));
    return { shortfall: shortfallOf(debt, recovery), debt, recovery };
  }

  /** The same figures without the price check (null when a held collateral's oracle fails). */
  liquidityOrNull(account: ActorName, totals: PoolTotals = this.totals): AccountLiquidity | null {
    try {
      return this.liquidityOf(account, totals);
    } catch (error) {
      if (error instanceof Revert) return null;
      throw error;
    }
  }

  debtOf(account: ActorName, totals: PoolTotals = this.totals): bigint {
    return toAssetsUp(this.borrowShares[account], totals.totalBorrowAssets, totals.totalBorrowShares);
  }

  /** convertToAssets / previewRedeem of `shares`: at the exit figure. */
  redeemableAssets(shares: bigint, totals: PoolTotals = this.totals): bigint {
    return lpAssetsDown(shares, exitAssetsOf(totals), this.totalSupply);
  }

  /** maxWithdraw: the owner's assets at the exit price, limited by the idle cash. */
  maxWithdrawOf(owner: ActorName, totals: PoolTotals = this.totals): bigint {
    return min(this.redeemableAssets(this.shares[owner], totals), cashOf(totals));
  }

  /** maxRedeem: the owner's shares, limited by the idle cash at the exit price. */
  maxRedeemOf(owner: ActorName, totals: PoolTotals = this.totals): bigint {
    const balance = this.shares[owner];
    const cashAssets = cashOf(totals);
    const assets = this.redeemableAssets(balance, totals);
    if (assets === 0n) return 0n;
    if (assets <= cashAssets) return balance;
    return lpSharesDown(cashAssets, exitAssetsOf(totals), this.totalSupply);
  }

  maxDeposit(): bigint {
    if (this.paused) return 0n;
    return zeroFloorSub(UINT128_MAX, this.totals.totalLpAssets + this.totals.reserveAssets);
  }

  // ------------------------------------------------------------------ operations

  /** Runs `operation` on a copy; the copy is the next state when it does not revert. */
  private attempt(operation: (next: ReferencePool, log: EventLog) => { result: bigint; detail: string }): Outcome {
    const next = this.clone();
    const log: EventLog = { realizations: [], shortfallUpdates: [] };
    try {
      const { result, detail } = operation(next, log);
      return { ok: true, next, realizations: log.realizations, shortfallUpdates: log.shortfallUpdates, result, detail };
    } catch (error) {
      if (error instanceof Revert) return { ok: false, revert: error.expected };
      throw error;
    }
  }

  private accrueInterest(timestamp: bigint): void {
    this.totals = this.accruedTotals(timestamp);
    this.lastAccrual = timestamp;
  }

  private requireNotPaused(): void {
    if (this.paused) throw new Revert({ source: "pool", error: "Paused", args: [] });
  }

  private requireNonZero(amount: bigint): void {
    if (amount === 0n) throw new Revert({ source: "pool", error: "ZeroAmount", args: [] });
  }

  /** ERC20 transferFrom(from → pool) (with the pool's exact-amount check, which a MockERC20 always passes). */
  private pull(token: TokenIndex, from: ActorName, amount: bigint): void {
    const balance = this.wallets[from][token];
    if (balance < amount) {
      throw new Revert({
        source: token === LOAN_TOKEN ? "loanToken" : `collateral${token - 1}`,
        error: "ERC20InsufficientBalance",
        args: [this.addresses.actors[from], balance, amount],
      });
    }
    this.wallets[from][token] -= amount;
    this.poolBalances[token] += amount;
  }

  private push(token: TokenIndex, to: ActorName, amount: bigint): void {
    this.poolBalances[token] -= amount;
    this.wallets[to][token] += amount;
  }

  private address(actor: ActorName): string {
    return this.addresses.actors[actor];
  }

  /** Pool._setShortfall: records `shortfallAfter` for `account` and moves the total; an event only on a change. */
  private setShortfall(account: ActorName, shortfallAfter: bigint, log: EventLog): void {
    const shortfallBefore = this.shortfall[account];
    if (shortfallAfter === shortfallBefore) return;
    this.shortfall[account] = shortfallAfter;
    this.totals.totalShortfallAssets += shortfallAfter - shortfallBefore;
    log.shortfallUpdates.push({
      account,
      shortfallBefore,
      shortfallAfter,
      totalShortfall: this.totals.totalShortfallAssets,
    });
  }

  /** Pool._refreshShortfall: max(0, current debt − `recovery`). */
  private refreshShortfall(account: ActorName, recovery: bigint, log: EventLog): void {
    this.setShortfall(account, shortfallOf(this.debtOf(account), recovery), log);
  }

  /**
   * Pool._recordTrustedPrices: the live price of each collateral at `loaded` is stored, dated `timestamp`, where
   * poolMath.recordsTrustedPrice says so (it changed, or the stored one is a quarter of a day old).
   */
  private recordTrustedPrices(loaded: Iterable<number>, timestamp: bigint): void {
    for (const index of loaded) {
      const { priceE36, live } = this.bookPriceOf(index, timestamp);
      if (live && recordsTrustedPrice(priceE36, this.trustedPrices[index], timestamp)) {
        this.trustedPrices[index] = { priceE36, updatedAt: timestamp };
      }
    }
  }

  /**
   * Pool._recognizeLoss: accrue, value the account at book prices (an unpriced collateral counts 0), store the live
   * prices read, refresh.
   */
  private recognizeLoss(account: ActorName, timestamp: bigint, log: EventLog): void {
    this.accrueInterest(timestamp);
    const loaded = this.heldIndexes(account);
    const recovery = recoveryValue(this.bookPositionsOf(account, timestamp));
    this.recordTrustedPrices(loaded, timestamp);
    this.refreshShortfall(account, recovery, log);
  }

  private requireWithinBorrowLimit(account: ActorName): void {
    const liquidity = this.liquidityOf(account);
    if (liquidity.debt > liquidity.borrowLimit) {
      throw new Revert({
        source: "pool",
        error: "ExceedsBorrowLimit",
        args: [this.address(account), liquidity.debt, liquidity.borrowLimit],
      });
    }
  }

  private mintShares(receiver: ActorName, assets: bigint, shares: bigint, caller: ActorName): void {
    this.totals.totalLpAssets += assets;
    this.shares[receiver] += shares;
    this.totalSupply += shares;
    this.pull(LOAN_TOKEN, caller, assets);
  }

  private burnShares(owner: ActorName, receiver: ActorName, assets: bigint, shares: bigint): void {
    this.totals.totalLpAssets -= assets;
    this.shares[owner] -= shares;
    this.totalSupply -= shares;
    this.push(LOAN_TOKEN, receiver, assets);
  }

  /** deposit / depositWithMinShares (minShares 0 for the plain call). */
  deposit(caller: ActorName, assets: bigint, minShares: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
      next.requireNotPaused();
      next.accrueInterest(timestamp);
      const receiver = next.address(caller);
      const maxAssets = next.maxDeposit();
      if (assets > maxAssets) {
        throw new Revert({ source: "pool", error: "ERC4626ExceededMaxDeposit", args: [receiver, assets, maxAssets] });
      }
      const shares = lpSharesDown(assets, next.totals.totalLpAssets, next.totalSupply);
      if (shares === 0n) throw new Revert({ source: "pool", error: "ZeroShares", args: [assets] });
      if (shares < minShares) {
        throw new Revert({ source: "pool", error: "SharesBelowMinimum", args: [shares, minShares] });
      }
      next.mintShares(caller, assets, shares, caller);
      return { result: shares, detail: `shares=${shares}` };
    });
  }

  /** mint / mintWithMaxAssets (maxAssets = 2**256 − 1 for the plain call). */
  mint(caller: ActorName, shares: bigint, maxAssets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
      next.requireNotPaused();
      next.accrueInterest(timestamp);
      const receiver = next.address(caller);
      const maxShares = lpSharesDown(next.maxDeposit(), next.totals.totalLpAssets, next.totalSupply);
      if (shares > maxShares) {
        throw new Revert({ source: "pool", error: "ERC4626ExceededMaxMint", args: [receiver, shares, maxShares] });
      }
      const assets = lpAssetsUp(shares, next.totals.totalLpAssets, next.totalSupply);
      if (assets === 0n) throw new Revert({ source: "pool", error: "ZeroAssets", args: [shares] });
      if (assets > maxAssets) {
        throw new Revert({ source: "pool", error: "AssetsAboveMaximum", args: [assets, maxAssets] });
      }
      next.mintShares(caller, assets, shares, caller);
      return { result: assets, detail: `assets=${assets}` };
    });
  }

  /** withdraw / withdrawWithMaxShares (maxShares = 2**256 − 1 for the plain call); owner = receiver = caller. */
  withdraw(caller: ActorName, assets: bigint, maxShares: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
      next.accrueInterest(timestamp);
      const maxAssets = next.maxWithdrawOf(caller);
      if (assets > maxAssets) {
        throw new Revert({
          source: "pool",
          error: "ERC4626ExceededMaxWithdraw",
          args: [next.address(caller), assets, maxAssets],
        });
      }
      const shares = lpSharesUp(assets, exitAssetsOf(next.totals), next.totalSupply);
      if (shares === 0n) throw new Revert({ source: "pool", error: "ZeroShares", args: [assets] });
      if (shares > maxShares) {
        throw new Revert({ source: "pool", error: "SharesAboveMaximum", args: [shares, maxShares] });
      }
      next.burnShares(caller, caller, assets, shares);
      return { result: shares, detail: `shares=${shares}` };
    });
  }

  /** redeem / redeemWithMinAssets (minAssets 0 for the plain call); owner = receiver = caller. */
  redeem(caller: ActorName, shares: bigint, minAssets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
      next.accrueInterest(timestamp);
      const maxShares = next.maxRedeemOf(caller);
      if (shares > maxShares) {
        throw new Revert({
          source: "pool",
          error: "ERC4626ExceededMaxRedeem",
          args: [next.address(caller), shares, maxShares],
        });
      }
      const assets = next.redeemableAssets(shares);
      if (assets === 0n) throw new Revert({ source: "pool", error: "ZeroAssets", args: [shares] });
      if (assets < minAssets) {
        throw new Revert({ source: "pool", error: "AssetsBelowMinimum", args: [assets, minAssets] });
      }
      next.burnShares(caller, caller, assets, shares);
      return { result: assets, detail: `assets=${assets}` };
    });
  }

  /** ERC-20 transfer of LP shares (no accrual). */
  transferShares(from: ActorName, to: ActorName, shares: bigint): Outcome {
    return this.attempt((next) => {
      const balance = next.shares[from];
      if (balance < shares) {
        throw new Revert({
          source: "pool",
          error: "ERC20InsufficientBalance",
          args: [next.address(from), balance, shares],
        });
      }
      next.shares[from] -= shares;
      next.shares[to] += shares;
      return { result: 0n, detail: "" };
    });
  }

  /**
   * supplyCollateral, credited to `onBehalf` (anyone may plant collateral on any account). No accrual, except when
   * `onBehalf` has a recorded shortfall: then it is re-valued (Pool._recognizeLoss), which accrues first.
   */
  supplyCollateral(caller: ActorName, index: number, assets: bigint, onBehalf: ActorName, timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.requireNotPaused();
      next.requireNonZero(assets);
      const totalSupplied = next.totalCollateral[index] + assets;
      if (totalSupplied > COLLATERAL_SUPPLY_CAP) {
        throw new Revert({
          source: "pool",
          error: "SupplyCapExceeded",
          args: [next.addresses.collaterals[index], totalSupplied, COLLATERAL_SUPPLY_CAP],
        });
      }
      // The pool calls the oracle directly here: a revert bubbles up, an answer of 0 is ZeroPrice.
      if (next.oracleReverting[index]) throw new Revert({ source: `oracle${index}`, error: "OracleDown", args: [] });
      if (next.pricesE36[index] === 0n) {
        throw new Revert({ source: "pool", error: "ZeroPrice", args: [next.addresses.collaterals[index]] });
      }
      next.totalCollateral[index] += assets;
      next.collateral[onBehalf][index] += assets;
      const refreshed = next.shortfall[onBehalf] > 0n;
      if (refreshed) next.recognizeLoss(onBehalf, timestamp, log);
      next.pull(1 + index, caller, assets);
      return { result: 0n, detail: refreshed ? `shortfall=${next.shortfall[onBehalf]}` : "" };
    });
  }

  /** withdrawCollateral to the caller. */
  withdrawCollateral(caller: ActorName, index: number, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.requireNonZero(assets);
      const balance = next.collateral[caller][index];
      if (assets > balance) {
        throw new Revert({
          source: "pool",
          error: "InsufficientCollateral",
          args: [next.address(caller), next.addresses.collaterals[index], balance, assets],
        });
      }
      next.accrueInterest(timestamp);
      next.collateral[caller][index] = balance - assets;
      next.totalCollateral[index] -= assets;
      if (next.borrowShares[caller] > 0n) next.requireWithinBorrowLimit(caller);
      // Within its borrow limit an account has no shortfall: any recorded one is released.
      next.setShortfall(caller, 0n, log);
      next.push(1 + index, caller, assets);
      return { result: 0n, detail: "" };
    });
  }

  /** borrow to the caller. */
  borrow(caller: ActorName, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.requireNotPaused();
      next.requireNonZero(assets);
      next.accrueInterest(timestamp);
      const cashAssets = cashOf(next.totals);
      if (assets > cashAssets) {
        throw new Revert({ source: "pool", error: "InsufficientCash", args: [assets, cashAssets] });
      }
      const shares = toSharesUp(assets, next.totals.totalBorrowAssets, next.totals.totalBorrowShares);
      next.borrowShares[caller] += shares;
      next.totals.totalBorrowShares += shares;
      next.totals.totalBorrowAssets += assets;
      next.requireWithinBorrowLimit(caller);
      // Within its borrow limit an account has no shortfall: any recorded one is released.
      next.setShortfall(caller, 0n, log);
      next.push(LOAN_TOKEN, caller, assets);
      return { result: shares, detail: `shares=${shares}` };
    });
  }

  private burnDebt(account: ActorName, repaidShares: bigint, repaidAssets: bigint): void {
    this.borrowShares[account] -= repaidShares;
    this.totals.totalBorrowShares -= repaidShares;
    this.totals.totalBorrowAssets = zeroFloorSub(this.totals.totalBorrowAssets, repaidAssets);
  }

  /** repay by `caller` on behalf of `onBehalf`. */
  repay(caller: ActorName, onBehalf: ActorName, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.requireNonZero(assets);
      next.accrueInterest(timestamp);
      const accountShares = next.borrowShares[onBehalf];
      if (accountShares === 0n) throw new Revert({ source: "pool", error: "NoDebt", args: [next.address(onBehalf)] });
      const { totalBorrowAssets, totalBorrowShares } = next.totals;
      const debt = toAssetsUp(accountShares, totalBorrowAssets, totalBorrowShares);
      let repaidAssets = debt;
      let repaidShares = accountShares;
      if (assets < debt) {
        repaidAssets = assets;
        repaidShares = toSharesDown(assets, totalBorrowAssets, totalBorrowShares);
        if (repaidShares === 0n) throw new Revert({ source: "pool", error: "RepayBelowOneShare", args: [assets] });
      }
      next.burnDebt(onBehalf, repaidShares, repaidAssets);
      // Only an account with a recorded shortfall is re-valued (at book prices).
      if (next.shortfall[onBehalf] > 0n) next.recognizeLoss(onBehalf, timestamp, log);
      next.pull(LOAN_TOKEN, caller, repaidAssets);
      return { result: repaidAssets, detail: `repaid=${repaidAssets}` };
    });
  }

  /**
   * Pool._realizeBadDebt through poolMath.realizeBadDebt: the account's recognized shortfall leaves the total
   * (ShortfallUpdated to 0), then the waterfall; records the expected events.
   */
  private realize(borrower: BorrowerName, log: EventLog): bigint {
    const before = this.totals;
    const recognizedShortfall = this.shortfall[borrower];
    const realization = realizeBadDebt(before, this.borrowShares[borrower], recognizedShortfall);
    this.borrowShares[borrower] = 0n;
    this.shortfall[borrower] = 0n;
    this.totals = realization.totalsAfter;
    if (recognizedShortfall > 0n) {
      log.shortfallUpdates.push({
        account: borrower,
        shortfallBefore: recognizedShortfall,
        shortfallAfter: 0n,
        totalShortfall: realization.totalsAfter.totalShortfallAssets,
      });
    }
    log.realizations.push({
      borrower,
      badDebtAssets: realization.badDebtAssets,
      coveredByReserve: realization.coveredByReserve,
      socializedAssets: realization.socializedAssets,
      sharePriceBefore: this.sharePriceAt(before),
      sharePriceAfter: this.sharePriceAt(realization.totalsAfter),
      reserveBefore: before.reserveAssets,
      recognizedShortfall,
      totalLpAssetsBefore: before.totalLpAssets,
      totalLpAssetsAfter: realization.totalsAfter.totalLpAssets,
      exitAssetsBefore: exitAssetsOf(before),
      exitAssetsAfter: exitAssetsOf(realization.totalsAfter),
      totalSupply: this.totalSupply,
    });
    return realization.badDebtAssets;
  }

  /** Pool._sweepDustCollateral with tokens that never refuse a transfer. */
  private sweepDust(borrower: BorrowerName, receiver: ActorName): void {
    for (const [index, balance] of this.collateral[borrower].entries()) {
      if (balance === 0n) continue;
      this.collateral[borrower][index] = 0n;
      this.totalCollateral[index] -= balance;
      this.push(1 + index, receiver, balance);
    }
  }

  /** liquidate(borrower, collateral `index`, repayAssets, minSeized, receiver = caller). */
  liquidate(
    caller: ActorName,
    borrower: BorrowerName,
    index: number,
    repayAssets: bigint,
    minSeizedCollateral: bigint,
    timestamp: bigint,
  ): Outcome {
    return this.attempt((next, log) => {
      next.requireNonZero(repayAssets);
      const collateralBalance = next.collateral[borrower][index];
      if (collateralBalance === 0n) {
        throw new Revert({
          source: "pool",
          error: "NoCollateralToSeize",
          args: [next.address(borrower), next.addresses.collaterals[index]],
        });
      }
      next.accrueInterest(timestamp);
      // The account is valued at book prices (none may be unpriced); the collateral seized must have a live one.
      const loaded = next.heldIndexes(borrower);
      next.requirePriced(borrower, timestamp);
      if (!next.bookPriceOf(index, timestamp).live) {
        throw new Revert({ source: "pool", error: "PriceUnavailable", args: [next.addresses.collaterals[index]] });
      }
      const input = next.liquidationInput(borrower, index, repayAssets, timestamp);
      const refusal = liquidationRefusal(input, minSeizedCollateral);
      const quote = quoteLiquidation(input);
      if (refusal !== null) {
        if (refusal.error !== "SeizedBelowMinimum" && quote !== null) {
          throw new Error(`model disagreement: quoteLiquidation quotes, refusal says ${refusal.error}`);
        }
        throw new Revert({ source: "pool", error: refusal.error, args: refusalArgs(next, borrower, refusal) });
      }
      if (quote === null)
        throw new Error("model disagreement: quoteLiquidation refuses what liquidationRefusal allows");
      next.burnDebt(borrower, quote.repaidShares, quote.repaidAssets);
      next.collateral[borrower][index] = collateralBalance - quote.seizedCollateral;
      next.totalCollateral[index] -= quote.seizedCollateral;
      next.recordTrustedPrices(loaded, timestamp);
      let badDebtAssets = 0n;
      if (quote.realizesBadDebt) {
        badDebtAssets = next.realize(borrower, log);
        if (badDebtAssets !== quote.badDebtAssets) {
          throw new Error(`model disagreement: quote bad debt ${quote.badDebtAssets} ≠ waterfall ${badDebtAssets}`);
        }
      } else {
        // The account is refreshed afterwards, with the call's (book) prices (recording changed no price in use).
        next.refreshShortfall(borrower, recoveryValue(next.bookPositionsOf(borrower, timestamp)), log);
      }
      next.pull(LOAN_TOKEN, caller, quote.repaidAssets);
      next.push(1 + index, caller, quote.seizedCollateral);
      if (badDebtAssets > 0n) next.sweepDust(borrower, caller);
      return {
        result: quote.seizedCollateral,
        detail:
          `repaid=${quote.repaidAssets} seized=${quote.seizedCollateral} badDebt=${badDebtAssets}` +
          ` shortfall=${next.shortfall[borrower]}`,
      };
    });
  }

  /** The input of poolMath.quoteLiquidation for the current (accrued) state, at book prices. */
  liquidationInput(borrower: BorrowerName, index: number, repayAssets: bigint, timestamp: bigint): LiquidationInput {
    return {
      liquidity: this.tolerantLiquidityOf(borrower, timestamp),
      borrowShares: this.borrowShares[borrower],
      totalBorrowAssets: this.totals.totalBorrowAssets,
      totalBorrowShares: this.totals.totalBorrowShares,
      collateralBalance: this.collateral[borrower][index],
      priceE36: this.bookPriceOf(index, timestamp).priceE36,
      bonusBps: this.spec.collaterals[index].liquidationBonusBps,
      repayAssets,
      params: this.spec.liquidationParams,
    };
  }

  /** socializeBadDebt(borrower); the dust goes to the caller. */
  socializeBadDebt(caller: ActorName, borrower: BorrowerName, timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.accrueInterest(timestamp);
      if (next.borrowShares[borrower] === 0n) {
        throw new Revert({ source: "pool", error: "NoDebt", args: [next.address(borrower)] });
      }
      const loaded = next.heldIndexes(borrower);
      next.requirePriced(borrower, timestamp);
      const liquidity = next.tolerantLiquidityOf(borrower, timestamp);
      const dust = next.spec.liquidationParams.dustThresholdAssets;
      if (liquidity.collateralValue > dust) {
        throw new Revert({
          source: "pool",
          error: "CollateralAboveDust",
          args: [next.address(borrower), liquidity.collateralValue, dust],
        });
      }
      if (liquidity.collateralValue >= liquidity.debt) {
        throw new Revert({
          source: "pool",
          error: "CollateralCoversDebt",
          args: [next.address(borrower), liquidity.collateralValue, liquidity.debt],
        });
      }
      if (!canSocialize(liquidity, dust)) throw new Error("model disagreement: canSocialize refuses");
      next.recordTrustedPrices(loaded, timestamp);
      const badDebtAssets = next.realize(borrower, log);
      next.sweepDust(borrower, caller);
      return { result: badDebtAssets, detail: `badDebt=${badDebtAssets}` };
    });
  }

  /**
   * closeInsolventAccount(borrower, minSeizedValue, receiver = caller) through poolMath.quoteClose: seize every
   * collateral with a live price, repay what it covers, realize the residual unless escrowed collateral (failed
   * oracle) worth more than dust still backs it (then refresh the shortfall). Result: the seized value.
   */
  closeInsolventAccount(caller: ActorName, borrower: BorrowerName, minSeizedValue: bigint, timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.accrueInterest(timestamp);
      if (next.borrowShares[borrower] === 0n) {
        throw new Revert({ source: "pool", error: "NoDebt", args: [next.address(borrower)] });
      }
      const loaded = next.heldIndexes(borrower);
      next.requirePriced(borrower, timestamp);
      const positions = next.bookPositionsOf(borrower, timestamp);
      const quoted = quoteClose(
        positions,
        next.borrowShares[borrower],
        next.totals.totalBorrowAssets,
        next.totals.totalBorrowShares,
        next.spec.liquidationParams.dustThresholdAssets,
        minSeizedValue,
      );
      if ("refusal" in quoted) {
        throw new Revert({
          source: "pool",
          error: quoted.refusal.error,
          args: closeRefusalArgs(next, borrower, quoted.refusal),
        });
      }
      const { quote } = quoted;
      next.burnDebt(borrower, quote.repaidShares, quote.repaidAssets);
      for (const [index, seized] of quote.seized.entries()) {
        if (seized.assets === 0n) continue;
        next.collateral[borrower][index] = 0n;
        next.totalCollateral[index] -= seized.assets;
      }
      next.recordTrustedPrices(loaded, timestamp);
      let badDebtAssets = 0n;
      if (quote.realizesBadDebt) {
        badDebtAssets = next.realize(borrower, log);
        if (badDebtAssets !== quote.badDebtAssets) {
          throw new Error(
            `model disagreement: close quote bad debt ${quote.badDebtAssets} ≠ waterfall ${badDebtAssets}`,
          );
        }
      } else {
        // Escrowed collateral (failed oracles, at their last trusted price) still backs the debt left.
        next.refreshShortfall(borrower, recoveryValue(next.bookPositionsOf(borrower, timestamp)), log);
        if (next.shortfall[borrower] !== quote.shortfallAfter) {
          throw new Error(
            `model disagreement: close quote shortfall ${quote.shortfallAfter} ≠ refresh ${next.shortfall[borrower]}`,
          );
        }
      }
      next.pull(LOAN_TOKEN, caller, quote.repaidAssets);
      for (const [index, seized] of quote.seized.entries()) {
        if (seized.assets > 0n) next.push(1 + index, caller, seized.assets);
      }
      if (badDebtAssets > 0n) next.sweepDust(borrower, caller);
      return {
        result: quote.seizedValue,
        detail:
          `repaid=${quote.repaidAssets} seizedValue=${quote.seizedValue} seized=${quote.seized.map((s) => s.assets).join("/")}` +
          ` badDebt=${badDebtAssets} shortfall=${next.shortfall[borrower]}`,
      };
    });
  }

  /**
   * recognizeLosses(accounts): accrue, then refresh each account in order (one without debt only loses a recorded
   * shortfall; an unpriced collateral counts 0), then store the live prices read as trusted prices. Result: the total
   * recognized shortfall.
   */
  recognizeLosses(accounts: readonly ActorName[], timestamp: bigint): Outcome {
    return this.attempt((next, log) => {
      next.accrueInterest(timestamp);
      const loaded = new Set<number>();
      for (const account of accounts) {
        if (next.borrowShares[account] === 0n) {
          next.setShortfall(account, 0n, log);
          continue;
        }
        for (const index of next.heldIndexes(account)) loaded.add(index);
        next.refreshShortfall(account, recoveryValue(next.bookPositionsOf(account, timestamp)), log);
      }
      next.recordTrustedPrices(loaded, timestamp);
      const total = next.totals.totalShortfallAssets;
      return { result: total, detail: `total=${total} updates=${log.shortfallUpdates.length}` };
    });
  }

  /** refreshTrustedPrices: every collateral's live price becomes its trusted price where it changed or aged (no accrual). */
  refreshTrustedPrices(timestamp: bigint): Outcome {
    return this.attempt((next) => {
      next.recordTrustedPrices(
        next.spec.collaterals.map((_, index) => index),
        timestamp,
      );
      return { result: 0n, detail: "" };
    });
  }

  donateToReserve(caller: ActorName, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
      next.requireNonZero(assets);
      next.accrueInterest(timestamp);
      next.totals.reserveAssets += assets;
      next.pull(LOAN_TOKEN, caller, assets);
      return { result: 0n, detail: "" };
    });
  }

  /** withdrawReserve to the caller; only the owner may. */
  withdrawReserve(caller: ActorName, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
      if (caller !== "owner") {
        throw new Revert({ source: "pool", error: "OwnableUnauthorizedAccount", args: [next.address(caller)] });
      }
      next.requireNonZero(assets);
      next.accrueInterest(timestamp);
      const reserve = next.totals.reserveAssets;
      if (assets > reserve) throw new Revert({ source: "pool", error: "InsufficientReserve", args: [assets, reserve] });
      // The part of the reserve the recognized shortfall needs cannot be withdrawn.
      const withdrawable = withdrawableReserve(next.totals);
      if (assets > withdrawable) {
        throw new Revert({
          source: "pool",
          error: "ReserveCommittedToShortfall",
          args: [assets, withdrawable, next.totals.totalShortfallAssets],
        });
      }
      const cashAssets = cashOf(next.totals);
      if (assets > cashAssets) {
        throw new Revert({ source: "pool", error: "InsufficientCash", args: [assets, cashAssets] });
      }
      next.totals.reserveAssets = reserve - assets;
      next.push(LOAN_TOKEN, caller, assets);
      return { result: 0n, detail: "" };
    });
  }

  /** setPaused by the guardian or the owner (no accrual). */
  setPaused(caller: ActorName, paused: boolean): Outcome {
    return this.attempt((next) => {
      if (caller !== "guardian" && caller !== "owner") {
        throw new Revert({ source: "pool", error: "NotGuardian", args: [next.address(caller)] });
      }
      next.paused = paused;
      return { result: 0n, detail: "" };
    });
  }

  /** The mock oracle of collateral `index` moves (no pool call). */
  setPrice(index: number, priceE36: bigint): Outcome {
    return this.attempt((next) => {
      next.pricesE36[index] = priceE36;
      return { result: 0n, detail: "" };
    });
  }

  /** The mock oracle of collateral `index` starts (or stops) reverting (no pool call). */
  setOracleReverting(index: number, reverting: boolean): Outcome {
    return this.attempt((next) => {
      next.oracleReverting[index] = reverting;
      return { result: 0n, detail: "" };
    });
  }

  /** A plain ERC-20 transfer of loan assets to the pool: counted nowhere. */
  strayTransfer(caller: ActorName, assets: bigint): Outcome {
    return this.attempt((next) => {
      const balance = next.wallets[caller][LOAN_TOKEN];
      if (balance < assets) {
        throw new Revert({
          source: "loanToken",
          error: "ERC20InsufficientBalance",
          args: [next.address(caller), balance, assets],
        });
      }
      next.wallets[caller][LOAN_TOKEN] -= assets;
      next.poolBalances[LOAN_TOKEN] += assets;
      next.strayLoanAssets += assets;
      return { result: 0n, detail: "" };
    });
  }
}

function closeRefusalArgs(model: ReferencePool, borrower: BorrowerName, refusal: CloseRefusal): (bigint | string)[] {
  switch (refusal.error) {
    case "NoDebt":
    case "NothingToClose":
      return [model.addresses.actors[borrower]];
    case "AccountNotInsolvent":
      return [model.addresses.actors[borrower], refusal.debt, refusal.recoveryValue];
    case "SeizedValueBelowMinimum":
      return [refusal.seizedValue, refusal.minSeizedValue];
  }
}

function refusalArgs(
  model: ReferencePool,
  borrower: BorrowerName,
  refusal: NonNullable<ReturnType<typeof liquidationRefusal>>,
): (bigint | string)[] {
  switch (refusal.error) {
    case "PositionHealthy":
      return [model.addresses.actors[borrower], refusal.healthFactor];
    case "LiquidationLeavesDust":
      return [refusal.remainingCollateralValue, refusal.dustThresholdAssets];
    case "SeizedBelowMinimum":
      return [refusal.seizedCollateral, refusal.minSeizedCollateral];
    case "RepayBelowOneShare":
      return [refusal.repaidAssets];
  }
}
