/**
 * What the `LocalDevnet` module deploys, as data: scripts (seed-local, set-price) and tests read the same figures.
 * A 6-decimals dollar is the loan asset; an 18-decimals and an 8-decimals collateral, priced by mock oracles at
 * realistic prices, back the borrows.
 */
import { ZeroHash } from "ethers";

export interface DevnetToken {
  /** Ignition future id (letters only). */
  id: string;
  name: string;
  symbol: string;
  decimals: number;
  /** Whole tokens minted to each funded test account. */
  mintPerAccountWhole: bigint;
}

export interface DevnetCollateral extends DevnetToken {
  /** Whole loan assets (dollars) per whole collateral at deploy time. */
  initialPrice: string;
  ltvBps: number;
  liquidationThresholdBps: number;
  liquidationBonusBps: number;
  /** Most whole collateral the pool accepts in total. */
  supplyCapWhole: bigint;
}

export const DEVNET_LOAN_TOKEN: DevnetToken = {
  id: "USDC",
  name: "USD Coin (mock)",
  symbol: "mUSDC",
  decimals: 6,
  mintPerAccountWhole: 1_000_000n,
};

/** threshold × (1 + bonus) stays below 100% for both (0.85 × 1.05 = 0.8925; 0.75 × 1.07 = 0.8025). */
export const DEVNET_COLLATERALS: readonly DevnetCollateral[] = [
  {
    id: "WETH",
    name: "Wrapped Ether (mock)",
    symbol: "mWETH",
    decimals: 18,
    mintPerAccountWhole: 1_000n,
    initialPrice: "3000",
    ltvBps: 8_000,
    liquidationThresholdBps: 8_500,
    liquidationBonusBps: 500,
    supplyCapWhole: 100_000n,
  },
  {
    id: "WBTC",
    name: "Wrapped Bitcoin (mock)",
    symbol: "mWBTC",
    decimals: 8,
    mintPerAccountWhole: 50n,
    initialPrice: "60000",
    ltvBps: 7_000,
    liquidationThresholdBps: 7_500,
    liquidationBonusBps: 700,
    supplyCapWhole: 5_000n,
  },
];

export const DEVNET_POOL = {
  name: "Mutual Pool mUSDC",
  symbol: "mpUSDC",
  salt: ZeroHash,
  reserveFactorBps: 1_000,
  closeFactorBps: 5_000,
  /** Below a health factor of 0.95 a liquidation may repay the whole debt. */
  fullLiquidationHealthFactor: 950_000_000_000_000_000n,
  /** One dollar: positions whose collateral is worth at most this are dust. */
  dustThresholdAssets: 1_000_000n,
} as const;

/** Test accounts 0..9 of the node (owner and deployer is account 0) receive every token. */
export const DEVNET_FUNDED_ACCOUNTS = 10;
