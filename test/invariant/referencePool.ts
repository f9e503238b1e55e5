/**
 * The reference model of one pool for the differential suite: the pool's whole state (LP shares, borrow shares,
 * collateral balances, totals, reserve, prices, accrual clock, pause flag) and every wallet and pool token balance,
 * advanced by the same operations as the contract.
 *
 * Every formula comes from keepers/src/model/poolMath.ts (accrue, realizeBadDebt, quoteLiquidation,
 * accountLiquidity, the LP and borrow-share conversions, canSocialize, …); this class only sequences them in the
 * contract's order of checks and effects, so that it can say, before a call is sent, whether it succeeds, which
 * custom error (with which arguments) it reverts with otherwise, and what every figure is afterwards.
 */
import {
  accountLiquidity,
  accrue,
  canSocialize,
  cappedBorrowRate,
  cashOf,
  kinkedBorrowRatePerSecond,
  lpAssetsDown,
  lpAssetsUp,
  lpSharesDown,
  lpSharesUp,
  min,
  quoteLiquidation,
  realizeBadDebt,
  sharePrice,
  toAssetsUp,
  toSharesDown,
  toSharesUp,
  zeroFloorSub,
  DECIMALS_OFFSET,
  type AccountLiquidity,
  type CollateralPosition,
  type KinkedRateParams,
  type LiquidationInput,
  type LiquidationParams,
  type PoolTotals,
  liquidationRefusal,
} from "../../keepers/src/model/poolMath";

export const UINT128_MAX = 2n ** 128n - 1n;

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
export type RevertSource = "pool" | "loanToken" | `collateral${number}`;

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
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  reserveBefore: bigint;
  totalLpAssetsBefore: bigint;
  totalLpAssetsAfter: bigint;
  totalSupply: bigint;
}

