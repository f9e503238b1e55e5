import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, units } from "../helpers/fixtures";
import { liquidationQuoteOnChain, totalsOf } from "../helpers/chainReads";
import { expectBooksReconciled } from "./reconcile";

/**
 * Bad prices from a real adapter: ChainlinkOracle over two MockAggregatorV3 feeds (collateral/USD 8 decimals,
 * loan/USD 8 decimals, max ages 1 h and 1 day). A stale, zero, negative or incomplete round makes the oracle revert,
 * and the pool refuses to act on it: borrow, collateral withdrawal with debt, liquidation and socialization revert
 * with the oracle's error, even when the stale price would let a liquidator profit; nothing moves. With good rounds
 * back, the liquidation pays exactly poolMath's amounts at the new price.
 */
describe("Adversarial 4: stale, zero, negative and incomplete oracle rounds", () => {
  const DECIMALS = 18;
  const COLLATERAL_MAX_AGE = 3_600n;
  const LOAN_MAX_AGE = 86_400n;
  const USD = (dollars: bigint): bigint => dollars * 10n ** 8n;

  async function chainlinkFixture() {
    const fx = await deployPool({ collateralPrices: [2_000] });
    const { pool, owner, collaterals, loanToken, lps, borrowers } = fx;
    const collateralFeed = await ethers.deployContract("MockAggregatorV3", [8, USD(2_000n)]);
    const loanFeed = await ethers.deployContract("MockAggregatorV3", [8, USD(1n)]);
    const collateral = await collaterals[0].token.getAddress();
    const oracle = await ethers.deployContract("ChainlinkOracle", [
      await collateralFeed.getAddress(),
      await loanFeed.getAddress(),
      collateral,
      await loanToken.getAddress(),
      COLLATERAL_MAX_AGE,
      LOAN_MAX_AGE,
    ]);
    const params = await pool.collateralParams(collateral);
    await pool.connect(owner).setCollateralParams(collateral, {
      oracle: await oracle.getAddress(),
      ltvBps: params.ltvBps,
      liquidationThresholdBps: params.liquidationThresholdBps,
      liquidationBonusBps: params.liquidationBonusBps,
      supplyCap: params.supplyCap,
      enabled: params.enabled,
    });
    await pool.connect(lps[0]).deposit(units(100_000, DECIMALS), lps[0].address);
    // 10 collateral at 2,000 = 20,000, borrowed 14,000 (limit 15,000); borrower 1 holds collateral and no debt.
    await pool.connect(borrowers[0]).supplyCollateral(collateral, units(10, DECIMALS), borrowers[0].address);
    await pool.connect(borrowers[0]).borrow(units(14_000, DECIMALS), borrowers[0].address);
    await pool.connect(borrowers[1]).supplyCollateral(collateral, units(1, DECIMALS), borrowers[1].address);
    return { ...fx, collateral, collateralFeed, loanFeed, oracle };
  }

  type Fixture = Awaited<ReturnType<typeof chainlinkFixture>>;

  interface BadRound {
    title: string;
    /** Breaks a feed; meanwhile the true collateral price has fallen to 1,500 (the borrower is liquidatable). */
    apply: (fx: Fixture) => Promise<void>;
    error: "StalePrice" | "NonPositivePrice" | "IncompleteRound";
  }

  const now = async (): Promise<bigint> => BigInt(await time.latest());

  const BAD_ROUNDS: BadRound[] = [
    {
      title: "stale collateral feed (1 s past its max age)",
      apply: async (fx) => {
        await fx.collateralFeed.setRoundData(7n, USD(1_500n), 1n, (await now()) - COLLATERAL_MAX_AGE - 1n, 7n);
      },
      error: "StalePrice",
    },
    {
      title: "stale loan feed",
      apply: async (fx) => {
        await fx.collateralFeed.setAnswer(USD(1_500n));
        await fx.loanFeed.setRoundData(3n, USD(1n), 1n, (await now()) - LOAN_MAX_AGE - 1n, 3n);
      },
      error: "StalePrice",
    },
    {
      title: "zero answer",
      apply: async (fx) => {
        await fx.collateralFeed.setAnswer(0n);
      },
      error: "NonPositivePrice",
    },
    {
      title: "negative answer",
      apply: async (fx) => {
        await fx.collateralFeed.setAnswer(-1n);
      },
      error: "NonPositivePrice",
    },
    {
      title: "incomplete round (answeredInRound < roundId)",
      apply: async (fx) => {
        const t = await now();
        await fx.collateralFeed.setRoundData(9n, USD(1_500n), t, t, 8n);
      },
      error: "IncompleteRound",
    },
    {
      title: "round never updated (updatedAt = 0)",
      apply: async (fx) => {
        await fx.collateralFeed.setRoundData(9n, USD(1_500n), 0n, 0n, 9n);
      },
      error: "IncompleteRound",
    },
  ];

  for (const round of BAD_ROUNDS) {
    it(`${round.title}: borrow, withdrawCollateral, liquidate and socialize refuse with ${round.error}; nothing moves`, async () => {
      const fx = await loadFixture(chainlinkFixture);
      const { pool, oracle, collateral, borrowers, liquidator, loanToken, collaterals } = fx;
      const [borrower, debtFree] = borrowers;
      await round.apply(fx);
      await expect(oracle.price()).to.be.revertedWithCustomError(oracle, round.error);
      const totals = await totalsOf(pool);

      await expect(pool.connect(borrower).borrow(1n, borrower.address)).to.be.revertedWithCustomError(
        oracle,
        round.error,
      );
      await expect(
        pool.connect(borrower).withdrawCollateral(collateral, 1n, borrower.address),
      ).to.be.revertedWithCustomError(oracle, round.error);
      await expect(
        pool.connect(liquidator).liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
      ).to.be.revertedWithCustomError(oracle, round.error);
      await expect(pool.connect(liquidator).socializeBadDebt(borrower.address)).to.be.revertedWithCustomError(
        oracle,
        round.error,
      );
      await expect(
        pool.connect(debtFree).supplyCollateral(collateral, 1n, debtFree.address),
      ).to.be.revertedWithCustomError(oracle, round.error);
      // Without debt, collateral always comes back whatever the oracle says.
      await pool.connect(debtFree).withdrawCollateral(collateral, units(1, DECIMALS), debtFree.address);

      expect(await totalsOf(pool)).to.deep.equal(totals);
      expect(await pool.collateralOf(borrower.address, collateral)).to.equal(units(10, DECIMALS));
      await expectBooksReconciled(pool, loanToken, [collaterals[0].token]);
    });
  }

  it("fresh rounds back at the crashed price: the liquidation pays exactly poolMath's amounts", async () => {
    const fx = await loadFixture(chainlinkFixture);
    const { pool, oracle, collateral, borrowers, liquidator, collateralFeed, loanToken, collaterals } = fx;
    const [borrower] = borrowers;
    await collateralFeed.setRoundData(7n, USD(1_500n), 1n, (await now()) - COLLATERAL_MAX_AGE - 1n, 7n);
    await expect(
      pool.connect(liquidator).liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
    ).to.be.revertedWithCustomError(oracle, "StalePrice");
    await collateralFeed.setAnswer(USD(1_500n));
    const quote = await liquidationQuoteOnChain(pool, borrower.address, collateral, ethers.MaxUint256);
    if (quote === null) throw new Error("poolMath: not liquidatable");
    await expect(
      pool.connect(liquidator).liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
    )
      .to.emit(pool, "Liquidate")
      .withArgs(
        liquidator.address,
        borrower.address,
        collateral,
        liquidator.address,
        quote.repaidAssets,
        quote.repaidShares,
        quote.seizedCollateral,
        quote.badDebtAssets,
      );
    await expectBooksReconciled(pool, loanToken, [collaterals[0].token]);
  });
});
