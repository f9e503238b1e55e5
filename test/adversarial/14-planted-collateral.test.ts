import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { liquidationQuoteOnChain, totalsOf } from "../helpers/chainReads";
import { expectBooksReconciled } from "./reconcile";
import {
  deployDollarPool,
  expectClose,
  fundAndApprove,
  heldCollateralOf,
  listWithMockOracle,
  repointAtChainlink,
} from "./poolSetup";

/**
 * Planted collateral (issue 13, points 3 and 4): anyone may supply collateral on behalf of any account. Planted on an
 * insolvent account, just above or below the dust threshold, or as 1 wei of a collateral whose feed then goes stale,
 * it used to keep the account's bad debt on the books (a maximal liquidation of the real collateral realized nothing,
 * socializeBadDebt reverted). Now: recognition records the shortfall whatever was planted, and closeInsolventAccount
 * seizes every priced collateral, planted or not, and realizes the residual in the same call. And a stale feed on a
 * large collateral of a healthy account neither makes it liquidatable nor lets its collateral be taken.
 *
 * Scenario: 6-decimals loan, dust threshold 1.00. The victim holds 10 COL0 (100 each) and owes 750; COL0 falls to 50:
 * worth 500, recovery 500 / 1.05 = 476.19, shortfall 273.81, of which the reserve (100) covers part. COL1 is listed at
 * 1.00 a unit (18 decimals).
 */
