/**
 * Set-up steps the unit tests share: `deployPool`'s default liquidation parameters, opening borrow positions on a
 * `deployPool` fixture, deploying a
 * KinkedRateModel, and leaving the chain as a suite found it. Each helper sends the same transactions, in the same
 * order, as the inline code it replaces.
 */
import { ethers } from "hardhat";
import {
  takeSnapshot,
  type SnapshotRestorer,
} from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { KinkedRateModel } from "../../typechain-types";
import type {
  KinkedRateParams,
  LiquidationParams,
} from "../../keepers/src/model/poolMath";
import { DEFAULT_OPTIONS, type PoolFixture } from "./fixtures";

/**
 * The liquidation parameters `deployPool` gives a pool unless told otherwise: close factor 50%, full liquidation
 * below a health factor of 0.95, dust threshold 0.
 */
export const DEFAULT_LIQUIDATION_PARAMS: LiquidationParams = {
  closeFactorBps: BigInt(DEFAULT_OPTIONS.closeFactorBps),
  fullLiquidationHealthFactor: DEFAULT_OPTIONS.fullLiquidationHealthFactor,
  dustThresholdAssets: DEFAULT_OPTIONS.dustThresholdAssets,
};

/** `account` supplies `amount` of the fixture's collateral `index` (default 0), credited to itself. */
export async function supplyCollateral(
  fx: PoolFixture,
  account: HardhatEthersSigner,
  amount: bigint,
  index = 0,
): Promise<void> {
  const collateral = await fx.collaterals[index].token.getAddress();
  await fx.pool
    .connect(account)
    .supplyCollateral(collateral, amount, account.address);
}

/**
 * `account` supplies collateral, then borrows `borrowAssets` to itself. `collateral` is an amount of collateral 0,
 * or one amount per collateral in listing order (a zero amount is not supplied).
 */
export async function supplyAndBorrow(
  fx: PoolFixture,
  account: HardhatEthersSigner,
  collateral: bigint | readonly bigint[],
  borrowAssets: bigint,
): Promise<void> {
  const amounts = typeof collateral === "bigint" ? [collateral] : collateral;
  for (const [index, amount] of amounts.entries()) {
    if (amount > 0n) await supplyCollateral(fx, account, amount, index);
  }
  await fx.pool.connect(account).borrow(borrowAssets, account.address);
}

/**
 * Round kinked-model parameters, so that every rate can be checked by hand: 1e9 per second at 0% utilization,
 * + 4e10 per 100% of utilization up to the 80% kink, + 3e11 per 100% above it.
 */
export const ROUND_KINKED_PARAMS: KinkedRateParams = {
  baseRatePerSecondE18: 1_000_000_000n,
  slopeBelowKinkPerSecondE18: 40_000_000_000n,
  slopeAboveKinkPerSecondE18: 300_000_000_000n,
  kinkE18: 800_000_000_000_000_000n,
};

/** Deploys a KinkedRateModel with `params`. */
export async function deployKinkedRateModel(
  params: KinkedRateParams,
): Promise<KinkedRateModel> {
  return ethers.deployContract("KinkedRateModel", [
    params.baseRatePerSecondE18,
    params.slopeBelowKinkPerSecondE18,
    params.slopeAboveKinkPerSecondE18,
    params.kinkE18,
  ]);
}

/**
 * Call inside a `describe`: snapshots the chain before the suite's first test and restores it after its last, so
 * that fixtures which jump the clock far ahead (a million years of interest) leave the chain as the suite found it.
 */
export function restoreChainAfterSuite(): void {
  let chainBefore: SnapshotRestorer;
  before(async () => {
    chainBefore = await takeSnapshot();
  });
  after(async () => {
    await chainBefore.restore();
  });
}