export type Outcome =
  | { ok: true; next: ReferencePool; realizations: ExpectedRealization[]; result: bigint; detail: string }
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
  /** collateral[actor][i]: balance of collateral i credited to the actor in the pool. */
  collateral: Record<ActorName, bigint[]>;
  totalCollateral: bigint[];
  pricesE36: bigint[];
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
  ) {
    const tokenCount = spec.collaterals.length + 1;
    const perActor = <T>(make: () => T): Record<ActorName, T> =>
      Object.fromEntries(ACTOR_NAMES.map((name) => [name, make()])) as Record<ActorName, T>;
    this.totals = { totalLpAssets: 0n, reserveAssets: 0n, totalBorrowAssets: 0n, totalBorrowShares: 0n };
    this.lastAccrual = startTimestamp;
    this.reserveFactorBps = spec.reserveFactorBps;
    this.shares = perActor(() => 0n);
    this.borrowShares = perActor(() => 0n);
    this.collateral = perActor(() => spec.collaterals.map(() => 0n));
    this.totalCollateral = spec.collaterals.map(() => 0n);
    this.pricesE36 = [...initialPricesE36];
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
    copy.collateral = Object.fromEntries(ACTOR_NAMES.map((name) => [name, [...this.collateral[name]]])) as Record<
      ActorName,
      bigint[]
    >;
    copy.totalCollateral = [...this.totalCollateral];
    copy.pricesE36 = [...this.pricesE36];
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

  sharePriceAt(totals: PoolTotals): bigint {
    return sharePrice(totals.totalLpAssets, this.totalSupply, this.shareDecimals);
  }

  positionsOf(account: ActorName): CollateralPosition[] {
    return this.spec.collaterals.map((collateral, index) => ({
      balance: this.collateral[account][index],
      priceE36: this.pricesE36[index],
      ltvBps: collateral.ltvBps,
      liquidationThresholdBps: collateral.liquidationThresholdBps,
      liquidationBonusBps: collateral.liquidationBonusBps,
    }));
  }

  /** poolMath.accountLiquidity at `totals`; throws the contract's `ZeroPrice` for a held collateral priced at 0. */
  liquidityOf(account: ActorName, totals: PoolTotals = this.totals): AccountLiquidity {
    for (const [index, balance] of this.collateral[account].entries()) {
      if (balance > 0n && this.pricesE36[index] === 0n) {
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

  /** The same figures without the ZeroPrice check (null when a held collateral is priced at 0). */
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

  maxWithdrawOf(owner: ActorName): bigint {
    return min(lpAssetsDown(this.shares[owner], this.totals.totalLpAssets, this.totalSupply), cashOf(this.totals));
  }

  maxRedeemOf(owner: ActorName): bigint {
    const balance = this.shares[owner];
    const cashAssets = cashOf(this.totals);
    const assets = lpAssetsDown(balance, this.totals.totalLpAssets, this.totalSupply);
    if (assets === 0n) return 0n;
    if (assets <= cashAssets) return balance;
    return lpSharesDown(cashAssets, this.totals.totalLpAssets, this.totalSupply);
  }

  maxDeposit(): bigint {
    if (this.paused) return 0n;
    return zeroFloorSub(UINT128_MAX, this.totals.totalLpAssets + this.totals.reserveAssets);
  }

  // ------------------------------------------------------------------ operations

  /** Runs `operation` on a copy; the copy is the next state when it does not revert. */
  private attempt(
    operation: (next: ReferencePool, realizations: ExpectedRealization[]) => { result: bigint; detail: string },
  ): Outcome {
    const next = this.clone();
    const realizations: ExpectedRealization[] = [];
    try {
      const { result, detail } = operation(next, realizations);
      return { ok: true, next, realizations, result, detail };
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
      const shares = lpSharesUp(assets, next.totals.totalLpAssets, next.totalSupply);
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
      const assets = lpAssetsDown(shares, next.totals.totalLpAssets, next.totalSupply);
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

  /** supplyCollateral (no accrual), credited to `onBehalf`. */
  supplyCollateral(caller: ActorName, index: number, assets: bigint, onBehalf: ActorName): Outcome {
    return this.attempt((next) => {
      next.requireNotPaused();
      next.requireNonZero(assets);
      if (next.pricesE36[index] === 0n) {
        throw new Revert({ source: "pool", error: "ZeroPrice", args: [next.addresses.collaterals[index]] });
      }
      next.totalCollateral[index] += assets;
      next.collateral[onBehalf][index] += assets;
      next.pull(1 + index, caller, assets);
      return { result: 0n, detail: "" };
    });
  }

  /** withdrawCollateral to the caller. */
  withdrawCollateral(caller: ActorName, index: number, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
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
      next.push(1 + index, caller, assets);
      return { result: 0n, detail: "" };
    });
  }

  /** borrow to the caller. */
  borrow(caller: ActorName, assets: bigint, timestamp: bigint): Outcome {
    return this.attempt((next) => {
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
    return this.attempt((next) => {
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
      next.pull(LOAN_TOKEN, caller, repaidAssets);
      return { result: repaidAssets, detail: `repaid=${repaidAssets}` };
    });
  }

  /** Pool._realizeBadDebt through poolMath.realizeBadDebt, recording the expected event. */
  private realize(borrower: BorrowerName, realizations: ExpectedRealization[]): bigint {
    const before = this.totals;
    const realization = realizeBadDebt(before, this.borrowShares[borrower]);
    this.borrowShares[borrower] = 0n;
    this.totals = realization.totalsAfter;
    realizations.push({
      borrower,
      badDebtAssets: realization.badDebtAssets,
      coveredByReserve: realization.coveredByReserve,
      socializedAssets: realization.socializedAssets,
      sharePriceBefore: this.sharePriceAt(before),
      sharePriceAfter: this.sharePriceAt(realization.totalsAfter),
      reserveBefore: before.reserveAssets,
      totalLpAssetsBefore: before.totalLpAssets,
      totalLpAssetsAfter: realization.totalsAfter.totalLpAssets,
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
    return this.attempt((next, realizations) => {
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
      const input = next.liquidationInput(borrower, index, repayAssets);
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
      let badDebtAssets = 0n;
      if (quote.realizesBadDebt) {
        badDebtAssets = next.realize(borrower, realizations);
        if (badDebtAssets !== quote.badDebtAssets) {
          throw new Error(`model disagreement: quote bad debt ${quote.badDebtAssets} ≠ waterfall ${badDebtAssets}`);
        }
      }
      next.pull(LOAN_TOKEN, caller, quote.repaidAssets);
      next.push(1 + index, caller, quote.seizedCollateral);
      if (badDebtAssets > 0n) next.sweepDust(borrower, caller);
      return {
        result: quote.seizedCollateral,
        detail: `repaid=${quote.repaidAssets} seized=${quote.seizedCollateral} badDebt=${badDebtAssets}`,
      };
    });
  }

  /** The input of poolMath.quoteLiquidation for the current (accrued) state. Throws ZeroPrice like the pool. */
  liquidationInput(borrower: BorrowerName, index: number, repayAssets: bigint): LiquidationInput {
    return {
      liquidity: this.liquidityOf(borrower),
      borrowShares: this.borrowShares[borrower],
      totalBorrowAssets: this.totals.totalBorrowAssets,
      totalBorrowShares: this.totals.totalBorrowShares,
      collateralBalance: this.collateral[borrower][index],
      priceE36: this.pricesE36[index],
      bonusBps: this.spec.collaterals[index].liquidationBonusBps,
      repayAssets,
      params: this.spec.liquidationParams,
    };
  }

  /** socializeBadDebt(borrower); the dust goes to the caller. */
  socializeBadDebt(caller: ActorName, borrower: BorrowerName, timestamp: bigint): Outcome {
    return this.attempt((next, realizations) => {
      next.accrueInterest(timestamp);
      if (next.borrowShares[borrower] === 0n) {
        throw new Revert({ source: "pool", error: "NoDebt", args: [next.address(borrower)] });
      }
      const liquidity = next.liquidityOf(borrower);
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
      const badDebtAssets = next.realize(borrower, realizations);
      next.sweepDust(borrower, caller);
      return { result: badDebtAssets, detail: `badDebt=${badDebtAssets}` };
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
