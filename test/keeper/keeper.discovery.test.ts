import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import { createTestKeeper } from "./harness";

const usd = (amount: number | string): bigint => units(amount, 6);

async function factoryPool(): Promise<PoolFixture> {
  const fx = await deployPool({
    loanDecimals: 6,
    collateralDecimals: [18],
    collateralPrices: [2_000],
  });
  await fx.pool.connect(fx.lps[0]).deposit(usd(100_000), fx.lps[0].address);
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(1_000));
  return fx;
}

async function plainLiquidationParams(fx: PoolFixture) {
  const params = await fx.pool.liquidationParams();
  return {
    closeFactorBps: params.closeFactorBps,
    fullLiquidationHealthFactor: params.fullLiquidationHealthFactor,
    dustThresholdAssets: params.dustThresholdAssets,
  };
}

describe("keeper: discovery", function () {
  restoreChainAfterSuite();

  it("finds pools through the factory, including borrows in a pool created inside the same log range", async function () {
    const fx = await loadFixture(factoryPool);
    const { keeper } = await createTestKeeper({
      lens: await fx.lens.getAddress(),
      settings: { factory: await fx.factory.getAddress() },
    });
    const first = await keeper.tick();
    expect(keeper.tracked()).to.deep.equal({
      [await fx.pool.getAddress()]: [fx.borrowers[0].address],
    });
    expect(first.accountsScanned).to.equal(1);

    // A second pool (same config, another salt), used at once: created and borrowed from before the next tick.
    const [created] = await fx.factory.queryFilter(
      fx.factory.filters.PoolCreated(),
    );
    const config = {
      loanAsset: await fx.loanToken.getAddress(),
      name: "Mutual Pool LUSD 2",
      symbol: "mpLUSD2",
      owner: fx.owner.address,
      guardian: fx.guardian.address,
      rateModel: await fx.rateModel.getAddress(),
      reserveFactorBps: 1_000,
      liquidationParams: await plainLiquidationParams(fx),
    };
    const salt = ethers.id("second");
    const secondAddress = await fx.factory.computePoolAddress(config, salt);
    await fx.factory.createPool(config, salt);
    const second = await ethers.getContractAt("Pool", secondAddress);
    const collateral = await fx.collaterals[0].token.getAddress();
    const params = await fx.pool.collateralParams(collateral);
    await second.connect(fx.owner).listCollateral(collateral, {
      oracle: params.oracle,
      ltvBps: params.ltvBps,
      liquidationThresholdBps: params.liquidationThresholdBps,
      liquidationBonusBps: params.liquidationBonusBps,
      supplyCap: params.supplyCap,
      enabled: params.enabled,
    });
    await fx.loanToken
      .connect(fx.lps[1])
      .approve(secondAddress, ethers.MaxUint256);
    await second.connect(fx.lps[1]).deposit(usd(10_000), fx.lps[1].address);
    await fx.collaterals[0].token
      .connect(fx.borrowers[1])
      .approve(secondAddress, ethers.MaxUint256);
    await second
      .connect(fx.borrowers[1])
      .supplyCollateral(collateral, units(1, 18), fx.borrowers[1].address);
    await second
      .connect(fx.borrowers[1])
      .borrow(usd(500), fx.borrowers[1].address);

    const report = await keeper.tick();
    expect(created.args.pool).to.equal(await fx.pool.getAddress());
    expect(keeper.tracked()).to.deep.equal({
      [await fx.pool.getAddress()]: [fx.borrowers[0].address],
      [secondAddress]: [fx.borrowers[1].address],
    });
    expect(report.accountsScanned).to.equal(2);
  });

  it("indexes in bounded getLogs ranges and stops tracking a fully repaid account once its borrow is final", async function () {
    const fx = await loadFixture(factoryPool);
    const poolAddress = await fx.pool.getAddress();
    const { keeper, transport } = await createTestKeeper({
      pool: poolAddress,
      lens: await fx.lens.getAddress(),
      settings: { logRangeBlocks: 5, confirmations: 1 },
    });
    const head = await ethers.provider.getBlockNumber();
    const callsBefore = transport.callCounts().eth_getLogs ?? 0;
    await keeper.tick();
    expect((transport.callCounts().eth_getLogs ?? 0) - callsBefore).to.equal(
      Math.ceil((head + 1) / 5),
    );
    expect(keeper.tracked()[poolAddress]).to.deep.equal([
      fx.borrowers[0].address,
    ]);

    await fx.pool
      .connect(fx.borrowers[0])
      .repay(ethers.MaxUint256, fx.borrowers[0].address);
    await keeper.tick();
    expect(keeper.tracked()[poolAddress]).to.deep.equal([]);
    // Borrowing again brings it back.
    await fx.pool
      .connect(fx.borrowers[0])
      .borrow(usd(10), fx.borrowers[0].address);
    await keeper.tick();
    expect(keeper.tracked()[poolAddress]).to.deep.equal([
      fx.borrowers[0].address,
    ]);
  });
});
