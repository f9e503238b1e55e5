/**
 * Reads the exact on-chain inputs of the pool's formulas at one block: a pool's collaterals, prices, risk parameters
 * and borrow totals, and an account's borrow shares, collateral balances and recognized shortfall. Strategy and
 * verification feed these to the model in `model/poolMath.ts`.
 *
 * Prices are the ones the pool values with (`bookPrice` in the model, `Pool._bookPrice`): the oracle's answer, or, when
 * the oracle fails (reverts, answers 0 or more than 2^192), the collateral's last trusted price (`lastTrustedPrice`)
 * while that is at most MAX_TRUSTED_PRICE_AGE old at the snapshot block. `priced` says which. Older, the collateral is
 * `expired` (price 0): an account holding it is unpriced (`AccountSnapshot.expiredCollaterals`). The pool refuses to
 * liquidate, close or socialize it (`PriceUnavailable`), and loss recognition (`recognizeLosses`, `accountShortfall`)
 * values that collateral at 0, as the model does here.
 */
import type { BlockTag, Provider } from "ethers";
import { IERC20Metadata__factory, IPool__factory, IPriceOracle__factory, type IPool } from "../../typechain-types";
import {
  accountLiquidity,
  bookPrice,
  quoteClose,
  quoteLiquidation,
  recoveryValue,
  shortfallOf,
  type AccountLiquidity,
  type ClosingCollateral,
  type CloseQuote,
  type CloseRefusal,
  type LiquidationParams,
  type LiquidationQuote,
  type TrustedPrice,
} from "./model/poolMath";

export interface CollateralSnapshot {
  address: string;
  oracle: string;
  /**
   * The oracle's price; when the oracle fails (`priced` false), the last trusted price while it is at most
   * MAX_TRUSTED_PRICE_AGE old, else 0 (`expired`).
   */
  priceE36: bigint;
  /** Whether the oracle answered with a price (nonzero, at most 2^192 − 1). */
  priced: boolean;
  /** The oracle fails and the last trusted price is older than MAX_TRUSTED_PRICE_AGE: the collateral has no price. */
  expired: boolean;
  /** `Pool.lastTrustedPrice` at the snapshot block: the fallback price and when the pool stored it. */
  trusted: TrustedPrice;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
}

export interface PoolSnapshot {
  address: string;
  loanAsset: string;
  loanDecimals: number;
  shareDecimals: bigint;
  liquidationParams: LiquidationParams;
  /** Timestamp of the snapshot block: the `block.timestamp` the pool's views see there (expiry is judged at it). */
  timestamp: bigint;
  /** Accrued to the snapshot block. */
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  collaterals: CollateralSnapshot[];
}

export interface AccountSnapshot {
  account: string;
  borrowShares: bigint;
  /** Balance per collateral, in the order of `PoolSnapshot.collaterals`. */
  collateralBalances: bigint[];
  /**
   * Valued as the pool's liquidations value it: a failed oracle's collateral at its last trusted price (at 0 once that
   * expired).
   */
  liquidity: AccountLiquidity;
  /**
   * Collaterals it holds that have neither a live nor a recent trusted price (listing order). Non-empty: the account
   * is unpriced; the pool reverts `PriceUnavailable` on liquidate, closeInsolventAccount and socializeBadDebt, and
   * values those collaterals at 0 in loss recognition.
   */
  expiredCollaterals: string[];
  /**
   * What liquidating all its collateral would repay (`Pool.accountShortfall`'s recovery value: an expired collateral
   * counts 0).
   */
  recoveryValue: bigint;
  /** The live shortfall: max(0, debt − recoveryValue), what `recognizeLosses` would record now. */
  shortfall: bigint;
  /** The shortfall the pool has recorded for it. */
  recognizedShortfall: bigint;
}

/** Static facts of a pool read once: its loan asset and decimals. */
interface PoolStatics {
  loanAsset: string;
  loanDecimals: number;
  shareDecimals: bigint;
}

export class PositionReader {
  private readonly statics = new Map<string, Promise<PoolStatics>>();

  constructor(private readonly provider: Provider) {}

  pool(address: string): IPool {
    return IPool__factory.connect(address, this.provider);
  }

