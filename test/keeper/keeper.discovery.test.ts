import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import type { Keeper } from "../../keepers/src/keeper";
import { collateralParamsWith } from "../adversarial/poolSetup";
import { createTestKeeper, deployKeeperPool, keeperFor } from "./harness";

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
    const [created] = await fx.factory.queryFilter(fx.factory.filters.PoolCreated());
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
    await second.connect(fx.owner).listCollateral(collateral, await collateralParamsWith(fx.pool, collateral));
    await fx.loanToken.connect(fx.lps[1]).approve(secondAddress, ethers.MaxUint256);
    await second.connect(fx.lps[1]).deposit(usd(10_000), fx.lps[1].address);
    await fx.collaterals[0].token.connect(fx.borrowers[1]).approve(secondAddress, ethers.MaxUint256);
    await second.connect(fx.borrowers[1]).supplyCollateral(collateral, units(1, 18), fx.borrowers[1].address);
    await second.connect(fx.borrowers[1]).borrow(usd(500), fx.borrowers[1].address);

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
    expect((transport.callCounts().eth_getLogs ?? 0) - callsBefore).to.equal(Math.ceil((head + 1) / 5));
    expect(keeper.tracked()[poolAddress]).to.deep.equal([fx.borrowers[0].address]);

    await fx.pool.connect(fx.borrowers[0]).repay(ethers.MaxUint256, fx.borrowers[0].address);
    await keeper.tick();
    expect(keeper.tracked()[poolAddress]).to.deep.equal([]);
    // Borrowing again brings it back.
    await fx.pool.connect(fx.borrowers[0]).borrow(usd(10), fx.borrowers[0].address);
    await keeper.tick();
    expect(keeper.tracked()[poolAddress]).to.deep.equal([fx.borrowers[0].address]);
  });
});

describe("keeper: indexed positions", function () {
  restoreChainAfterSuite();

  async function busyPool(): Promise<PoolFixture> {
    const fx = await deployKeeperPool([100_000], []);
    const col0 = await fx.collaterals[0].token.getAddress();
    // Supplied on behalf of another account, withdrawn in part, borrowed and repaid in part.
    await fx.pool.connect(fx.borrowers[2]).supplyCollateral(col0, units(3, 18), fx.borrowers[0].address);
    await supplyAndBorrow(fx, fx.borrowers[0], [units(2, 18), units("0.5", 8)], usd(16_000));
    await fx.pool.connect(fx.borrowers[0]).withdrawCollateral(col0, units(1, 18), fx.borrowers[0].address);
    await fx.pool.connect(fx.borrowers[0]).repay(usd(1_000), fx.borrowers[0].address);
    await supplyAndBorrow(fx, fx.borrowers[1], [units("0.01", 18)], usd(14));
    return fx;
  }

  /**
   * A dry-run keeper on `fx`, after its first tick. A dry run: the keeper's own transactions (a recognition of the
   * crashed accounts) would land after its index.
   */
  async function indexingKeeper(fx: PoolFixture): Promise<Keeper> {
    const { keeper } = await keeperFor(fx, { dryRun: true });
    await keeper.tick();
    return keeper;
  }

  async function expectMirrorsChain(fx: PoolFixture, keeper: Keeper): Promise<void> {
    const pool = await fx.pool.getAddress();
    const collaterals = await fx.pool.collaterals();
    for (const account of [...fx.borrowers, fx.liquidator].map((signer) => signer.address)) {
      const position = keeper.position(pool, account);
      expect(position.borrowShares, `shares of ${account}`).to.equal(await fx.pool.borrowSharesOf(account));
      expect(position.recognizedShortfall, `shortfall of ${account}`).to.equal(
        await fx.pool.recognizedShortfall(account),
      );
      for (const collateral of collaterals) {
        expect(position.collateral.get(collateral) ?? 0n, `${collateral} of ${account}`).to.equal(
          await fx.pool.collateralOf(account, collateral),
        );
      }
    }
  }

  it("mirrors every position change from events: on-behalf supply, withdrawals, repayments, liquidations, realizations and dust sweeps", async function () {
    const fx = await loadFixture(busyPool);
    const keeper = await indexingKeeper(fx);
    await expectMirrorsChain(fx, keeper);
    // A partial liquidation of borrower0, then a crash that makes borrower1 dust: socialized, its dust swept.
    await fx.collaterals[0].oracle.setPrice(priceE36(1_500, 6, 18));
    await fx.collaterals[1].oracle.setPrice(priceE36(20_000, 6, 8));
    const col1 = await fx.collaterals[1].token.getAddress();
    await fx.pool
      .connect(fx.liquidator)
      .liquidate(fx.borrowers[0].address, col1, usd(2_000), 0n, fx.liquidator.address);
    await fx.collaterals[0].oracle.setPrice(priceE36(400, 6, 18));
    await fx.pool.connect(fx.liquidator).socializeBadDebt(fx.borrowers[1].address);
    await keeper.tick();
    await expectMirrorsChain(fx, keeper);
  });

  it("mirrors recognitions, one-call closes (every collateral seized) and the shortfalls they record or clear", async function () {
    const fx = await loadFixture(busyPool);
    const keeper = await indexingKeeper(fx);
    // borrower0: 4 COL0 (4,000) + 0.5 COL1 (7,500) against ~15,000; borrower1: 0.01 COL0 (10) against ~14.
    await fx.collaterals[0].oracle.setPrice(priceE36(1_000, 6, 18));
    await fx.collaterals[1].oracle.setPrice(priceE36(15_000, 6, 8));
    const [first, second] = fx.borrowers.map((borrower) => borrower.address);
    await fx.pool.connect(fx.liquidator).recognizeLosses([first, second]);
    expect(await fx.pool.recognizedShortfall(first)).to.be.greaterThan(usd(3_000));
    expect(await fx.pool.recognizedShortfall(second)).to.be.greaterThan(usd(4));
    await fx.pool.connect(fx.liquidator).closeInsolventAccount(first, 0n, fx.liquidator.address);
    expect(await fx.pool.recognizedShortfall(first)).to.equal(0n);
    // A supply on borrower1's behalf re-values it: its recorded shortfall is released in part.
    const col0 = await fx.collaterals[0].token.getAddress();
    await fx.pool.connect(fx.borrowers[2]).supplyCollateral(col0, units("0.002", 18), second);
    await keeper.tick();
    await expectMirrorsChain(fx, keeper);
    expect(keeper.tracked()[await fx.pool.getAddress()]).to.deep.equal([second]);
  });

  it("counts a drifted mirror as a model divergence, re-reads the account from the pool and acts on the truth", async function () {
    const fx = await loadFixture(busyPool);
    const pool = await fx.pool.getAddress();
    const { keeper, metrics } = await createTestKeeper({
      pool,
      lens: await fx.lens.getAddress(),
      settings: { watchHealthFactorE18: 10n ** 30n }, // confirm every account through the lens
    });
    await keeper.tick();
    keeper.state.pools[pool].accounts[fx.borrowers[0].address].borrowShares = "1"; // corrupt the mirror
    await fx.pool.accrueInterest();
    await keeper.tick();
    expect(await metrics.valueOf("keeper_model_divergence_total")).to.equal(1);
    await expectMirrorsChain(fx, keeper);
    await fx.pool.accrueInterest();
    await keeper.tick();
    expect(await metrics.valueOf("keeper_model_divergence_total")).to.equal(1);
  });
});
