import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { Pool } from "../../typechain-types";
import * as poolMath from "../../keepers/src/model/poolMath";
import { priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { bookPositionsOf, shortfallFigures, totalsOf, trustedPriceOf } from "../helpers/chainReads";
import {
  collateralParamsWith,
  deployDollarPool,
  expectClose,
  fundAndApprove,
  heldCollateralOf,
  mockOracleAt,
  standardCollateralParams,
} from "./poolSetup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Last trusted prices (the fallback while a collateral's oracle fails) carry their time and stand in for at most
 * MAX_TRUSTED_PRICE_AGE; the pool records them wherever it reads a live price to act (listing, liquidate, the close,
 * socializeBadDebt, recognizeLosses, the repay/top-up refresh and the permissionless refreshTrustedPrices).
 *   F1: an outdated trusted price (here the listing price) can no longer make a healthy account closable or
 *       liquidatable, nor let a borrower write off a debt its collateral covers: past the age limit the account is
 *       unpriced (liquidate, close, write-off revert PriceUnavailable), and loss recognition counts the collateral at
 *       0 (the pool's side); a recent trusted price values it as the market last did.
 *   F2: liquidate records the live price it acted on, so a feed failure right after cannot release the shortfall the
 *       liquidation recognized.
 *   F4: a self-close whose seized token refuses the transfer is not reported as a dust sweep.
 *   1 wei of a collateral planted on an insolvent account, whose feed then stays dead past the age limit, no longer
 *   stops recognition of the account's shortfall (which reopened the withdrawal race for it).
 * Loan asset of 6 decimals, collaterals of 18, LTV 75%, threshold 80%, bonus 5%, dust threshold 1.00, rate 0.
 */
describe("Adversarial 15: last trusted prices expire, and are recorded wherever the pool acts", () => {
  const LOAN = 6;
  const usd = (amount: number | string): bigint => units(amount, LOAN);
  const px = (loanPerCollateral: number): bigint => priceE36(loanPerCollateral, LOAN, 18);
  const DUST = usd(1);
  const BONUS = 500n;
  const MAX_AGE = poolMath.MAX_TRUSTED_PRICE_AGE;

  /** Lets the last trusted price of `collateral` expire: the latest block is a minute past its age limit. */
  async function expireTrustedPrice(pool: Pool, collateral: string): Promise<void> {
    const { updatedAt } = await pool.lastTrustedPrice(collateral);
    await time.increaseTo(updatedAt + MAX_AGE + 60n);
  }

  /** The pool's borrow totals (assets, shares) as the views report them at the latest block. */
  async function borrowTotals(pool: Pool): Promise<[bigint, bigint]> {
    const { totalBorrowAssets, totalBorrowShares } = await totalsOf(pool);
    return [totalBorrowAssets, totalBorrowShares];
  }

  /** The LastTrustedPriceUpdated events of a mined transaction, as [collateral, priceE36], in log order. */
  async function trustedPriceUpdates(pool: Pool, response: ContractTransactionResponse): Promise<[string, bigint][]> {
    const receipt = await response.wait();
    if (receipt === null) throw new Error("not mined");
    const events = await pool.queryFilter(
      pool.filters.LastTrustedPriceUpdated(),
      receipt.blockNumber,
      receipt.blockNumber,
    );
    return events
      .filter((event) => event.transactionHash === receipt.hash)
      .map((event): [string, bigint] => [event.args.collateral, event.args.priceE36]);
  }

  /**
   * The liquidator's closeInsolventAccount of `account`, a maximal liquidate of each of `collaterals` and
   * socializeBadDebt all revert PriceUnavailable(`unpriced`).
   */
  async function expectUnpriced(
    fx: PoolFixture,
    account: string,
    collaterals: readonly string[],
    unpriced: string,
  ): Promise<void> {
    const { pool, liquidator } = fx;
    await expect(pool.connect(liquidator).closeInsolventAccount(account, 0n, liquidator.address))
      .to.be.revertedWithCustomError(pool, "PriceUnavailable")
      .withArgs(unpriced);
    for (const collateral of collaterals) {
      await expect(pool.connect(liquidator).liquidate(account, collateral, ethers.MaxUint256, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(unpriced);
    }
    await expect(pool.connect(liquidator).socializeBadDebt(account))
      .to.be.revertedWithCustomError(pool, "PriceUnavailable")
      .withArgs(unpriced);
  }

  /**
   * poolMath's recovery value of `positions` (checked equal to each of `recoveryIs`) and the shortfall of `debt` over
   * it (checked equal to `shortfallIs`); the pool's accountShortfall of `account` gives the same three figures.
   */
  async function expectShortfallOf(
    pool: Pool,
    account: string,
    debt: bigint,
    positions: readonly poolMath.ClosingCollateral[],
    recoveryIs: readonly bigint[],
    shortfallIs: bigint,
  ): Promise<{ recovery: bigint; shortfall: bigint }> {
    const recovery = poolMath.recoveryValue(positions);
    for (const expected of recoveryIs) expect(recovery).to.equal(expected);
    const shortfall = poolMath.shortfallOf(debt, recovery);
    expect(shortfall).to.equal(shortfallIs);
    expect(await pool.accountShortfall(account)).to.deep.equal([shortfall, debt, recovery]);
    return { recovery, shortfall };
  }

  // ------------------------------------------------------------------ F1: an outdated trusted price

  /** COL0 listed at 2,000 (its trusted price), market now 4,000; COL1 at 1. Holder: 1 COL0 + 1,000 COL1, owes 3,500. */
  async function risenFixture() {
    const fx = await deployDollarPool([18, 18], [2_000, 1]);
    const { pool, lps, borrowers, collaterals } = fx;
    const [col0, col1] = await Promise.all(collaterals.map((c) => c.token.getAddress()));
    await pool.connect(lps[0]).deposit(usd(100_000), lps[0].address);
    await collaterals[0].oracle.setPrice(px(4_000));
    const holder = borrowers[0];
    await pool.connect(holder).supplyCollateral(col0, units(1, 18), holder.address);
    await pool.connect(holder).supplyCollateral(col1, units(1_000, 18), holder.address);
    // Borrow limit at live prices: 0.75 × 5,000 = 3,750. Health at live prices: 0.8 × 5,000 / 3,500 = 1.14.
    await pool.connect(holder).borrow(usd(3_500), holder.address);
    return { ...fx, col0, col1, holder: holder.address };
  }

  /** COL0 re-pointed at a listing price of 0.0001 (a new token); its market is now 10. Holder: 1,000 COL0, owes 7,000. */
  async function moonFixture() {
    const fx = await deployDollarPool([18], [1]);
    const { pool, owner, lps, borrowers, collaterals } = fx;
    const col0 = await collaterals[0].token.getAddress();
    // setCollateralParams with an answering oracle stores its price as trusted: 0.0001.
    await collaterals[0].oracle.setPrice(px(1) / 10_000n);
    await pool.connect(owner).setCollateralParams(col0, await collateralParamsWith(pool, col0));
    await pool.connect(lps[0]).deposit(usd(100_000), lps[0].address);
    await collaterals[0].oracle.setPrice(px(10));
    const holder = borrowers[0];
    await pool.connect(holder).supplyCollateral(col0, units(1_000, 18), holder.address);
    await pool.connect(holder).borrow(usd(7_000), holder.address);
    return { ...fx, col0, holder };
  }

  describe("F1: a trusted price older than MAX_TRUSTED_PRICE_AGE cannot act against an account", () => {
    it("the holder of COL0 (market 4,000, listing-time trusted price 2,000, expired) is neither closed nor liquidated nor written off (PriceUnavailable(COL0)); recognition counts COL0 at 0 until its feed answers, then releases the shortfall", async () => {
      const fx = await loadFixture(risenFixture);
      const { pool, collaterals, others, holder, col0, col1 } = fx;
      expect((await pool.lastTrustedPrice(col0)).priceE36).to.equal(px(2_000));
      await collaterals[0].oracle.setReverting(true); // the market is unchanged: 1 COL0 = 4,000
      await expireTrustedPrice(pool, col0);

      // At the outdated 2,000 the account would look insolvent: 2,000 / 1.05 + 1,000 / 1.05 = 2,857.14 < 3,500.
      const atOutdatedPrice =
        poolMath.repaidForSeizedDown(units(1, 18), BONUS, px(2_000)) +
        poolMath.repaidForSeizedDown(units(1_000, 18), BONUS, px(1));
      expect(atOutdatedPrice).to.equal(2_857_142_856n);
      expect(atOutdatedPrice).to.be.lessThan(usd(3_500));
      // The model agrees the collateral is expired (priced 0) rather than valued at 2,000.
      const booked = await bookPositionsOf(pool, holder, collaterals);
      expect(booked.map((position) => [position.priceE36, position.live])).to.deep.equal([
        [0n, false],
        [px(1), true],
      ]);

      const exitBefore = await pool.totalAssets();
      // Loss recognition counts the expired COL0 at 0: 3,500 owed against 1,000 COL1 recovering 1,000 / 1.05.
      const debt = usd(3_500);
      const { shortfall } = await expectShortfallOf(
        pool,
        holder,
        debt,
        booked,
        [poolMath.repaidForSeizedDown(units(1_000, 18), BONUS, px(1)), 952_380_952n],
        2_547_619_048n,
      );
      await expectUnpriced(fx, holder, [col0, col1], col0);

      // Recognition records that shortfall (the pool's side: nobody can price COL0), and re-dates COL1's unchanged
      // live price (its record is older than MAX_TRUSTED_PRICE_AGE / 4); exits are priced net of it (no reserve).
      const recognition = await pool.connect(others[0]).recognizeLosses([holder]);
      await expect(recognition).to.emit(pool, "ShortfallUpdated").withArgs(holder, 0n, shortfall, shortfall);
      expect(await trustedPriceUpdates(pool, recognition)).to.deep.equal([[col1, px(1)]]);
      expect(await pool.recognizedShortfall(holder)).to.equal(shortfall);
      const totals = await totalsOf(pool);
      expect(totals.reserveAssets).to.equal(0n);
      expect(await pool.totalAssets()).to.equal(poolMath.exitAssetsOf(totals));
      expect(await pool.totalAssets()).to.equal(exitBefore - shortfall);

      // Nothing was taken: no seizure, no write-off.
      expect(await pool.collateralOf(holder, col0)).to.equal(units(1, 18));
      expect(await pool.collateralOf(holder, col1)).to.equal(units(1_000, 18));
      expect(await pool.debtOf(holder)).to.equal(debt);
      expect(await pool.entryTotalAssets()).to.equal(exitBefore);

      // The feed answers again at the market's 4,000: the next recognition releases the whole shortfall (4,000 / 1.05
      // + 1,000 / 1.05 ≥ 3,500) and records 4,000 as COL0's trusted price; exits are back where they were.
      await collaterals[0].oracle.setReverting(false);
      const release = await pool.connect(others[0]).recognizeLosses([holder]);
      await expect(release).to.emit(pool, "ShortfallUpdated").withArgs(holder, shortfall, 0n, 0n);
      expect(await trustedPriceUpdates(pool, release)).to.deep.equal([[col0, px(4_000)]]);
      expect(await pool.recognizedShortfall(holder)).to.equal(0n);
      expect(await pool.totalAssets()).to.equal(exitBefore);
    });

    it("a borrower cannot write off its own covered debt at a trusted price 100,000x below the market once it has expired: socializeBadDebt and a self-close revert PriceUnavailable", async () => {
      const fx = await loadFixture(moonFixture);
      const { pool, collaterals, holder, col0 } = fx;
      expect((await pool.lastTrustedPrice(col0)).priceE36).to.equal(px(1) / 10_000n);
      await collaterals[0].oracle.setReverting(true);
      await expireTrustedPrice(pool, col0);
      const lpAssetsBefore = await pool.entryTotalAssets();

      await expect(pool.connect(holder).socializeBadDebt(holder.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);
      await expect(pool.connect(holder).closeInsolventAccount(holder.address, 0n, holder.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);

      expect(await pool.debtOf(holder.address)).to.equal(usd(7_000));
      expect(await pool.collateralOf(holder.address, col0)).to.equal(units(1_000, 18));
      expect(await pool.entryTotalAssets()).to.equal(lpAssetsBefore);
    });
  });

  describe("a recent trusted price values the account while the feed fails", () => {
    it("refreshTrustedPrices records the risen 4,000; the feed then fails: the holder is healthy and solvent at 4,000, so no close, liquidation, write-off or shortfall", async () => {
      const fx = await loadFixture(risenFixture);
      const { pool, collaterals, liquidator, others, holder, col0 } = fx;
      const refresh = await pool.connect(others[0]).refreshTrustedPrices();
      // COL1's price (1) is unchanged and recorded less than MAX_TRUSTED_PRICE_AGE / 4 ago: not re-dated.
      expect(await trustedPriceUpdates(pool, refresh)).to.deep.equal([[col0, px(4_000)]]);
      await collaterals[0].oracle.setReverting(true);

      const positions = await bookPositionsOf(pool, holder, collaterals);
      expect(positions.map((position) => [position.priceE36, position.live])).to.deep.equal([
        [px(4_000), false],
        [px(1), true],
      ]);
      const debt = usd(3_500);
      const recovery = poolMath.recoveryValue(positions);
      // 4,000 / 1.05 + 1,000 / 1.05 = 4,761.90 ≥ 3,500.
      expect(recovery).to.equal(4_761_904_761n);
      expect(await pool.accountShortfall(holder)).to.deep.equal([0n, debt, recovery]);
      const liquidity = poolMath.accountLiquidity(
        positions,
        await pool.borrowSharesOf(holder),
        (await totalsOf(pool)).totalBorrowAssets,
        await pool.totalBorrowShares(),
      );
      const health = poolMath.healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
      expect(health).to.be.greaterThan(poolMath.WAD);

      await expect(pool.connect(liquidator).closeInsolventAccount(holder, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "AccountNotInsolvent")
        .withArgs(holder, debt, recovery);
      await expect(pool.connect(liquidator).liquidate(holder, fx.col1, ethers.MaxUint256, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PositionHealthy")
        .withArgs(holder, health);
      await expect(pool.connect(liquidator).socializeBadDebt(holder))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(holder, liquidity.collateralValue, DUST);
      await expect(pool.connect(others[0]).recognizeLosses([holder])).to.not.emit(pool, "ShortfallUpdated");
      expect(await pool.recognizedShortfall(holder)).to.equal(0n);
    });

    it("the trusted price stands in up to MAX_TRUSTED_PRICE_AGE after its record, and not one second more", async () => {
      const fx = await loadFixture(risenFixture);
      const { pool, collaterals, liquidator, others, holder, col0 } = fx;
      await pool.connect(others[0]).refreshTrustedPrices();
      const { updatedAt } = await pool.lastTrustedPrice(col0);
      await collaterals[0].oracle.setReverting(true);

      // At exactly updatedAt + MAX_TRUSTED_PRICE_AGE: valued at 4,000, the account is solvent.
      const lastSecond = updatedAt + MAX_AGE;
      const recovery = poolMath.recoveryValue(await bookPositionsOf(pool, holder, collaterals, lastSecond));
      expect(recovery).to.equal(4_761_904_761n);
      await time.setNextBlockTimestamp(lastSecond);
      await expect(pool.connect(liquidator).closeInsolventAccount(holder, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "AccountNotInsolvent")
        .withArgs(holder, usd(3_500), recovery);

      // One second later: expired.
      const booked = await bookPositionsOf(pool, holder, collaterals, lastSecond + 1n);
      expect(booked[0].priceE36).to.equal(0n);
      await time.setNextBlockTimestamp(lastSecond + 1n);
      await expect(pool.connect(liquidator).closeInsolventAccount(holder, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);
    });

    it("refreshTrustedPrices after the moon: the feed fails, the covered debt cannot be written off (CollateralAboveDust) nor closed (AccountNotInsolvent)", async () => {
      const fx = await loadFixture(moonFixture);
      const { pool, collaterals, holder, col0, others } = fx;
      const refresh = await pool.connect(others[0]).refreshTrustedPrices();
      expect(await trustedPriceUpdates(pool, refresh)).to.deep.equal([[col0, px(10)]]);
      await collaterals[0].oracle.setReverting(true);

      // 1,000 COL0 at the trusted 10: 10,000, recovering 10,000 / 1.05 = 9,523.81 > 7,000.
      await expect(pool.connect(holder).socializeBadDebt(holder.address))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(holder.address, usd(10_000), DUST);
      await expect(pool.connect(holder).closeInsolventAccount(holder.address, 0n, holder.address))
        .to.be.revertedWithCustomError(pool, "AccountNotInsolvent")
        .withArgs(holder.address, usd(7_000), poolMath.repaidForSeizedDown(units(1_000, 18), BONUS, px(10)));
      expect(await pool.debtOf(holder.address)).to.equal(usd(7_000));
    });
  });

  // ------------------------------------------------------------------ F2: liquidate records its live price

  /**
   * On `fx` (COL0 listed at 100): LP0 and LP1 deposit 1,000 each; the victim (borrower 0) supplies 10 COL0 and
   * borrows 750; COL0 crashes to 50. Returns COL0's address and the victim's.
   */
  async function crashVictim(fx: PoolFixture): Promise<{ col0: string; victim: string }> {
    const { pool, lps, borrowers, collaterals } = fx;
    await pool.connect(lps[0]).deposit(usd(1_000), lps[0].address);
    await pool.connect(lps[1]).deposit(usd(1_000), lps[1].address);
    const victim = borrowers[0];
    const col0 = await collaterals[0].token.getAddress();
    await pool.connect(victim).supplyCollateral(col0, units(10, 18), victim.address);
    await pool.connect(victim).borrow(usd(750), victim.address);
    await collaterals[0].oracle.setPrice(px(50));
    return { col0, victim: victim.address };
  }

  /** LP0 and LP1 deposit 1,000 each; the victim holds 10 COL0 (listed at 100) and owes 750; COL0 crashes to 50. */
  async function crashedFixture() {
    const fx = await deployDollarPool([18], [100]);
    return { ...fx, ...(await crashVictim(fx)) };
  }

  it("F2: a liquidation at the crashed 50 records 50 as trusted; a feed failure then cannot release the shortfall it recognized, and an LP exits at the fair price", async () => {
    const fx = await loadFixture(crashedFixture);
    const { pool, lps, collaterals, liquidator, others, loanToken, victim, col0 } = fx;
    expect((await pool.lastTrustedPrice(col0)).priceE36).to.equal(px(100));

    const liquidation = pool.connect(liquidator).liquidate(victim, col0, usd(10), 0n, liquidator.address);
    await expect(liquidation).to.emit(pool, "Liquidate");
    await expect(liquidation).to.emit(pool, "LastTrustedPriceUpdated").withArgs(col0, px(50));
    await expect(liquidation).to.emit(pool, "ShortfallUpdated");
    expect(await pool.lastTrustedPrice(col0)).to.deep.equal([px(50), BigInt(await time.latest())]);
    const recognized = await pool.recognizedShortfall(victim);
    // 740 owed against 9.79 COL0 at 50 (489.50 / 1.05).
    const { shortfall } = await shortfallFigures(pool, victim, collaterals);
    expect(recognized).to.equal(shortfall);
    expect(recognized).to.equal(usd(740) - poolMath.repaidForSeizedDown(units("9.79", 18), BONUS, px(50)));
    const fairExit = await pool.previewRedeem(await pool.balanceOf(lps[1].address));

    await collaterals[0].oracle.setReverting(true); // the market is still at 50
    await expect(pool.connect(others[0]).recognizeLosses([victim]))
      .to.not.emit(pool, "ShortfallUpdated")
      .and.to.not.emit(pool, "LastTrustedPriceUpdated");
    expect(await pool.recognizedShortfall(victim)).to.equal(recognized);
    expect(await pool.accountShortfall(victim)).to.deep.equal([
      recognized,
      usd(740),
      poolMath.repaidForSeizedDown(units("9.79", 18), BONUS, px(50)),
    ]);

    const before = await loanToken.balanceOf(lps[1].address);
    await pool.connect(lps[1]).redeem(await pool.balanceOf(lps[1].address), lps[1].address, lps[1].address);
    expect((await loanToken.balanceOf(lps[1].address)) - before).to.equal(fairExit);
  });

  // ------------------------------------------------------------------ an expired trusted price: what still works

  /**
   * COL0 and COL1 listed at 100. The victim holds 10 COL0, the other borrower 10 COL1; each owes 750. Both prices
   * fall to 50 and recognizeLosses records both shortfalls (and 50 as both trusted prices). Then COL0's feed fails
   * and more than MAX_TRUSTED_PRICE_AGE passes; COL1's market moves to 60.
   */
  async function expiredFixture() {
    const fx = await deployDollarPool([18, 18], [100, 100]);
    const { pool, lps, borrowers, collaterals, others } = fx;
    const [col0, col1] = await Promise.all(collaterals.map((c) => c.token.getAddress()));
    await pool.connect(lps[0]).deposit(usd(1_000), lps[0].address);
    await pool.connect(lps[1]).deposit(usd(1_000), lps[1].address);
    const [victim, other] = borrowers;
    await pool.connect(victim).supplyCollateral(col0, units(10, 18), victim.address);
    await pool.connect(victim).borrow(usd(750), victim.address);
    await pool.connect(other).supplyCollateral(col1, units(10, 18), other.address);
    await pool.connect(other).borrow(usd(750), other.address);
    await collaterals[0].oracle.setPrice(px(50));
    await collaterals[1].oracle.setPrice(px(50));
    await pool.connect(others[0]).recognizeLosses([victim.address, other.address]);
    await collaterals[0].oracle.setReverting(true);
    await expireTrustedPrice(pool, col0);
    await collaterals[1].oracle.setPrice(px(60));
    return { ...fx, col0, col1, victim, other };
  }

  describe("after MAX_TRUSTED_PRICE_AGE without a refresh", () => {
    it("liquidate, closeInsolventAccount and socializeBadDebt revert PriceUnavailable(COL0); accountShortfall counts COL0 at 0; nothing moves", async () => {
      const fx = await loadFixture(expiredFixture);
      const { pool, collaterals, liquidator, victim, col0 } = fx;
      const recorded = await pool.recognizedShortfall(victim.address);
      // 750 − 500 / 1.05.
      expect(recorded).to.equal(usd(750) - 476_190_476n);
      const totals = await totalsOf(pool);

      // The live view values the expired COL0 at 0: the whole 750 is shortfall (what a recognition would record).
      const figures = await shortfallFigures(pool, victim.address, collaterals);
      expect([figures.shortfall, figures.debt, figures.recovery]).to.deep.equal([usd(750), usd(750), 0n]);
      expect(await pool.accountShortfall(victim.address)).to.deep.equal([usd(750), usd(750), 0n]);
      await expect(pool.connect(liquidator).liquidate(victim.address, col0, usd(10), 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);
      await expect(pool.connect(liquidator).closeInsolventAccount(victim.address, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);
      await expect(pool.connect(liquidator).socializeBadDebt(victim.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);

      expect(await pool.recognizedShortfall(victim.address)).to.equal(recorded);
      expect(await pool.collateralOf(victim.address, col0)).to.equal(units(10, 18));
      expect(await totalsOf(pool)).to.deep.equal(totals);
    });

    it("recognizeLosses records that account's shortfall with COL0 at 0 (its whole debt) and refreshes the others in the batch, recording their live prices", async () => {
      const fx = await loadFixture(expiredFixture);
      const { pool, collaterals, others, victim, other, col1 } = fx;
      const victimBefore = await pool.recognizedShortfall(victim.address);
      const otherBefore = await pool.recognizedShortfall(other.address);
      const totalBefore = await pool.totalRecognizedShortfall();
      expect(totalBefore).to.equal(victimBefore + otherBefore);
      const victimFigures = await shortfallFigures(pool, victim.address, collaterals);
      const otherFigures = await shortfallFigures(pool, other.address, collaterals);
      // The victim: 750 owed, the expired COL0 counts 0. The other: 750 − 600 / 1.05.
      expect(victimFigures.shortfall).to.equal(usd(750));
      expect(victimFigures.shortfall).to.be.greaterThan(victimBefore);
      expect(otherFigures.shortfall).to.equal(usd(750) - 571_428_571n);
      expect(otherFigures.shortfall).to.be.lessThan(otherBefore);
      const model = poolMath.recognizeLosses(
        [
          { recordedShortfall: victimBefore, debt: victimFigures.debt, recovery: victimFigures.recovery },
          { recordedShortfall: otherBefore, debt: otherFigures.debt, recovery: otherFigures.recovery },
        ],
        totalBefore,
      );
      const accounts = [victim.address, other.address];
      const expected = model.changes.map((change): [string, bigint, bigint, bigint] => [
        accounts[change.index],
        change.shortfallBefore,
        change.shortfallAfter,
        change.totalShortfall,
      ]);
      expect(expected).to.deep.equal([
        [victim.address, victimBefore, usd(750), usd(750) + otherBefore],
        [other.address, otherBefore, otherFigures.shortfall, usd(750) + otherFigures.shortfall],
      ]);

      const mined = await pool.connect(others[0]).recognizeLosses(accounts);
      const receipt = await mined.wait();
      if (receipt === null) throw new Error("not mined");
      const events = await pool.queryFilter(pool.filters.ShortfallUpdated(), receipt.blockNumber, receipt.blockNumber);
      expect(
        events.map((event): [string, bigint, bigint, bigint] => [
          event.args.account,
          event.args.shortfallBefore,
          event.args.shortfallAfter,
          event.args.totalShortfall,
        ]),
      ).to.deep.equal(expected);
      // Only COL1's live price is recorded: COL0's oracle gives none.
      expect(await trustedPriceUpdates(pool, mined)).to.deep.equal([[col1, px(60)]]);
      expect(await pool.recognizedShortfall(victim.address)).to.equal(usd(750));
      expect(await pool.recognizedShortfall(other.address)).to.equal(otherFigures.shortfall);
      expect(await pool.totalRecognizedShortfall()).to.equal(model.totalShortfall);
      // Exits are priced net of it (the fixture has no reserve).
      const totals = await totalsOf(pool);
      expect(totals.reserveAssets).to.equal(0n);
      expect(await pool.totalAssets()).to.equal(totals.totalLpAssets - model.totalShortfall);
      expect(await pool.recognizeLosses.staticCall([victim.address])).to.equal(model.totalShortfall);
    });

    it("repay and supplyCollateral on that account re-value it with COL0 at 0 (the repay lowers the debt, the top-up adds what it recovers); once the feed answers, the next recognition re-values it and re-dates the price", async () => {
      const fx = await loadFixture(expiredFixture);
      const { pool, collaterals, lps, liquidator, others, victim, col0, col1 } = fx;
      const recorded = await pool.recognizedShortfall(victim.address);
      const total = await pool.totalRecognizedShortfall();
      const othersShortfall = total - recorded;

      // The repay's refresh values the account with COL0 at 0: 650 owed, nothing recovered. Its recorded 273.81 (COL0
      // at 50 when recognized) rises to the whole debt left.
      const totals = await totalsOf(pool);
      const repaidShares = poolMath.toSharesDown(usd(100), totals.totalBorrowAssets, totals.totalBorrowShares);
      const repay = await pool.connect(victim).repay(usd(100), victim.address);
      await expect(repay)
        .to.emit(pool, "Repay")
        .withArgs(victim.address, victim.address, usd(100), repaidShares);
      await expect(repay)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(victim.address, recorded, usd(650), othersShortfall + usd(650));
      expect(await trustedPriceUpdates(pool, repay)).to.deep.equal([]);
      expect(await pool.debtOf(victim.address)).to.equal(usd(650));
      const afterRepay = await shortfallFigures(pool, victim.address, collaterals);
      expect([afterRepay.shortfall, afterRepay.debt, afterRepay.recovery]).to.deep.equal([usd(650), usd(650), 0n]);
      expect(await pool.recognizedShortfall(victim.address)).to.equal(afterRepay.shortfall);

      // Anyone may top the account up with a collateral that has a price; COL0 itself cannot be supplied meanwhile.
      // The top-up's refresh counts the 1 COL1 at its live 60 (recovering 60 / 1.05) and records 60 as trusted.
      const toppedUp = usd(650) - poolMath.repaidForSeizedDown(units(1, 18), BONUS, px(60));
      expect(toppedUp).to.equal(592_857_143n);
      const topUp = await pool.connect(lps[0]).supplyCollateral(col1, units(1, 18), victim.address);
      await expect(topUp)
        .to.emit(pool, "SupplyCollateral")
        .withArgs(lps[0].address, victim.address, col1, units(1, 18));
      await expect(topUp)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(victim.address, usd(650), toppedUp, othersShortfall + toppedUp);
      expect(await trustedPriceUpdates(pool, topUp)).to.deep.equal([[col1, px(60)]]);
      await expect(
        pool.connect(lps[0]).supplyCollateral(col0, units(1, 18), victim.address),
      ).to.be.revertedWithCustomError(collaterals[0].oracle, "OracleDown");
      expect(await pool.recognizedShortfall(victim.address)).to.equal(
        (await shortfallFigures(pool, victim.address, collaterals)).shortfall,
      );
      expect(await pool.recognizedShortfall(victim.address)).to.equal(toppedUp);
      expect(await pool.totalRecognizedShortfall()).to.equal(othersShortfall + toppedUp);
      // The unpriced COL0 still blocks a liquidation of the live COL1 it now also holds.
      await expect(pool.connect(liquidator).liquidate(victim.address, col1, usd(10), 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);

      // The feed answers again at 50: the recognition values the account at live prices (650 owed against 10 COL0
      // at 50 and 1 COL1 at 60) and re-dates 50, the same price, since its record is older than
      // MAX_TRUSTED_PRICE_AGE / 4.
      await collaterals[0].oracle.setReverting(false);
      const expected = await shortfallFigures(pool, victim.address, collaterals);
      expect(expected.recovery).to.equal(
        poolMath.repaidForSeizedDown(units(10, 18), BONUS, px(50)) +
          poolMath.repaidForSeizedDown(units(1, 18), BONUS, px(60)),
      );
      expect(expected.shortfall).to.equal(usd(650) - expected.recovery);
      const tx = pool.connect(others[0]).recognizeLosses([victim.address]);
      await expect(tx)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(victim.address, toppedUp, expected.shortfall, othersShortfall + expected.shortfall);
      const updates = await trustedPriceUpdates(pool, await tx);
      expect(updates).to.deep.equal([[col0, px(50)]]);
      expect(await pool.lastTrustedPrice(col0)).to.deep.equal([px(50), BigInt(await time.latest())]);
    });

    it("the owner unblocks the account by pointing COL0 at an answering oracle: its price is trusted at once and the liquidation proceeds at it", async () => {
      const fx = await loadFixture(expiredFixture);
      const { pool, owner, liquidator, victim, col0 } = fx;
      const oracle = await mockOracleAt(px(50));
      await expect(
        pool.connect(owner).setCollateralParams(col0, await collateralParamsWith(pool, col0, await oracle.getAddress())),
      )
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(col0, px(50));
      expect(await pool.lastTrustedPrice(col0)).to.deep.equal([px(50), BigInt(await time.latest())]);
      // Health 500 × 0.8 / 750 = 0.53 < 0.95: repaying 10 seizes 10 × 1.05 / 50 = 0.21 COL0.
      await expect(pool.connect(liquidator).liquidate(victim.address, col0, usd(10), 0n, liquidator.address))
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          victim.address,
          col0,
          liquidator.address,
          usd(10),
          poolMath.toSharesDown(usd(10), ...(await borrowTotals(pool))),
          poolMath.seizedCollateralDown(usd(10), BONUS, px(50)),
          0n,
        );
      expect(await pool.collateralOf(victim.address, col0)).to.equal(units("9.79", 18));
    });
  });

  // ------------------------------------------------------------------ a planted wei whose feed stays dead

  /**
   * LP0 and LP1 deposit 1,000 each (equal shares). COL0 listed at 100, COL1 at 1. The victim holds 10 COL0 and owes
   * 750; COL0 crashes to 50 (recovery 500 / 1.05 = 476.19 < 750: insolvent, the loss not yet recognized). A griefer
   * plants 1 wei of COL1 on the victim; COL1's feed then dies and stays dead past MAX_TRUSTED_PRICE_AGE.
   */
  async function plantedWeiFixture() {
    const fx = await deployDollarPool([18, 18], [100, 1]);
    const { pool, collaterals, others } = fx;
    const col1 = await collaterals[1].token.getAddress();
    const { col0, victim } = await crashVictim(fx);
    const griefer = others[1];
    await fundAndApprove(collaterals[1].token, griefer, 1n, await pool.getAddress());
    await pool.connect(griefer).supplyCollateral(col1, 1n, victim);
    await collaterals[1].oracle.setReverting(true);
    await expireTrustedPrice(pool, col1);
    return { ...fx, col0, col1, victim };
  }

  it("1 wei of COL1 planted on an insolvent account, its feed dead past MAX_TRUSTED_PRICE_AGE: recognition still records the shortfall (COL1 at 0), so an LP exiting before the owner fixes the oracle bears the same fraction as the stayer; close and liquidate revert PriceUnavailable until the owner replaces the oracle, then the close realizes the loss", async () => {
    const fx = await loadFixture(plantedWeiFixture);
    const { pool, owner, collaterals, lps, liquidator, others, loanToken, victim, col0, col1 } = fx;
    const keeper = others[0];

    // The wei has no price: expired, counted 0 by recognition; COL0 is live at 50.
    const held = await heldCollateralOf(pool, victim);
    expect(
      held.map((entry) => [entry.position.balance, entry.position.priceE36, entry.position.live, entry.expired]),
    ).to.deep.equal([
      [units(10, 18), px(50), true, false],
      [1n, 0n, false, true],
    ]);
    const { shortfall } = await expectShortfallOf(
      pool,
      victim,
      usd(750),
      held.map((entry) => entry.position),
      [poolMath.repaidForSeizedDown(units(10, 18), BONUS, px(50)), 476_190_476n],
      273_809_524n,
    );

    // Nothing can act against the account while the wei is unpriced.
    await expectUnpriced(fx, victim, [col0, col1], col1);

    // But recognition records the shortfall (and COL0's crashed 50 as its trusted price): the wei no longer stops it.
    const recognition = await pool.connect(keeper).recognizeLosses([victim]);
    await expect(recognition).to.emit(pool, "ShortfallUpdated").withArgs(victim, 0n, shortfall, shortfall);
    expect(await trustedPriceUpdates(pool, recognition)).to.deep.equal([[col0, px(50)]]);
    expect(await pool.recognizedShortfall(victim)).to.equal(shortfall);

    // LP1 exits before the owner acts, at the exit figure net of the shortfall (no reserve to cover it).
    const totals = await totalsOf(pool);
    expect(totals.reserveAssets).to.equal(0n);
    expect(totals.totalLpAssets).to.equal(usd(2_000));
    const exitFigure = poolMath.exitAssetsOf(totals);
    expect(exitFigure).to.equal(usd(2_000) - shortfall);
    expect(await pool.totalAssets()).to.equal(exitFigure);
    const supply = await pool.totalSupply();
    const [lp0Shares, lp1Shares] = [await pool.balanceOf(lps[0].address), await pool.balanceOf(lps[1].address)];
    expect(lp0Shares).to.equal(lp1Shares);
    expect(lp0Shares + lp1Shares).to.equal(supply);
    const exitAssets = poolMath.lpAssetsDown(lp1Shares, exitFigure, supply);
    expect(exitAssets).to.equal(863_095_238n);
    // Had recognition skipped the account (the rule before), LP1 would have left at the gross figure, ~1,000.
    const unrecognizedExit = poolMath.lpAssetsDown(lp1Shares, totals.totalLpAssets, supply);
    const lp1Before = await loanToken.balanceOf(lps[1].address);
    await pool.connect(lps[1]).redeem(lp1Shares, lps[1].address, lps[1].address);
    expect((await loanToken.balanceOf(lps[1].address)) - lp1Before).to.equal(exitAssets);
    // The exiter lost exactly its half of the recognized shortfall; the stayer's shares are priced the same now.
    expect(usd(1_000) - exitAssets).to.equal(shortfall / 2n);
    expect(await pool.previewRedeem(lp0Shares)).to.equal(exitAssets);

    // Still frozen: the feed stays dead.
    await expect(pool.connect(liquidator).closeInsolventAccount(victim, 0n, liquidator.address))
      .to.be.revertedWithCustomError(pool, "PriceUnavailable")
      .withArgs(col1);

    // The owner points COL1 at an answering oracle: its price (1) is trusted at once.
    const oracle = await mockOracleAt(px(1));
    await expect(
      pool.connect(owner).setCollateralParams(col1, await collateralParamsWith(pool, col1, await oracle.getAddress())),
    )
      .to.emit(pool, "LastTrustedPriceUpdated")
      .withArgs(col1, px(1));

    // The close now seizes both (the wei repays 1, rounded up), realizes the residual and clears the record.
    const { quote, realization } = await expectClose(pool, victim, liquidator);
    expect(quote.seized.map((seized) => seized.assets)).to.deep.equal([units(10, 18), 1n]);
    expect(quote.seized.map((seized) => seized.repaidAssets)).to.deep.equal([
      poolMath.repaidForSeizedUp(units(10, 18), BONUS, px(50)),
      1n,
    ]);
    expect(realization).to.not.equal(null);
    // 750 − ceil(500 / 1.05) − 1: 2 wei less than the recognized shortfall (the close rounds repayments up).
    expect(quote.badDebtAssets).to.equal(273_809_522n);
    expect(await pool.debtOf(victim)).to.equal(0n);
    expect(await pool.recognizedShortfall(victim)).to.equal(0n);
    expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    expect(await collaterals[1].token.balanceOf(liquidator.address)).to.equal(units(1_000_000, 18) + 1n);
    await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));

    // The stayer bears the realized loss: its half, plus the close's 2 wei of rounding in the LPs' favour.
    const after = await totalsOf(pool);
    const stayerAssets = await pool.previewRedeem(lp0Shares);
    expect(stayerAssets).to.equal(poolMath.lpAssetsDown(lp0Shares, poolMath.exitAssetsOf(after), lp0Shares));
    expect(stayerAssets).to.equal(863_095_240n);
    expect(stayerAssets - exitAssets).to.equal(2n);
    const lp0Before = await loanToken.balanceOf(lps[0].address);
    await pool.connect(lps[0]).redeem(lp0Shares, lps[0].address, lps[0].address);
    expect((await loanToken.balanceOf(lps[0].address)) - lp0Before).to.equal(stayerAssets);
    console.log(
      `      planted wei, dead feed: exiter got ${exitAssets} raw, stayer ${stayerAssets} raw (per 1,000 deposited); ` +
        `unrecognized, the exiter would have got ${unrecognizedExit} raw and the stayer ` +
        `${poolMath.lpAssetsDown(lp0Shares, totals.totalLpAssets - unrecognizedExit - quote.badDebtAssets, lp0Shares)} raw`,
    );
  });

  // ------------------------------------------------------------------ refreshTrustedPrices

  /** Three collaterals: COL0 at 2,000 (18 decimals), COL1 at 30,000 (8 decimals), COL2 at 1 (18 decimals). */
  async function threeCollateralsFixture(): Promise<PoolFixture & { addresses: string[] }> {
    const fx = await deployDollarPool([18, 8, 18], [2_000, 30_000, 1]);
    return { ...fx, addresses: await Promise.all(fx.collaterals.map((c) => c.token.getAddress())) };
  }

  /** The LastTrustedPriceUpdated events poolMath's recordsTrustedPrice expects a refresh at `timestamp` to emit. */
  async function expectedRecords(fx: PoolFixture & { addresses: string[] }, timestamp: bigint) {
    const records: [string, bigint][] = [];
    for (const [index, collateral] of fx.collaterals.entries()) {
      if (await collateral.oracle.reverting()) continue;
      const live = await collateral.oracle.priceE36();
      if (poolMath.recordsTrustedPrice(live, await trustedPriceOf(fx.pool, fx.addresses[index]), timestamp)) {
        records.push([fx.addresses[index], live]);
      }
    }
    return records;
  }

  /**
   * Someone calls refreshTrustedPrices in a block at `timestamp`: poolMath expects it to record `records`, and it emits
   * exactly those LastTrustedPriceUpdated events.
   */
  async function expectRefreshAt(
    fx: PoolFixture & { addresses: string[] },
    timestamp: bigint,
    records: [string, bigint][],
  ): Promise<void> {
    await time.setNextBlockTimestamp(timestamp);
    const expected = await expectedRecords(fx, timestamp);
    expect(expected).to.deep.equal(records);
    const refresh = await fx.pool.connect(fx.others[0]).refreshTrustedPrices();
    expect(await trustedPriceUpdates(fx.pool, refresh)).to.deep.equal(expected);
  }

  describe("refreshTrustedPrices", () => {
    it("is permissionless, stores each changed live price with its block's timestamp, emits LastTrustedPriceUpdated, and skips a failing oracle", async () => {
      const fx = await loadFixture(threeCollateralsFixture);
      const { pool, collaterals, addresses } = fx;
      const [col0, col1, col2] = addresses;
      const listed = await Promise.all(addresses.map((address) => trustedPriceOf(pool, address)));
      expect(listed.map((trusted) => trusted.priceE36)).to.deep.equal([px(2_000), priceE36(30_000, LOAN, 8), px(1)]);
      await collaterals[0].oracle.setPrice(px(2_100));
      await collaterals[2].oracle.setPrice(px(2));
      await collaterals[2].oracle.setReverting(true);

      const timestamp = BigInt(await time.latest()) + 1n;
      await expectRefreshAt(fx, timestamp, [[col0, px(2_100)]]);

      expect(await pool.lastTrustedPrice(col0)).to.deep.equal([px(2_100), timestamp]);
      expect(await pool.lastTrustedPrice(col1)).to.deep.equal([listed[1].priceE36, listed[1].updatedAt]);
      expect(await pool.lastTrustedPrice(col2)).to.deep.equal([px(1), listed[2].updatedAt]);
      // Nothing else changes: no account, no total.
      expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    });

    it("re-dates an unchanged price only once the stored one is MAX_TRUSTED_PRICE_AGE / 4 old; a changed price is stored at once (poolMath.recordsTrustedPrice)", async () => {
      const fx = await loadFixture(threeCollateralsFixture);
      const { pool, collaterals, others, addresses } = fx;
      const [col0, col1, col2] = addresses;
      const [col0At, col1At] = [
        (await pool.lastTrustedPrice(col0)).updatedAt,
        (await pool.lastTrustedPrice(col1)).updatedAt,
      ];
      // Listed one after the other: COL0's record is the oldest, COL2's the newest.
      expect(col0At).to.be.lessThan(col1At);
      expect(col1At).to.be.lessThan((await pool.lastTrustedPrice(col2)).updatedAt);
      const quarter = MAX_AGE / 4n;
      expect(quarter).to.equal(5_400n); // 90 minutes

      // One second before COL0's record is MAX_TRUSTED_PRICE_AGE / 4 old: every price is unchanged and recent, nothing is written.
      let timestamp = col0At + quarter - 1n;
      await time.setNextBlockTimestamp(timestamp);
      expect(await expectedRecords(fx, timestamp)).to.deep.equal([]);
      await expect(pool.connect(others[0]).refreshTrustedPrices()).to.not.emit(pool, "LastTrustedPriceUpdated");
      expect((await pool.lastTrustedPrice(col0)).updatedAt).to.equal(col0At);

      // At exactly MAX_TRUSTED_PRICE_AGE / 4: COL0 is re-dated at its unchanged price, the younger COL1 and COL2 are not.
      timestamp = col0At + quarter;
      await expectRefreshAt(fx, timestamp, [[col0, px(2_000)]]);
      expect(await pool.lastTrustedPrice(col0)).to.deep.equal([px(2_000), timestamp]);
      expect((await pool.lastTrustedPrice(col1)).updatedAt).to.equal(col1At);

      // MAX_TRUSTED_PRICE_AGE / 4 after COL1's record: COL1 is re-dated; COL0 (re-dated moments ago) and COL2 are not.
      timestamp = col1At + quarter;
      await expectRefreshAt(fx, timestamp, [[col1, priceE36(30_000, LOAN, 8)]]);
      expect(await pool.lastTrustedPrice(col1)).to.deep.equal([priceE36(30_000, LOAN, 8), timestamp]);
      expect((await pool.lastTrustedPrice(col2)).updatedAt).to.be.lessThan(timestamp);

      // A second later COL0's price moves: stored at once though its record is recent.
      await collaterals[0].oracle.setPrice(px(1_999));
      timestamp = BigInt(await time.latest()) + 1n;
      await expectRefreshAt(fx, timestamp, [[col0, px(1_999)]]);
      expect(await pool.lastTrustedPrice(col0)).to.deep.equal([px(1_999), timestamp]);
    });

    it("an oracle answer above 2^192 counts as no price: not recorded, not seized, valued at the trusted price, not listable; 2^192 − 1 is a price", async () => {
      const fx = await loadFixture(threeCollateralsFixture);
      const { pool, owner, collaterals, lps, borrowers, liquidator, others, addresses } = fx;
      const [col0] = addresses;
      await pool.connect(lps[0]).deposit(usd(100_000), lps[0].address);
      const holder = borrowers[0];
      await pool.connect(holder).supplyCollateral(col0, units(1, 18), holder.address);
      await pool.connect(holder).borrow(usd(1_000), holder.address);
      const trusted = await trustedPriceOf(pool, col0);

      const tooLarge = poolMath.MAX_PRICE_E36 + 1n;
      expect(tooLarge).to.equal(2n ** 192n);
      await collaterals[0].oracle.setPrice(tooLarge);
      expect(poolMath.bookPrice(tooLarge, trusted, BigInt(await time.latest()))).to.deep.equal({
        priceE36: px(2_000),
        live: false,
        expired: false,
      });
      await expect(pool.connect(others[0]).refreshTrustedPrices()).to.not.emit(pool, "LastTrustedPriceUpdated");
      expect(await pool.lastTrustedPrice(col0)).to.deep.equal([trusted.priceE36, trusted.updatedAt]);
      // The tolerant valuation uses the trusted 2,000: 2,000 / 1.05 against 1,000 owed.
      const figures = await shortfallFigures(pool, holder.address, collaterals);
      expect(figures.recovery).to.equal(poolMath.repaidForSeizedDown(units(1, 18), BONUS, px(2_000)));
      expect(await pool.accountShortfall(holder.address)).to.deep.equal([0n, usd(1_000), figures.recovery]);
      await expect(pool.connect(liquidator).liquidate(holder.address, col0, usd(10), 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(col0);
      // A new collateral whose oracle answers 2^192 cannot be listed.
      const token = await ethers.deployContract("MockERC20", ["Huge", "HUGE", 18]);
      const oracle = await mockOracleAt(tooLarge);
      const params = standardCollateralParams(await oracle.getAddress());
      await expect(pool.connect(owner).listCollateral(await token.getAddress(), params))
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(await token.getAddress());

      // 2^192 − 1 is the largest price the pool takes: recorded as trusted.
      await collaterals[0].oracle.setPrice(poolMath.MAX_PRICE_E36);
      await expect(pool.connect(others[0]).refreshTrustedPrices())
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(col0, poolMath.MAX_PRICE_E36);
      expect((await pool.lastTrustedPrice(col0)).priceE36).to.equal(poolMath.MAX_PRICE_E36);
      await oracle.setPrice(poolMath.MAX_PRICE_E36);
      await expect(pool.connect(owner).listCollateral(await token.getAddress(), params))
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(await token.getAddress(), poolMath.MAX_PRICE_E36);
    });
  });

  // ------------------------------------------------------------------ F4: the self-close with a refusing token

  /**
   * COL0 listed at 100, COL1 at 1. The victim holds 10 COL0 and 0.5 COL1 (dust), owes 750; COL0 crashes to 50. A
   * token that can refuse transfers (REF, at 1) is listed and 100 of it supplied for the victim; then REF refuses
   * transfers and COL1's feed fails (its trusted price, from the listing, is recent).
   */
  async function refusingFixture() {
    const fx = await deployDollarPool([18, 18], [100, 1]);
    const { pool, owner, lps, borrowers, collaterals, others } = fx;
    const [col0, col1] = await Promise.all(collaterals.map((c) => c.token.getAddress()));
    await pool.connect(lps[0]).deposit(usd(2_000), lps[0].address);
    const victim = borrowers[0];
    await pool.connect(victim).supplyCollateral(col0, units(10, 18), victim.address);
    await pool.connect(victim).supplyCollateral(col1, units("0.5", 18), victim.address);
    await pool.connect(victim).borrow(usd(750), victim.address);
    await collaterals[0].oracle.setPrice(px(50));

    const refusing = await ethers.deployContract("PausableERC20", ["Refusing", "REF"]);
    const ref = await refusing.getAddress();
    const oracle = await mockOracleAt(px(1));
    await pool.connect(owner).listCollateral(ref, standardCollateralParams(await oracle.getAddress()));
    await refusing.mint(others[2].address, units(100, 18));
    await refusing.connect(others[2]).approve(await pool.getAddress(), ethers.MaxUint256);
    await pool.connect(others[2]).supplyCollateral(ref, units(100, 18), victim.address);
    await refusing.setTransfersPaused(true);
    await collaterals[1].oracle.setReverting(true);
    return { ...fx, col0, col1, ref, victim };
  }

  it("F4: a self-close (receiver = borrower) with a seized token that refuses the transfer: the escrowed dust is swept first, the refused REF is credited back, and no DustCollateralSwept reports it", async () => {
    const fx = await loadFixture(refusingFixture);
    const { pool, victim, col0, col1, ref } = fx;
    const { quote, realization } = await expectClose(pool, victim.address, victim, [ref]);
    // Seized: 10 COL0 at 50 and 100 REF at 1 (600, repaying 571.43); escrowed: 0.5 COL1 (0.50 ≤ dust); the rest of
    // the 750 is realized.
    expect(quote.seizedValue).to.equal(usd(600));
    expect(quote.realizesBadDebt).to.equal(true);
    expect(realization?.badDebtAssets).to.equal(usd(750) - quote.repaidAssets);

    const block = await time.latestBlock();
    const swept = await pool.queryFilter(pool.filters.DustCollateralSwept(), block, block);
    const seized = await pool.queryFilter(pool.filters.CollateralSeized(), block, block);
    expect(swept.map((event) => [event.args.collateral, event.args.assets, event.args.creditedInPool])).to.deep.equal([
      [col1, units("0.5", 18), false],
    ]);
    expect(seized.map((event) => [event.args.collateral, event.args.assets, event.args.creditedInPool])).to.deep.equal([
      [col0, units(10, 18), false],
      [ref, units(100, 18), true],
    ]);
    // The escrowed dust went out before the seized collateral.
    expect(swept[0].index).to.be.lessThan(seized[0].index);
    // The close recorded the live price it seized COL0 at (REF's listing price is unchanged and recent).
    const trusted = await pool.queryFilter(pool.filters.LastTrustedPriceUpdated(), block, block);
    expect(trusted.map((event) => [event.args.collateral, event.args.priceE36])).to.deep.equal([[col0, px(50)]]);
    // The refused REF stays in the pool, credited to the (former) borrower, which owes nothing.
    expect(await pool.collateralOf(victim.address, ref)).to.equal(units(100, 18));
    expect(await pool.collateralOf(victim.address, col0)).to.equal(0n);
    expect(await pool.collateralOf(victim.address, col1)).to.equal(0n);
    expect(await pool.debtOf(victim.address)).to.equal(0n);
  });
});
