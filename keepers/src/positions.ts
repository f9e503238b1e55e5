/**
 * Reads the exact on-chain inputs of the pool's formulas at one block: a pool's collaterals, prices, risk parameters
 * and borrow totals, and an account's borrow shares, collateral balances and recognized shortfall. Strategy and
 * verification feed these to the model in `model/poolMath.ts`.
 *
 * Prices are the ones the pool values with: the oracle's answer, or, when the oracle fails (reverts, or answers 0),
 * the collateral's last trusted price (`lastTrustedPrice`), as `Pool._bookPrice` does. `priced` says which.
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
} from "./model/poolMath";

export interface CollateralSnapshot {
  address: string;
  /** The oracle's price, or the last trusted price when the oracle fails (`priced` false). */
  priceE36: bigint;
  /** Whether the oracle answered with a nonzero price. */
  priced: boolean;
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
  /** Valued as the pool's liquidations value it: a failed oracle's collateral at its last trusted price. */
  liquidity: AccountLiquidity;
  /** What liquidating all its collateral would repay (`Pool.accountShortfall`'s recovery value). */
  recoveryValue: bigint;
  /** The live shortfall: max(0, debt − recoveryValue). */
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

  async poolSnapshot(address: string, blockTag: BlockTag): Promise<PoolSnapshot> {
    const pool = this.pool(address);
    const overrides = { blockTag };
    const [statics, collateralAddresses, params, totalBorrowAssets, totalBorrowShares] = await Promise.all([
      this.poolStatics(address),
      pool.collaterals(overrides),
      pool.liquidationParams(overrides),
      pool.totalBorrowAssets(overrides),
      pool.totalBorrowShares(overrides),
    ]);
    const collaterals = await Promise.all(
      collateralAddresses.map(async (collateral): Promise<CollateralSnapshot> => {
        const collateralParams = await pool.collateralParams(collateral, overrides);
        // A failing oracle (revert, or 0) leaves this collateral unpriced: the pool then values it at its last trusted
        // price; accounts holding it go to the lens, which flags them.
        const answer = await IPriceOracle__factory.connect(collateralParams.oracle, this.provider)
          .price(overrides)
          .catch(() => null);
        const trusted = answer === null || answer === 0n ? await pool.lastTrustedPrice(collateral, overrides) : 0n;
        const { priceE36, live } = bookPrice(answer, trusted);
        return {
          address: collateral,
          priceE36,
          priced: live,
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
      totalBorrowAssets,
      totalBorrowShares,
      collaterals,
    };
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
  const recovery = recoveryValue(collateralsOf(pool, collateralBalances));
  return {
    account,
    borrowShares,
    collateralBalances,
    liquidity,
    recoveryValue: recovery,
    shortfall: shortfallOf(liquidity.debt, recovery),
    recognizedShortfall,
  };
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
): { refusal: CloseRefusal } | { quote: CloseQuote } {
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
  if (index < 0) return null;
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
