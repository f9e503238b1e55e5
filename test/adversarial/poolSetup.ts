/**
 * Pools on arbitrary loan tokens (hooked, fee-on-transfer, rebasing), created through the factory as `deployPool`
 * does, for scenarios whose tokens are not MockERC20.
 */
import { poolCreationCode } from "../../deploy/lib/poolCreationCode";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { MockPriceOracle, MockRateModel, Pool } from "../../typechain-types";
import type { LiquidationParams } from "../../keepers/src/model/poolMath";
import { DEFAULT_LIQUIDATION_PARAMS } from "../helpers/setup";

export interface BarePool {
  pool: Pool;
  rateModel: MockRateModel;
  owner: HardhatEthersSigner;
}

/** A pool on `loanAsset` owned (and guarded) by the first signer, with a MockRateModel at rate 0. */
export async function createPoolFor(
  loanAsset: string,
  liquidationParams: LiquidationParams = DEFAULT_LIQUIDATION_PARAMS,
  reserveFactorBps = 1_000,
): Promise<BarePool> {
  const [owner] = await ethers.getSigners();
  const rateModel = await ethers.deployContract("MockRateModel");
  const factory = await ethers.deployContract("PoolFactory", [poolCreationCode()]);
  const config = {
    loanAsset,
    name: "Mutual Pool",
    symbol: "mp",
    owner: owner.address,
    guardian: owner.address,
    rateModel: await rateModel.getAddress(),
    reserveFactorBps,
    liquidationParams,
  };
  const address = await factory.computePoolAddress(config, ethers.ZeroHash);
  await factory.createPool(config, ethers.ZeroHash);
  return { pool: await ethers.getContractAt("Pool", address), rateModel, owner };
}

/** Lists `collateral` on `pool` (LTV 75%, threshold 80%, bonus 5%, cap uint128 max) with a new MockPriceOracle. */
export async function listWithMockOracle(pool: Pool, collateral: string, priceE36: bigint): Promise<MockPriceOracle> {
  const oracle = await ethers.deployContract("MockPriceOracle");
  await oracle.setPrice(priceE36);
  await pool.listCollateral(collateral, {
    oracle: await oracle.getAddress(),
    ltvBps: 7_500,
    liquidationThresholdBps: 8_000,
    liquidationBonusBps: 500,
    supplyCap: 2n ** 128n - 1n,
    enabled: true,
  });
  return oracle;
}
