/**
 * Reads the exact on-chain inputs of the pool's formulas at one block: a pool's collaterals, prices, risk parameters
 * and borrow totals, and an account's borrow shares and collateral balances. Strategy and verification feed these to
 * the model in `model/poolMath.ts`.
 */
import type { BlockTag, Provider } from "ethers";
import { IERC20Metadata__factory, IPool__factory, IPriceOracle__factory, type IPool } from "../../typechain-types";
import {
  accountLiquidity,
  quoteLiquidation,
  type AccountLiquidity,
  type LiquidationParams,
  type LiquidationQuote,
} from "./model/poolMath";

export interface CollateralSnapshot {
  address: string;
  /** 0 when the oracle reverted (`priced` false). */
  priceE36: bigint;
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
  liquidity: AccountLiquidity;
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
        // A reverting oracle leaves this collateral unpriced; accounts holding it go to the lens, which flags them.
        const priceE36 = await IPriceOracle__factory.connect(collateralParams.oracle, this.provider)
          .price(overrides)
          .catch(() => undefined);
        return {
          address: collateral,
          priceE36: priceE36 ?? 0n,
          priced: priceE36 !== undefined,
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
    const [borrowShares, ...collateralBalances] = await Promise.all([
      contract.borrowSharesOf(account, { blockTag }),
      ...pool.collaterals.map((collateral) => contract.collateralOf(account, collateral.address, { blockTag })),
    ]);
    return {
      account,
      borrowShares,
      collateralBalances,
      liquidity: liquidityOf(pool, borrowShares, collateralBalances),
    };
  }
}

/** The model's `accountLiquidity` over a snapshot. */
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