  async poolStatics(address: string): Promise<PoolStatics> {
    let statics = this.statics.get(address);
    if (statics === undefined) {
      statics = (async () => {
        const pool = this.pool(address);
        const [loanAsset, shareDecimals] = await Promise.all([pool.asset(), pool.decimals()]);
        const loanDecimals = Number(await IERC20Metadata__factory.connect(loanAsset, this.provider).decimals());
        return { loanAsset, loanDecimals, shareDecimals };
      })();
      this.statics.set(address, statics);
    }
    return statics;
  }

  /**
   * The pool at `blockTag`. `timestamp` is that block's timestamp (read from the node when not given): a trusted price
   * expires by it, as `block.timestamp` in the pool's views at that block.
   */
  async poolSnapshot(address: string, blockTag: BlockTag, timestamp?: bigint): Promise<PoolSnapshot> {
    const pool = this.pool(address);
    const overrides = { blockTag };
    const [statics, collateralAddresses, params, totalBorrowAssets, totalBorrowShares, blockTimestamp] =
      await Promise.all([
        this.poolStatics(address),
        pool.collaterals(overrides),
        pool.liquidationParams(overrides),
        pool.totalBorrowAssets(overrides),
        pool.totalBorrowShares(overrides),
        timestamp ?? this.blockTimestamp(blockTag),
      ]);
    const collaterals = await Promise.all(
      collateralAddresses.map(async (collateral): Promise<CollateralSnapshot> => {
        const [collateralParams, [trustedPriceE36, trustedAt]] = await Promise.all([
          pool.collateralParams(collateral, overrides),
          pool.lastTrustedPrice(collateral, overrides),
        ]);
        // A failing oracle (revert, 0, or no 32-byte answer) leaves this collateral without a live price: the pool
        // then values it at its last trusted price while that is recent; after that it has no price (0 in recognition).
        const answer = await IPriceOracle__factory.connect(collateralParams.oracle, this.provider)
          .price(overrides)
          .catch(() => null);
        const trusted = { priceE36: trustedPriceE36, updatedAt: trustedAt };
        const { priceE36, live, expired } = bookPrice(answer, trusted, blockTimestamp);
        return {
          address: collateral,
          oracle: collateralParams.oracle,
          priceE36,
          priced: live,
          expired,
          trusted,
          ltvBps: collateralParams.ltvBps,
          liquidationThresholdBps: collateralParams.liquidationThresholdBps,
          liquidationBonusBps: collateralParams.liquidationBonusBps,
        };
      }),
    );
    return {
      address,
      ...statics,
      liquidationParams: {
        closeFactorBps: params.closeFactorBps,
        fullLiquidationHealthFactor: params.fullLiquidationHealthFactor,
        dustThresholdAssets: params.dustThresholdAssets,
      },
      timestamp: blockTimestamp,
      totalBorrowAssets,
      totalBorrowShares,
      collaterals,
    };
  }

  private async blockTimestamp(blockTag: BlockTag): Promise<bigint> {
    const block = await this.provider.getBlock(blockTag);
    if (block === null) throw new Error(`the node has no block ${String(blockTag)}`);
    return BigInt(block.timestamp);
  }

  async accountSnapshot(pool: PoolSnapshot, account: string, blockTag: BlockTag): Promise<AccountSnapshot> {
    const contract = this.pool(pool.address);
    const [borrowShares, recognizedShortfall, ...collateralBalances] = await Promise.all([
      contract.borrowSharesOf(account, { blockTag }),
      contract.recognizedShortfall(account, { blockTag }),
      ...pool.collaterals.map((collateral) => contract.collateralOf(account, collateral.address, { blockTag })),
    ]);
    return accountOf(pool, account, borrowShares, collateralBalances, recognizedShortfall);
  }
}

