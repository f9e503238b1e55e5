import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, units } from "../helpers/fixtures";
import { liquidationQuoteOnChain, totalsOf } from "../helpers/chainReads";
import * as poolMath from "../../keepers/src/model/poolMath";
import { expectBooksReconciled } from "./reconcile";
import { collateralParamsWith, deployChainlinkOracle, repointAtChainlink } from "./poolSetup";

/**
 * Bad prices from a real adapter: ChainlinkOracle over two MockAggregatorV3 feeds (collateral/USD 8 decimals,
 * loan/USD 8 decimals, max ages 1 h and 1 day). A stale, zero, negative or incomplete round makes the oracle revert,
 * and the pool never acts on it: borrow and collateral withdrawal with debt revert with the oracle's error; a
 * liquidation may not seize the collateral it cannot price (`PriceUnavailable`), even when the bad round would let a
 * liquidator profit; socialization and loss recognition value the collateral at its last trusted price (the listing
 * price here), so the healthy-at-2,000 account is neither written off nor impaired; nothing moves. A collateral
 * cannot be listed without a live price. With good rounds back, the liquidation pays exactly poolMath's amounts at
 * the new price.
 */
describe("Adversarial 4: stale, zero, negative and incomplete oracle rounds", () => {
  const DECIMALS = 18;
  const COLLATERAL_MAX_AGE = 3_600n;
  const LOAN_MAX_AGE = 86_400n;
  const USD = (dollars: bigint): bigint => dollars * 10n ** 8n;
  /** 2,000 loan units per collateral unit, both 18 decimals: the adapter's (and the listing's) price. */
  const TRUSTED_PRICE = 2_000n * 10n ** 36n;

  async function chainlinkFixture() {
    const fx = await deployPool({ collateralPrices: [2_000] });
    const { pool, lps, borrowers } = fx;
    const { collateral, collateralFeed, loanFeed, oracle } = await repointAtChainlink(
      fx,
      0,
      USD(2_000n),
      COLLATERAL_MAX_AGE,
      LOAN_MAX_AGE,
    );
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
    it(`${round.title}: borrow and withdrawCollateral refuse with ${round.error}, liquidate with PriceUnavailable, socialize and recognition value at the last trusted price; nothing moves`, async () => {
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
      // The bad round would make the account liquidatable at 1,500; the pool cannot seize what it cannot price.
      await expect(
        pool.connect(liquidator).liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
      )
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(collateral);
      // Socialization values the 10 collateral at the last trusted 2,000: 20,000, far above the dust threshold (0).
      await expect(pool.connect(liquidator).socializeBadDebt(borrower.address))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(borrower.address, units(20_000, DECIMALS), 0n);
      // Recognition too: at 2,000 the account recovers 20,000 / 1.05 > 14,000, so no shortfall, and the failed feed
      // leaves the last trusted price as it was.
      const [shortfall, debt, recovery] = await pool.accountShortfall(borrower.address);
      expect([shortfall, debt]).to.deep.equal([0n, units(14_000, DECIMALS)]);
      expect(recovery).to.equal(
        poolMath.repaidForSeizedDown(units(10, DECIMALS), 500n, (await pool.lastTrustedPrice(collateral)).priceE36),
      );
      await expect(pool.recognizeLosses([borrower.address]))
        .to.not.emit(pool, "ShortfallUpdated")
        .and.to.not.emit(pool, "LastTrustedPriceUpdated");
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(TRUSTED_PRICE);
      expect(await pool.recognizedShortfall(borrower.address)).to.equal(0n);
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
    await expect(oracle.price()).to.be.revertedWithCustomError(oracle, "StalePrice");
    await expect(
      pool.connect(liquidator).liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
    )
      .to.be.revertedWithCustomError(pool, "PriceUnavailable")
      .withArgs(collateral);
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

  it("a collateral cannot be listed while its oracle gives no price (PriceUnavailable); a failing new oracle keeps the trusted price", async () => {
    const fx = await loadFixture(chainlinkFixture);
    const { pool, owner, loanToken, collateral, oracle, collateralFeed, loanFeed } = fx;
    const token = await ethers.deployContract("MockERC20", ["Second", "SEC", DECIMALS]);
    const tokenAddress = await token.getAddress();
    const feed = await ethers.deployContract("MockAggregatorV3", [8, USD(10n)]);
    const secondOracle = await deployChainlinkOracle(
      feed,
      loanFeed,
      tokenAddress,
      await loanToken.getAddress(),
      COLLATERAL_MAX_AGE,
      LOAN_MAX_AGE,
    );
    const params = {
      oracle: await secondOracle.getAddress(),
      ltvBps: 5_000,
      liquidationThresholdBps: 6_000,
      liquidationBonusBps: 500,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    };
    await feed.setRoundData(2n, USD(10n), 1n, (await now()) - COLLATERAL_MAX_AGE - 1n, 2n);
    await expect(pool.connect(owner).listCollateral(tokenAddress, params))
      .to.be.revertedWithCustomError(pool, "PriceUnavailable")
      .withArgs(tokenAddress);
    // A fresh round: listed, with the oracle's answer as its first trusted price.
    await feed.setAnswer(USD(10n));
    await expect(pool.connect(owner).listCollateral(tokenAddress, params))
      .to.emit(pool, "LastTrustedPriceUpdated")
      .withArgs(tokenAddress, 10n * 10n ** 36n);
    expect((await pool.lastTrustedPrice(tokenAddress)).priceE36).to.equal(10n * 10n ** 36n);

    // Re-pointing collateral 0 at an oracle that fails keeps its last trusted price (and emits no update).
    await collateralFeed.setAnswer(0n);
    await expect(
      pool.connect(owner).setCollateralParams(collateral, await collateralParamsWith(pool, collateral, await oracle.getAddress())),
    ).to.not.emit(pool, "LastTrustedPriceUpdated");
    expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(TRUSTED_PRICE);
  });
});
