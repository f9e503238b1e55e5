import { poolCreationCode } from "../../deploy/lib/poolCreationCode";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  MockERC20,
  MockPriceOracle,
  MockRateModel,
  Pool,
  PoolFactory,
  PoolLens,
} from "../../typechain-types";

/** 1e36 price scale: loan-asset units per collateral unit. */
export const PRICE_SCALE = 10n ** 36n;
export const WAD = 10n ** 18n;

/** priceE36 for "1 whole collateral = `loanPerCollateral` whole loan assets" for any decimals pair. */
export function priceE36(
  loanPerCollateral: number | bigint,
  loanDecimals: number,
  collateralDecimals: number,
): bigint {
  return (
    (BigInt(loanPerCollateral) * PRICE_SCALE * 10n ** BigInt(loanDecimals)) /
    10n ** BigInt(collateralDecimals)
  );
}

export interface CollateralSetup {
  token: MockERC20;
  oracle: MockPriceOracle;
  decimals: number;
}

export interface PoolFixture {
  pool: Pool;
  factory: PoolFactory;
  lens: PoolLens;
  loanToken: MockERC20;
  loanDecimals: number;
  rateModel: MockRateModel;
  collaterals: CollateralSetup[];
  owner: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  lps: HardhatEthersSigner[];
  borrowers: HardhatEthersSigner[];
  liquidator: HardhatEthersSigner;
  others: HardhatEthersSigner[];
}

export interface PoolFixtureOptions {
  loanDecimals?: number;
  collateralDecimals?: number[];
  /** Whole loan assets per whole collateral, one per collateral. */
  collateralPrices?: number[];
  ltvBps?: number;
  liquidationThresholdBps?: number;
  liquidationBonusBps?: number;
  reserveFactorBps?: number;
  closeFactorBps?: number;
  fullLiquidationHealthFactor?: bigint;
  /** Dust threshold in whole loan-asset units × 10**loanDecimals (i.e. raw units). */
  dustThresholdAssets?: bigint;
  ratePerSecondE18?: bigint;
  /** Whole tokens minted to every LP, borrower and the liquidator, and approved to the pool. */
  mintWholeTokens?: bigint;
}

export const DEFAULT_OPTIONS: Required<PoolFixtureOptions> = {
  loanDecimals: 18,
  collateralDecimals: [18],
  collateralPrices: [2_000],
  ltvBps: 7_500,
  liquidationThresholdBps: 8_000,
  liquidationBonusBps: 500,
  reserveFactorBps: 1_000,
  closeFactorBps: 5_000,
  fullLiquidationHealthFactor: 95n * 10n ** 16n,
  dustThresholdAssets: 0n,
  ratePerSecondE18: 0n,
  mintWholeTokens: 1_000_000n,
};

/**
 * Deploys mock tokens, mock oracles, a mock rate model, the factory, the lens and one pool created through the
 * factory, lists the collaterals, and funds and approves every actor. Wrap in `loadFixture` from a named function.
 */
export async function deployPool(
  options: PoolFixtureOptions = {},
): Promise<PoolFixture> {
  const opts = { ...DEFAULT_OPTIONS, ...options };
  const [
    owner,
    guardian,
    lp1,
    lp2,
    lp3,
    borrower1,
    borrower2,
    borrower3,
    liquidator,
    ...others
  ] = await ethers.getSigners();
  const lps = [lp1, lp2, lp3];
  const borrowers = [borrower1, borrower2, borrower3];

  const loanToken = await ethers.deployContract("MockERC20", [
    "Loan Dollar",
    "LUSD",
    opts.loanDecimals,
  ]);
  const rateModel = await ethers.deployContract("MockRateModel");
  await rateModel.setRatePerSecond(opts.ratePerSecondE18);
  const factory = await ethers.deployContract("PoolFactory", [poolCreationCode()]);
  const lens = await ethers.deployContract("PoolLens");

  const config = {
    loanAsset: await loanToken.getAddress(),
    name: "Mutual Pool LUSD",
    symbol: "mpLUSD",
    owner: owner.address,
    guardian: guardian.address,
    rateModel: await rateModel.getAddress(),
    reserveFactorBps: opts.reserveFactorBps,
    liquidationParams: {
      closeFactorBps: opts.closeFactorBps,
      fullLiquidationHealthFactor: opts.fullLiquidationHealthFactor,
      dustThresholdAssets: opts.dustThresholdAssets,
    },
  };
  const salt = ethers.ZeroHash;
  const poolAddress = await factory.computePoolAddress(config, salt);
  await factory.createPool(config, salt);
  const pool = await ethers.getContractAt("Pool", poolAddress);

  const collaterals: CollateralSetup[] = [];
  for (const [index, decimals] of opts.collateralDecimals.entries()) {
    const token = await ethers.deployContract("MockERC20", [
      `Collateral ${index}`,
      `COL${index}`,
      decimals,
    ]);
    const oracle = await ethers.deployContract("MockPriceOracle");
    await oracle.setPrice(
      priceE36(opts.collateralPrices[index] ?? 1, opts.loanDecimals, decimals),
    );
    await pool.connect(owner).listCollateral(await token.getAddress(), {
      oracle: await oracle.getAddress(),
      ltvBps: opts.ltvBps,
      liquidationThresholdBps: opts.liquidationThresholdBps,
      liquidationBonusBps: opts.liquidationBonusBps,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    });
    collaterals.push({ token, oracle, decimals });
  }

  const actors = [...lps, ...borrowers, liquidator, owner];
  for (const actor of actors) {
    for (const token of [loanToken, ...collaterals.map((c) => c.token)]) {
      const decimals = await token.decimals();
      await token.mint(actor.address, opts.mintWholeTokens * 10n ** decimals);
      await token.connect(actor).approve(poolAddress, ethers.MaxUint256);
    }
  }

  return {
    pool,
    factory,
    lens,
    loanToken,
    loanDecimals: opts.loanDecimals,
    rateModel,
    collaterals,
    owner,
    guardian,
    lps,
    borrowers,
    liquidator,
    others,
  };
}

/** Whole units → raw units. */
export const units = (
  amount: number | bigint | string,
  decimals: number,
): bigint => ethers.parseUnits(amount.toString(), decimals);