/** An account valued by the model over a snapshot, from its position. */
export function accountOf(
  pool: PoolSnapshot,
  account: string,
  borrowShares: bigint,
  collateralBalances: bigint[],
  recognizedShortfall: bigint,
): AccountSnapshot {
  const liquidity = liquidityOf(pool, borrowShares, collateralBalances);
  const recovery = recoveryValue(collateralsOf(pool, collateralBalances)); // an expired collateral's price is 0
  return {
    account,
    borrowShares,
    collateralBalances,
    liquidity,
    expiredCollaterals: expiredCollateralsOf(pool, collateralBalances),
    recoveryValue: recovery,
    shortfall: shortfallOf(liquidity.debt, recovery),
    recognizedShortfall,
  };
}

/** The collaterals of a position that have neither a live nor a recent trusted price (listing order). */
export function expiredCollateralsOf(pool: PoolSnapshot, collateralBalances: readonly bigint[]): string[] {
  return pool.collaterals
    .filter((collateral, index) => collateral.expired && collateralBalances[index] > 0n)
    .map((collateral) => collateral.address);
}

/** What the pool reverts with for an account holding a collateral without any price (the last one it values). */
export interface PriceUnavailable {
  error: "PriceUnavailable";
  collateral: string;
}

/** The account's collaterals as the model's close takes them, in listing order (`live` = the oracle answered). */
export function collateralsOf(pool: PoolSnapshot, collateralBalances: readonly bigint[]): ClosingCollateral[] {
  return pool.collaterals.map((collateral, index) => ({
    balance: collateralBalances[index],
    priceE36: collateral.priceE36,
    ltvBps: collateral.ltvBps,
    liquidationThresholdBps: collateral.liquidationThresholdBps,
    liquidationBonusBps: collateral.liquidationBonusBps,
    live: collateral.priced,
  }));
}

/** poolMath's quote for `closeInsolventAccount(account, minSeizedValue, …)`, or the error the pool would revert with. */
export function closeQuoteFor(
  pool: PoolSnapshot,
  account: AccountSnapshot,
  minSeizedValue = 0n,
): { refusal: CloseRefusal | PriceUnavailable } | { quote: CloseQuote } {
  const unpriced = account.expiredCollaterals.at(-1);
  if (unpriced !== undefined && account.borrowShares > 0n) {
    return { refusal: { error: "PriceUnavailable", collateral: unpriced } };
  }
  return quoteClose(
    collateralsOf(pool, account.collateralBalances),
    account.borrowShares,
    pool.totalBorrowAssets,
    pool.totalBorrowShares,
    pool.liquidationParams.dustThresholdAssets,
    minSeizedValue,
  );
}

/** The model's `accountLiquidity` over a snapshot (a failed oracle's collateral at its last trusted price). */
export function liquidityOf(
  pool: PoolSnapshot,
  borrowShares: bigint,
  collateralBalances: readonly bigint[],
): AccountLiquidity {
  return accountLiquidity(
    pool.collaterals.map((collateral, index) => ({
      balance: collateralBalances[index],
      priceE36: collateral.priceE36,
      ltvBps: collateral.ltvBps,
      liquidationThresholdBps: collateral.liquidationThresholdBps,
      liquidationBonusBps: collateral.liquidationBonusBps,
    })),
    borrowShares,
    pool.totalBorrowAssets,
    pool.totalBorrowShares,
  );
}

/** poolMath's quote for liquidating `account`'s `collateral` (null when the pool would refuse or does not list it). */
export function quoteFor(
  pool: PoolSnapshot,
  account: AccountSnapshot,
  collateral: string,
  repayAssets: bigint,
): LiquidationQuote | null {
  const index = pool.collaterals.findIndex((listed) => listed.address.toLowerCase() === collateral.toLowerCase());
  if (index < 0 || account.expiredCollaterals.length > 0) return null; // PriceUnavailable for the whole account
  const focus = pool.collaterals[index];
  if (!focus.priced) return null; // the pool seizes only a collateral with a live price (`PriceUnavailable`)
  return quoteLiquidation({
    liquidity: account.liquidity,
    borrowShares: account.borrowShares,
    totalBorrowAssets: pool.totalBorrowAssets,
    totalBorrowShares: pool.totalBorrowShares,
    collateralBalance: account.collateralBalances[index],
    priceE36: focus.priceE36,
    bonusBps: focus.liquidationBonusBps,
    repayAssets,
    params: pool.liquidationParams,
  });
}