describe("Adversarial 14: planted collateral cannot keep an insolvent account open or its debt unrecognized", () => {
  const LOAN = 6;
  const usd = (amount: number | string): bigint => units(amount, LOAN);
  const DUST = usd(1);

  async function plantFixture() {
    const fx = await deployDollarPool([18, 18], [100, 1]);
    const { pool, owner, lps, borrowers, collaterals, others } = fx;
    const [griefer] = others;
    const poolAddress = await pool.getAddress();
    await pool.connect(lps[0]).deposit(usd(100_000), lps[0].address);
    await pool.connect(borrowers[0]).supplyCollateral(await collaterals[0].token.getAddress(), units(10, 18), borrowers[0].address);
    await pool.connect(borrowers[0]).borrow(usd(750), borrowers[0].address);
    await pool.connect(owner).donateToReserve(usd(100));
    for (const collateral of collaterals) await fundAndApprove(collateral.token, griefer, units(1_000, 18), poolAddress);
    return fx;
  }

  async function crash(fx: PoolFixture): Promise<void> {
    await fx.collaterals[0].oracle.setPrice(priceE36(50, LOAN, 18));
  }

  /**
   * The shortfall a refresh of `account` records now, from poolMath (failed oracles at their last trusted price while
   * it is at most MAX_TRUSTED_PRICE_AGE old, else 0).
   */
  async function shortfallNow(fx: PoolFixture, account: string): Promise<bigint> {
    const held = await heldCollateralOf(fx.pool, account);
    return poolMath.shortfallOf(await fx.pool.debtOf(account), poolMath.recoveryValue(held.map((entry) => entry.position)));
  }

  async function expectNoDebtLeft(fx: PoolFixture, account: string): Promise<void> {
    const { pool, collaterals } = fx;
    expect(await pool.debtOf(account)).to.equal(0n);
    expect(await pool.borrowSharesOf(account)).to.equal(0n);
    expect(await pool.recognizedShortfall(account)).to.equal(0n);
    expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    for (const collateral of collaterals) expect(await pool.collateralOf(account, await collateral.token.getAddress())).to.equal(0n);
    // The victim was the only borrower: no borrow is left but the virtual shares' wei (design §8).
    expect(await pool.totalBorrowShares()).to.equal(0n);
    expect(await pool.totalBorrowAssets()).to.be.at.most(1n);
    await expectBooksReconciled(pool, fx.loanToken, collaterals.map((c) => c.token));
  }

  // =================================================================================================================
  // 3 (a), (b): planted just above and just below the dust threshold, in the account's own collateral or another one.
  // =================================================================================================================
  interface Plant {
    title: string;
    collateralIndex: number;
    amount: bigint;
  }

  const PLANTS: Plant[] = [
    { title: "1.01 of COL1 (worth 1.01, above the 1.00 dust threshold)", collateralIndex: 1, amount: units("1.01", 18) },
    { title: "0.99 of COL1 (worth 0.99, below dust)", collateralIndex: 1, amount: units("0.99", 18) },
    { title: "0.0202 COL0 (worth 1.01 after the crash, above dust)", collateralIndex: 0, amount: units("0.0202", 18) },
    { title: "0.0198 COL0 (worth 0.99 after the crash, below dust)", collateralIndex: 0, amount: units("0.0198", 18) },
  ];

  for (const plant of PLANTS) {
    it(`${plant.title} planted on an insolvent account: recognition records the shortfall, the close seizes it all and realizes the residual`, async () => {
      const fx = await loadFixture(plantFixture);
      const { pool, borrowers, collaterals, liquidator, others } = fx;
      const [griefer, keeper] = others;
      const victim = borrowers[0].address;
      await crash(fx);
      const planted = await collaterals[plant.collateralIndex].token.getAddress();
      await pool.connect(griefer).supplyCollateral(planted, plant.amount, victim);

      // Before the one-call close, the griefing worked against the single-collateral liquidation: with 1.01 of COL1
      // left behind, liquidating all the COL0 realizes nothing (remaining value above dust).
      const collateral0 = await collaterals[0].token.getAddress();
      const [, , badDebtByLiquidation] = await pool
        .connect(liquidator)
        .liquidate.staticCall(victim, collateral0, ethers.MaxUint256, 0n, liquidator.address);
      const plantedValue = poolMath.valueDown(plant.amount, await collaterals[plant.collateralIndex].oracle.priceE36());
      expect(badDebtByLiquidation === 0n).to.equal(plant.collateralIndex === 1 && plantedValue > DUST);

      // Recognition: the shortfall is recorded net of what the planted collateral recovers.
      const shortfall = await shortfallNow(fx, victim);
      const debt = await pool.debtOf(victim);
      expect(shortfall).to.equal(
        debt -
          poolMath.repaidForSeizedDown(await pool.collateralOf(victim, collateral0), 500n, priceE36(50, LOAN, 18)) -
          (plant.collateralIndex === 1 ? poolMath.repaidForSeizedDown(plant.amount, 500n, priceE36(1, LOAN, 18)) : 0n),
      );
      await expect(pool.connect(keeper).recognizeLosses([victim]))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(victim, 0n, shortfall, shortfall);
      const totals = await totalsOf(pool);
      expect(await pool.totalAssets()).to.equal(poolMath.exitAssetsOf(totals));
      expect(await pool.totalAssets()).to.equal(totals.totalLpAssets - (shortfall - totals.reserveAssets));

      // The close: every collateral (planted included) goes to the liquidator, the residual is realized now.
      const plantedBefore = await collaterals[plant.collateralIndex].token.balanceOf(liquidator.address);
      const { quote, realization } = await expectClose(pool, victim, liquidator);
      expect(realization).to.not.equal(null);
      expect(quote.seized[plant.collateralIndex].assets).to.be.at.least(plant.amount);
      expect((await collaterals[plant.collateralIndex].token.balanceOf(liquidator.address)) - plantedBefore).to.equal(
        quote.seized[plant.collateralIndex].assets,
      );
      await expectNoDebtLeft(fx, victim);
    });
  }

  it("1.01 of COL1 planted after recognition: the planting refreshes the recorded shortfall (lowers it by what it recovers), the close realizes the rest", async () => {
    const fx = await loadFixture(plantFixture);
    const { pool, borrowers, collaterals, liquidator, others } = fx;
    const [griefer, keeper] = others;
    const victim = borrowers[0].address;
    await crash(fx);
    const before = await shortfallNow(fx, victim);
    await pool.connect(keeper).recognizeLosses([victim]);
    const amount = units("1.01", 18);
    const after = before - poolMath.repaidForSeizedDown(amount, 500n, priceE36(1, LOAN, 18));
    await expect(pool.connect(griefer).supplyCollateral(await collaterals[1].token.getAddress(), amount, victim))
      .to.emit(pool, "ShortfallUpdated")
      .withArgs(victim, before, after, after);
    expect(await pool.recognizedShortfall(victim)).to.equal(await shortfallNow(fx, victim));
    const { realization } = await expectClose(pool, victim, liquidator);
    expect(realization).to.not.equal(null);
    await expectNoDebtLeft(fx, victim);
  });

  it("1 wei of a listed token that then refuses transfers, planted on the account: the close still realizes; the wei is credited to the liquidator in the pool", async () => {
    const fx = await loadFixture(plantFixture);
    const { pool, borrowers, liquidator, others, loanToken, collaterals } = fx;
    const [griefer] = others;
    const victim = borrowers[0].address;
    const refusing = await ethers.deployContract("PausableERC20", ["Refusing", "REF"]);
    const refusingAddress = await refusing.getAddress();
    await listWithMockOracle(pool, refusingAddress, priceE36(1, LOAN, 18));
    await refusing.mint(griefer.address, 1n);
    await refusing.connect(griefer).approve(await pool.getAddress(), 1n);
    await crash(fx);
    await pool.connect(griefer).supplyCollateral(refusingAddress, 1n, victim);
    await refusing.setTransfersPaused(true);
    const { quote, realization } = await expectClose(pool, victim, liquidator, [refusingAddress]);
    expect(quote.seized[2].assets).to.equal(1n);
    expect(realization).to.not.equal(null);
    expect(await pool.collateralOf(liquidator.address, refusingAddress)).to.equal(1n);
    expect(await pool.debtOf(victim)).to.equal(0n);
    expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    await expectBooksReconciled(pool, loanToken, [...collaterals.map((c) => c.token), refusing]);
  });

  // =================================================================================================================
  // 3 (c): 1 wei of a second collateral planted, whose feed then goes stale.
  // =================================================================================================================
  describe("planted collateral whose feed then goes stale", () => {
    const COLLATERAL_MAX_AGE = 3_600n;
    const LOAN_MAX_AGE = 86_400n;
    const USD8 = (dollars: bigint): bigint => dollars * 10n ** 8n;

    /** COL1 priced by a ChainlinkOracle over two MockAggregatorV3 feeds ($1 a unit, loan $1; max ages 1 h and 1 day). */
    async function staleFeedFixture() {
      const fx = await plantFixture();
      const { collateral, ...chainlink } = await repointAtChainlink(fx, 1, USD8(1n), COLLATERAL_MAX_AGE, LOAN_MAX_AGE);
      return { ...fx, collateral1: collateral, ...chainlink };
    }

    /** The griefer plants `amount` of COL1 on the crashed victim; then the COL1 feed goes 1 s past its max age. */
    async function plantThenStale(fx: Awaited<ReturnType<typeof staleFeedFixture>>, amount: bigint): Promise<void> {
      await crash(fx);
      await fx.pool.connect(fx.others[0]).supplyCollateral(fx.collateral1, amount, fx.borrowers[0].address);
      await time.increase(COLLATERAL_MAX_AGE + 1n);
      await fx.loanFeed.setAnswer(USD8(1n)); // the loan feed stays fresh: only the collateral's feed is stale
      await expect(fx.oracle.price()).to.be.revertedWithCustomError(fx.oracle, "StalePrice");
    }

    it("1 wei of COL1, then its feed goes stale: recognition and the close still work, the residual is realized, no debt stays", async () => {
      const fx = await loadFixture(staleFeedFixture);
      const { pool, borrowers, collaterals, liquidator, others, collateral1 } = fx;
      const [, keeper] = others;
      const victim = borrowers[0].address;
      await plantThenStale(fx, 1n);
      const { priceE36: trusted } = await pool.lastTrustedPrice(collateral1);
      expect(trusted).to.equal(priceE36(1, LOAN, 18));

      // The stale collateral cannot be seized by a liquidation: the pool has no live price for it.
      await expect(pool.connect(liquidator).liquidate(victim, collateral1, ethers.MaxUint256, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(collateral1);
      // Recognition values the wei at its last trusted price and records the crashed COL0 price as trusted.
      const shortfall = await shortfallNow(fx, victim);
      expect(shortfall).to.be.greaterThan(0n);
      const collateral0 = await collaterals[0].token.getAddress();
      const recognition = pool.connect(keeper).recognizeLosses([victim]);
      await expect(recognition).to.emit(pool, "ShortfallUpdated").withArgs(victim, 0n, shortfall, shortfall);
      await expect(recognition).to.emit(pool, "LastTrustedPriceUpdated").withArgs(collateral0, priceE36(50, LOAN, 18));
      expect((await pool.lastTrustedPrice(collateral1)).priceE36).to.equal(trusted);

      // The close seizes COL0, leaves the unpriced wei escrowed (worth 0 ≤ dust), realizes the residual and sweeps
      // the wei to the liquidator.
      const held = await heldCollateralOf(pool, victim);
      expect(held.map((entry) => entry.position.live)).to.deep.equal([true, false]);
      const { quote, realization } = await expectClose(pool, victim, liquidator);
      expect(quote.seized[1].assets).to.equal(0n);
      expect(realization).to.not.equal(null);
      expect(await collaterals[1].token.balanceOf(liquidator.address)).to.equal(units(1_000_000, 18) + 1n);
      await expectNoDebtLeft(fx, victim);
    });

    it("above dust (2 COL1) with a stale feed: the close seizes the rest and keeps the debt it backs fully recognized; once the feed is back, a second close realizes it", async () => {
      const fx = await loadFixture(staleFeedFixture);
      const { pool, borrowers, liquidator, collateralFeed, collateral1 } = fx;
      const victim = borrowers[0].address;
      await plantThenStale(fx, units(2, 18));
      // While the feed is stale, the escrowed 2 COL1 (2.00 at the trusted price, above dust) back part of the debt:
      // the account stays open with its shortfall recorded, so exits are priced net of it.
      const first = await expectClose(pool, victim, liquidator);
      expect(first.realization).to.equal(null);
      expect(await pool.collateralOf(victim, collateral1)).to.equal(units(2, 18));
      const left = await pool.debtOf(victim);
      const escrowedRecovery = poolMath.repaidForSeizedDown(units(2, 18), 500n, priceE36(1, LOAN, 18));
      expect(first.quote.shortfallAfter).to.equal(left - escrowedRecovery);
      const totals = await totalsOf(pool);
      expect(await pool.totalAssets()).to.equal(poolMath.exitAssetsOf(totals));
      // Nothing more can be done until the feed returns.
      await expect(pool.connect(liquidator).closeInsolventAccount(victim, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "NothingToClose")
        .withArgs(victim);
      await expect(pool.connect(liquidator).socializeBadDebt(victim))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(victim, units(2, LOAN), DUST);
      console.log(
        `      stale feed on 2 planted COL1: debt left open ${left} raw, recognized ${await pool.recognizedShortfall(victim)} raw (escrowed recovery ${escrowedRecovery} raw)`,
      );
      // The feed returns: the close seizes the 2 COL1 and realizes the rest.
      await collateralFeed.setAnswer(USD8(1n));
      const second = await expectClose(pool, victim, liquidator);
      expect(second.realization).to.not.equal(null);
      await expectNoDebtLeft(fx, victim);
    });
  });

  // =================================================================================================================
  // 3 (d): a failing feed on a LARGE collateral of a HEALTHY account.
  // =================================================================================================================
  describe("a failing feed on a large collateral of a healthy account", () => {
    /** The holder: 10 COL0 (2,000 each: 20,000) and 0.01 COL1 (30,000 each: 300), owing 12,000 (health 1.35). */
    async function healthyFixture() {
      const fx = await deployDollarPool([18, 8], [2_000, 30_000]);
      const { pool, lps, borrowers, collaterals } = fx;
      const holder = borrowers[1];
      await pool.connect(lps[0]).deposit(usd(100_000), lps[0].address);
      await pool.connect(holder).supplyCollateral(await collaterals[0].token.getAddress(), units(10, 18), holder.address);
      await pool.connect(holder).supplyCollateral(await collaterals[1].token.getAddress(), units("0.01", 8), holder.address);
      await pool.connect(holder).borrow(usd(12_000), holder.address);
      return fx;
    }

    const FAILURES = [
      { title: "reverts", fail: (fx: PoolFixture) => fx.collaterals[0].oracle.setReverting(true) },
      { title: "answers 0", fail: (fx: PoolFixture) => fx.collaterals[0].oracle.setPrice(0n) },
    ];

    for (const failure of FAILURES) {
      it(`COL0's oracle ${failure.title} (the market meanwhile at 1,400): no liquidation, no close, no write-off; COL0 is not taken until a live price says so`, async () => {
        const fx = await loadFixture(healthyFixture);
        const { pool, borrowers, collaterals, liquidator, others } = fx;
        const [attacker] = others;
        const holder = borrowers[1].address;
        const [collateral0, collateral1] = await Promise.all(collaterals.map((c) => c.token.getAddress()));
        const trusted = priceE36(2_000, LOAN, 18);
        await failure.fail(fx);
        // The live COL1 crashes too (30,000 → 1,000): at COL0's trusted price the account stays healthy.
        await collaterals[1].oracle.setPrice(priceE36(1_000, LOAN, 8));

        const held = await heldCollateralOf(pool, holder);
        expect(held.map((entry) => [entry.position.live, entry.position.priceE36])).to.deep.equal([
          [false, trusted],
          [true, priceE36(1_000, LOAN, 8)],
        ]);
        const positions = held.map((entry) => entry.position);
        const liquidity = poolMath.accountLiquidity(
          positions,
          await pool.borrowSharesOf(holder),
          await pool.totalBorrowAssets(),
          await pool.totalBorrowShares(),
        );
        const health = poolMath.healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
        expect(health).to.be.greaterThan(poolMath.WAD);

        await expect(pool.connect(liquidator).liquidate(holder, collateral0, ethers.MaxUint256, 0n, attacker.address))
          .to.be.revertedWithCustomError(pool, "PriceUnavailable")
          .withArgs(collateral0);
        await expect(pool.connect(liquidator).liquidate(holder, collateral1, ethers.MaxUint256, 0n, attacker.address))
          .to.be.revertedWithCustomError(pool, "PositionHealthy")
          .withArgs(holder, health);
        await expect(pool.connect(liquidator).closeInsolventAccount(holder, 0n, attacker.address))
          .to.be.revertedWithCustomError(pool, "AccountNotInsolvent")
          .withArgs(holder, liquidity.debt, poolMath.recoveryValue(positions));
        await expect(pool.connect(liquidator).socializeBadDebt(holder))
          .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
          .withArgs(holder, liquidity.collateralValue, DUST);
        await expect(pool.connect(attacker).recognizeLosses([holder])).to.not.emit(pool, "ShortfallUpdated");
        expect(await pool.recognizedShortfall(holder)).to.equal(0n);
        expect((await pool.lastTrustedPrice(collateral0)).priceE36).to.equal(trusted);
        expect(await pool.collateralOf(holder, collateral0)).to.equal(units(10, 18));

        // The other side: the feed comes back at the market's 1,400 (health 0.94): now COL0 is seized, at that live
        // price, exactly as poolMath says.
        await collaterals[0].oracle.setReverting(false);
        await collaterals[0].oracle.setPrice(priceE36(1_400, LOAN, 18));
        const quote = await liquidationQuoteOnChain(pool, holder, collateral0, ethers.MaxUint256);
        if (quote === null) throw new Error("poolMath: not liquidatable at 1,400");
        await expect(pool.connect(liquidator).liquidate(holder, collateral0, ethers.MaxUint256, 0n, liquidator.address))
          .to.emit(pool, "Liquidate")
          .withArgs(
            liquidator.address,
            holder,
            collateral0,
            liquidator.address,
            quote.repaidAssets,
            quote.repaidShares,
            quote.seizedCollateral,
            quote.badDebtAssets,
          );
        expect(quote.seizedCollateral).to.equal(poolMath.seizedCollateralDown(quote.repaidAssets, 500n, priceE36(1_400, LOAN, 18)));
      });
    }
  });
});
