import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as pm from "../../keepers/src/model/poolMath";
import { deployPool, units, type PoolFixture } from "../helpers/fixtures";
import {
  liquidationStateOf,
  shortfallFigures,
  totalsOf,
} from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBadDebtRealized } from "../helpers/events";
import { collateralParamsWith, mockOracleAt } from "../adversarial/poolSetup";

/**
 * Loss recognition: recognizeLosses records each account's shortfall, max(0, debt − Σ value_c / (1 + bonus_c)), in
 * both directions; exits are priced net of the total the reserve does not cover, entries at the gross LP assets; the
 * reserve cannot be withdrawn below what the shortfall needs; every call that touches an account refreshes it.
 * Every expected figure comes from keepers/src/model/poolMath.ts, applied to the chain's state.
 *
 * Default pool: 18-decimal loan asset and collateral, price 2,000, LTV 75%, threshold 80%, bonus 5%, reserve factor
 * 10%, dust threshold 0, rate 0 unless stated (so views at the latest block equal the next block's).
 */

const LP_DEPOSIT = units(100_000, 18);
const SHARE_DECIMALS = 24n; // 18 + the offset of 6
const BONUS_BPS = 500n;

/** priceE36 of the 18-decimal collateral against the 18-decimal loan asset, from a decimal string. */
const px = (wholeLoanPerCollateral: string): bigint =>
  ethers.parseUnits(wholeLoanPerCollateral, 36);

/** What liquidating `collateral` units at `price` recovers: poolMath's value / (1 + bonus), rounded down. */
const recovered = (collateral: bigint, price: bigint): bigint =>
  pm.repaidForSeizedDown(collateral, BONUS_BPS, price);

interface RecognitionFixture extends PoolFixture {
  collateral: string;
  /** Borrower 0: 10 collateral, owes 15,000 (its limit at 2,000). */
  heavy: string;
  /** Borrower 1: 100 collateral, owes 1,000. */
  healthy: string;
  /** Borrower 2: 5 collateral, owes 7,400 (limit 7,500). */
  half: string;
}

/** LP 0 deposits 100,000; three borrowers as in `RecognitionFixture`; the price is still 2,000. */
async function positions(ratePerSecondE18 = 0n): Promise<RecognitionFixture> {
  const fixture = await deployPool({ ratePerSecondE18 });
  const { pool, lps, borrowers, collaterals } = fixture;
  await pool.connect(lps[0]).deposit(LP_DEPOSIT, lps[0].address);
  await supplyAndBorrow(fixture, borrowers[0], units(10, 18), units(15_000, 18));
  await supplyAndBorrow(fixture, borrowers[1], units(100, 18), units(1_000, 18));
  await supplyAndBorrow(fixture, borrowers[2], units(5, 18), units(7_400, 18));
  return {
    ...fixture,
    collateral: await collaterals[0].token.getAddress(),
    heavy: borrowers[0].address,
    healthy: borrowers[1].address,
    half: borrowers[2].address,
  };
}

async function beforeCrash(): Promise<RecognitionFixture> {
  return positions();
}

/** The price falls to 1,400: the heavy account (shortfall 15,000 − 13,333.33…) and the half one are insolvent. */
async function crashed(): Promise<RecognitionFixture> {
  const fixture = await positions();
  await fixture.collaterals[0].oracle.setPrice(px("1400"));
  return fixture;
}

/** `crashed`, then recognizeLosses([heavy]). */
async function heavyRecognized(): Promise<RecognitionFixture> {
  const fixture = await crashed();
  await fixture.pool.recognizeLosses([fixture.heavy]);
  return fixture;
}

/** `crashed`, then recognizeLosses([heavy, half]). */
async function bothRecognized(): Promise<RecognitionFixture> {
  const fixture = await crashed();
  await fixture.pool.recognizeLosses([fixture.heavy, fixture.half]);
  return fixture;
}

/** Rate 1e9 per second; the price falls to 1,400 and 30 days pass without an accrual. */
async function crashedWithInterest(): Promise<RecognitionFixture> {
  const fixture = await positions(1_000_000_000n);
  await fixture.collaterals[0].oracle.setPrice(px("1400"));
  await time.increase(30 * 24 * 3600);
  return fixture;
}

/** The shortfall poolMath says a refresh of `account` records now. */
async function modelShortfall(fx: RecognitionFixture, account: string): Promise<bigint> {
  return (await shortfallFigures(fx.pool, account, fx.collaterals)).shortfall;
}

describe("Pool — loss recognition, exit and entry prices", () => {
  describe("recognizeLosses", () => {
    it("records shortfallOf(debt, recoveryValue) to the wei, emits ShortfallUpdated and stores the live price as trusted", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, collateral } = fx;
      expect(await pool.recognizedShortfall(heavy)).to.equal(0n);
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(px("2000"));
      const figures = await shortfallFigures(pool, heavy, fx.collaterals);
      // 10 collateral at 1,400 recover 14,000 / 1.05; the debt is 15,000 (rate 0).
      expect(figures.debt).to.equal(units(15_000, 18));
      expect(figures.recovery).to.equal(recovered(units(10, 18), px("1400")));
      expect(figures.shortfall).to.equal(pm.shortfallOf(figures.debt, figures.recovery));
      expect(figures.shortfall).to.equal(units(15_000, 18) - 13_333_333_333_333_333_333_333n);

      expect(await pool.recognizeLosses.staticCall([heavy])).to.equal(figures.shortfall);
      await expect(pool.recognizeLosses([heavy]))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, 0n, figures.shortfall, figures.shortfall)
        .and.to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(collateral, px("1400"));
      expect(await pool.recognizedShortfall(heavy)).to.equal(figures.shortfall);
      expect(await pool.totalRecognizedShortfall()).to.equal(figures.shortfall);
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(px("1400"));
      expect((await totalsOf(pool)).totalShortfallAssets).to.equal(figures.shortfall);
    });

    it("is permissionless and works while paused; a refresh that changes nothing emits nothing", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, guardian, others, heavy } = fx;
      await pool.connect(guardian).setPaused(true);
      const recorded = await pool.recognizedShortfall(heavy);
      await expect(pool.connect(others[0]).recognizeLosses([heavy]))
        .to.not.emit(pool, "ShortfallUpdated")
        .and.to.not.emit(pool, "LastTrustedPriceUpdated");
      expect(await pool.recognizedShortfall(heavy)).to.equal(recorded);
    });

    it("records 0 for healthy accounts and accounts without debt or collateral, emitting nothing", async () => {
      const fx = await loadFixture(crashed);
      const { pool, healthy, lps, others } = fx;
      const accounts = [healthy, lps[0].address, others[0].address, ethers.ZeroAddress];
      expect(await pool.recognizeLosses.staticCall(accounts)).to.equal(0n);
      await expect(pool.recognizeLosses(accounts)).to.not.emit(pool, "ShortfallUpdated");
      for (const account of accounts) expect(await pool.recognizedShortfall(account)).to.equal(0n);
      expect(await pool.totalRecognizedShortfall()).to.equal(0n);
      // The healthy account: 100 collateral at 1,400 recover far more than its 1,000 of debt.
      expect((await shortfallFigures(pool, healthy, fx.collaterals)).shortfall).to.equal(0n);
    });

    it("works in both directions: a further fall raises it, a recovery lowers it, a full recovery releases it", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, collaterals, collateral } = fx;
      let recorded = await pool.recognizedShortfall(heavy);
      for (const price of ["1300", "1500", "1450", "2000"]) {
        await collaterals[0].oracle.setPrice(px(price));
        const expected = await modelShortfall(fx, heavy);
        expect(expected).to.equal(pm.shortfallOf(units(15_000, 18), recovered(units(10, 18), px(price))));
        await expect(pool.recognizeLosses([heavy]))
          .to.emit(pool, "ShortfallUpdated")
          .withArgs(heavy, recorded, expected, expected)
          .and.to.emit(pool, "LastTrustedPriceUpdated")
          .withArgs(collateral, px(price));
        recorded = expected;
      }
      // At 2,000: 20,000 / 1.05 > 15,000, released entirely.
      expect(recorded).to.equal(0n);
      expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    });

    it("refreshes a batch in one call: one event per change with the running total; duplicates are harmless", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, healthy, half } = fx;
      const heavyShortfall = await modelShortfall(fx, heavy);
      const halfShortfall = await modelShortfall(fx, half);
      // 7,400 − 7,000 / 1.05.
      expect(halfShortfall).to.equal(units(7_400, 18) - 6_666_666_666_666_666_666_666n);
      const tx = pool.recognizeLosses([heavy, healthy, half, heavy]);
      await expect(tx)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, 0n, heavyShortfall, heavyShortfall);
      await expect(tx)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(half, 0n, halfShortfall, heavyShortfall + halfShortfall);
      const receipt = await (await tx).wait();
      if (receipt === null) throw new Error("not mined");
      const names = receipt.logs.map((log) => pool.interface.parseLog(log)?.name);
      expect(names).to.deep.equal(["ShortfallUpdated", "ShortfallUpdated", "LastTrustedPriceUpdated"]);
      expect(await pool.totalRecognizedShortfall()).to.equal(heavyShortfall + halfShortfall);
    });

    it("accrues interest first: the debt includes the interest up to the call's block", async () => {
      const fx = await loadFixture(crashedWithInterest);
      const { pool, heavy } = fx;
      const timestamp = BigInt(await time.latest()) + 5n;
      await time.setNextBlockTimestamp(timestamp);
      const totals = await totalsOf(pool, "pending");
      const figures = await shortfallFigures(pool, heavy, fx.collaterals, totals);
      expect(figures.debt).to.be.gt(units(15_000, 18));
      await expect(pool.recognizeLosses([heavy]))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, 0n, figures.shortfall, figures.shortfall)
        .and.to.emit(pool, "InterestAccrued");
      expect(await pool.lastAccrualTimestamp()).to.equal(timestamp);
      expect(await pool.recognizedShortfall(heavy)).to.equal(figures.shortfall);
      // Later interest raises the live shortfall, not the record, until the next refresh.
      await time.increase(24 * 3600);
      const [live] = await pool.accountShortfall(heavy);
      expect(live).to.be.gt(figures.shortfall);
      expect(await pool.recognizedShortfall(heavy)).to.equal(figures.shortfall);
    });

    it("values a collateral whose oracle fails at its last trusted price, and does not overwrite that price", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, half, collaterals, collateral } = fx;
      const recorded = await pool.recognizedShortfall(heavy);
      // The feed would say 1,000 but reverts: the pool keeps valuing the collateral at the trusted 1,400.
      await collaterals[0].oracle.setPrice(px("1000"));
      await collaterals[0].oracle.setReverting(true);
      expect(await pool.accountShortfall(heavy)).to.deep.equal([
        recorded,
        units(15_000, 18),
        recovered(units(10, 18), px("1400")),
      ]);
      const halfShortfall = units(7_400, 18) - recovered(units(5, 18), px("1400"));
      await expect(pool.recognizeLosses([heavy, half]))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(half, 0n, halfShortfall, recorded + halfShortfall)
        .and.to.not.emit(pool, "LastTrustedPriceUpdated");
      expect(await pool.recognizedShortfall(heavy)).to.equal(recorded);
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(px("1400"));
    });
  });

  describe("exit and entry prices", () => {
    it("exits are priced at totalAssets() = exitAssetsOf(totals), entries at entryTotalAssets(); every view follows", async () => {
      const fx = await loadFixture(bothRecognized);
      const { pool, lps, others } = fx;
      const totals = await totalsOf(pool);
      const supply = await pool.totalSupply();
      const exit = pm.exitAssetsOf(totals);
      const entry = totals.totalLpAssets;
      expect(totals.totalShortfallAssets).to.be.gt(totals.reserveAssets);
      expect(exit).to.equal(entry - (totals.totalShortfallAssets - totals.reserveAssets));
      expect(await pool.totalAssets()).to.equal(exit);
      expect(await pool.entryTotalAssets()).to.equal(entry);

      const assets = units("1234.567891234567891", 18);
      const shares = await pool.balanceOf(lps[0].address);
      const someShares = shares / 7n;
      // Entries at the entry figure.
      expect(await pool.previewDeposit(assets)).to.equal(pm.lpSharesDown(assets, entry, supply));
      expect(await pool.previewMint(someShares)).to.equal(pm.lpAssetsUp(someShares, entry, supply));
      expect(await pool.maxMint(others[0].address)).to.equal(
        pm.lpSharesDown(await pool.maxDeposit(others[0].address), entry, supply),
      );
      expect(await pool.entrySharePrice()).to.equal(pm.sharePrice(entry, supply, SHARE_DECIMALS));
      // Exits at the exit figure.
      expect(await pool.previewRedeem(someShares)).to.equal(pm.lpAssetsDown(someShares, exit, supply));
      expect(await pool.previewWithdraw(assets)).to.equal(pm.lpSharesUp(assets, exit, supply));
      expect(await pool.convertToAssets(someShares)).to.equal(pm.lpAssetsDown(someShares, exit, supply));
      expect(await pool.convertToShares(assets)).to.equal(pm.lpSharesDown(assets, exit, supply));
      const cash = pm.cashOf(totals);
      expect(await pool.maxWithdraw(lps[0].address)).to.equal(pm.min(pm.lpAssetsDown(shares, exit, supply), cash));
      expect(await pool.maxRedeem(lps[0].address)).to.equal(pm.lpSharesDown(cash, exit, supply));
      expect(await pool.sharePrice()).to.equal(pm.sharePrice(exit, supply, SHARE_DECIMALS));
      expect(await pool.sharePrice()).to.be.lt(await pool.entrySharePrice());

      // The calls pay what the previews say.
      const deposited = await pool.connect(lps[1]).deposit.staticCall(assets, lps[1].address);
      expect(deposited).to.equal(pm.lpSharesDown(assets, entry, supply));
      const redeemed = await pool.connect(lps[0]).redeem.staticCall(someShares, lps[0].address, lps[0].address);
      expect(redeemed).to.equal(pm.lpAssetsDown(someShares, exit, supply));
    });

    it("the reserve covers the shortfall first: the exit price does not move while the reserve is at least the shortfall", async () => {
      const fx = await loadFixture(crashed);
      const { pool, owner, heavy, half } = fx;
      const heavyShortfall = await modelShortfall(fx, heavy);
      await pool.connect(owner).donateToReserve(heavyShortfall);
      const priceBefore = await pool.sharePrice();
      await pool.recognizeLosses([heavy]);
      // reserve = shortfall: covered entirely.
      expect(await pool.totalAssets()).to.equal(await pool.entryTotalAssets());
      expect(await pool.sharePrice()).to.equal(priceBefore);
      expect(await pool.sharePrice()).to.equal(await pool.entrySharePrice());
      // One more account's shortfall: only the part above the reserve comes off the exit figure.
      await pool.recognizeLosses([half]);
      const totals = await totalsOf(pool);
      const halfShortfall = await pool.recognizedShortfall(half);
      expect(await pool.totalAssets()).to.equal(totals.totalLpAssets - halfShortfall);
      expect(await pool.totalAssets()).to.equal(pm.exitAssetsOf(totals));
      expect(await pool.sharePrice()).to.be.lt(priceBefore);
    });

    it("withdrawReserve cannot take the part of the reserve the shortfall needs: ReserveCommittedToShortfall(requested, withdrawable, total)", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, owner, heavy } = fx;
      const shortfall = await pool.recognizedShortfall(heavy);
      const reserve = units(2_000, 18);
      await pool.connect(owner).donateToReserve(reserve);
      const totals = await totalsOf(pool);
      const withdrawable = pm.withdrawableReserve(totals);
      expect(withdrawable).to.equal(reserve - shortfall);
      await expect(pool.connect(owner).withdrawReserve(withdrawable + 1n, owner.address))
        .to.be.revertedWithCustomError(pool, "ReserveCommittedToShortfall")
        .withArgs(withdrawable + 1n, withdrawable, shortfall);
      await expect(pool.connect(owner).withdrawReserve(reserve, owner.address))
        .to.be.revertedWithCustomError(pool, "ReserveCommittedToShortfall")
        .withArgs(reserve, withdrawable, shortfall);
      // Above the reserve itself: InsufficientReserve comes first.
      await expect(pool.connect(owner).withdrawReserve(reserve + 1n, owner.address))
        .to.be.revertedWithCustomError(pool, "InsufficientReserve")
        .withArgs(reserve + 1n, reserve);
      await expect(pool.connect(owner).withdrawReserve(withdrawable, owner.address))
        .to.emit(pool, "ReserveWithdrawn")
        .withArgs(owner.address, withdrawable);
      // What is left is exactly the shortfall, so exits are still priced at the entry figure.
      expect(await pool.reserveAssets()).to.equal(shortfall);
      expect(await pool.totalAssets()).to.equal(await pool.entryTotalAssets());
      await expect(pool.connect(owner).withdrawReserve(1n, owner.address))
        .to.be.revertedWithCustomError(pool, "ReserveCommittedToShortfall")
        .withArgs(1n, 0n, shortfall);
      // Released: the reserve is free again.
      await fx.collaterals[0].oracle.setPrice(px("2000"));
      await pool.recognizeLosses([heavy]);
      await expect(pool.connect(owner).withdrawReserve(shortfall, owner.address)).to.emit(pool, "ReserveWithdrawn");
    });

    it("depositing while a shortfall is recognized and redeeming after its release gains nothing", async () => {
      const fx = await loadFixture(bothRecognized);
      const { pool, lps, heavy, half, collaterals } = fx;
      const entrant = lps[1];
      const assets = units(10_000, 18);
      const before = await totalsOf(pool);
      const supply = await pool.totalSupply();
      const shares = pm.lpSharesDown(assets, before.totalLpAssets, supply);
      await pool.connect(entrant).deposit(assets, entrant.address);
      expect(await pool.balanceOf(entrant.address)).to.equal(shares);

      await collaterals[0].oracle.setPrice(px("2000"));
      await pool.recognizeLosses([heavy, half]);
      expect(await pool.totalRecognizedShortfall()).to.equal(0n);
      const after = await totalsOf(pool);
      const payout = pm.lpAssetsDown(shares, pm.exitAssetsOf(after), supply + shares);
      const balanceBefore = await fx.loanToken.balanceOf(entrant.address);
      await pool.connect(entrant).redeem(shares, entrant.address, entrant.address);
      expect((await fx.loanToken.balanceOf(entrant.address)) - balanceBefore).to.equal(payout);
      // Two roundings down: at most 1 wei below the deposit, never above.
      expect(assets - payout).to.be.within(0n, 1n);
      // Had entries been priced at the exit figure, the same round trip would have gained the release's share.
      const cheapShares = pm.lpSharesDown(assets, pm.exitAssetsOf(before), supply);
      const cheapPayout = pm.lpAssetsDown(cheapShares, pm.exitAssetsOf(after), supply + cheapShares);
      expect(cheapPayout).to.be.gt(assets + units(100, 18));
    });

    it("depositing while a shortfall is recognized and redeeming after its realization gains nothing (it bears the realized part)", async () => {
      const fx = await loadFixture(bothRecognized);
      const { pool, lps, liquidator, heavy, collaterals, collateral } = fx;
      const entrant = lps[1];
      const assets = units(10_000, 18);
      const supply = await pool.totalSupply();
      const entry = await pool.entryTotalAssets();
      const shares = pm.lpSharesDown(assets, entry, supply);
      await pool.connect(entrant).deposit(assets, entrant.address);

      // The heavy account is liquidated in full: its residual is realized.
      const state = await liquidationStateOf(pool, heavy, collaterals, collaterals[0]);
      const quote = pm.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
      if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: no realization");
      await pool.connect(liquidator).liquidate(heavy, collateral, ethers.MaxUint256, 0n, liquidator.address);
      const after = await totalsOf(pool);
      const payout = await pool.previewRedeem(shares);
      expect(payout).to.equal(pm.lpAssetsDown(shares, pm.exitAssetsOf(after), supply + shares));
      expect(payout).to.be.lt(assets);
      const balanceBefore = await fx.loanToken.balanceOf(entrant.address);
      await pool.connect(entrant).redeem(shares, entrant.address, entrant.address);
      expect((await fx.loanToken.balanceOf(entrant.address)) - balanceBefore).to.equal(payout);
    });
  });

  describe("refresh on touch", () => {
    it("borrow clears a recorded shortfall (an account within its borrow limit has none)", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, borrowers, collaterals } = fx;
      const recorded = await pool.recognizedShortfall(heavy);
      expect(recorded).to.be.gt(0n);
      await collaterals[0].oracle.setPrice(px("3000"));
      await expect(pool.connect(borrowers[0]).borrow(1n, heavy))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, recorded, 0n, 0n);
      expect(await pool.recognizedShortfall(heavy)).to.equal(0n);
      // Without a record, a borrow emits nothing.
      await expect(pool.connect(borrowers[0]).borrow(1n, heavy)).to.not.emit(pool, "ShortfallUpdated");
    });

    it("withdrawCollateral clears a recorded shortfall", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, borrowers, collaterals, collateral } = fx;
      const recorded = await pool.recognizedShortfall(heavy);
      await collaterals[0].oracle.setPrice(px("3000"));
      await expect(pool.connect(borrowers[0]).withdrawCollateral(collateral, units(1, 18), heavy))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, recorded, 0n, 0n);
      expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    });

    it("repay re-values an account with a recorded shortfall at the live prices; in full it releases it", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, borrowers, collaterals, liquidator } = fx;
      const recorded = await pool.recognizedShortfall(heavy);
      // Anyone may repay: 500 lower the debt, hence the shortfall, by 500 (the repaid shares round down).
      await pool.connect(liquidator).repay(units(500, 18), heavy);
      const afterRepay = await modelShortfall(fx, heavy);
      expect(afterRepay).to.equal(recorded - units(500, 18));
      expect(await pool.recognizedShortfall(heavy)).to.equal(afterRepay);
      // The price fell further meanwhile: the refresh records the live figure.
      await collaterals[0].oracle.setPrice(px("1300"));
      await pool.connect(borrowers[0]).repay(units(100, 18), heavy);
      const atNewPrice = await modelShortfall(fx, heavy);
      expect(atNewPrice).to.equal(
        pm.shortfallOf(units(14_400, 18), recovered(units(10, 18), px("1300"))),
      );
      expect(await pool.recognizedShortfall(heavy)).to.equal(atNewPrice);
      await expect(pool.connect(borrowers[0]).repay(ethers.MaxUint256, heavy))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, atNewPrice, 0n, 0n);
      expect(await pool.recognizedShortfall(heavy)).to.equal(0n);
    });

    it("supplyCollateral (by anyone, on behalf of the account) releases a recorded shortfall in proportion", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, liquidator, collateral } = fx;
      const recorded = await pool.recognizedShortfall(heavy);
      const expected = pm.shortfallOf(units(15_000, 18), recovered(units(11, 18), px("1400")));
      await expect(pool.connect(liquidator).supplyCollateral(collateral, units(1, 18), heavy))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, recorded, expected, expected);
      expect(await modelShortfall(fx, heavy)).to.equal(expected);
    });

    it("repay and supplyCollateral leave an account without a recorded shortfall alone, insolvent or not", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, liquidator, collateral } = fx;
      expect(await modelShortfall(fx, heavy)).to.be.gt(0n);
      await expect(pool.connect(liquidator).repay(units(1, 18), heavy)).to.not.emit(pool, "ShortfallUpdated");
      await expect(pool.connect(liquidator).supplyCollateral(collateral, 1n, heavy)).to.not.emit(
        pool,
        "ShortfallUpdated",
      );
      expect(await pool.recognizedShortfall(heavy)).to.equal(0n);
    });

    it("liquidate refreshes the account after a partial liquidation of an insolvent account (recognized or not)", async () => {
      const fx = await loadFixture(heavyRecognized);
      const { pool, heavy, half, liquidator, collaterals, collateral } = fx;
      const repay = units(5_000, 18);
      const state = await liquidationStateOf(pool, heavy, collaterals, collaterals[0]);
      const quote = pm.quoteLiquidation({ ...state, repayAssets: repay });
      if (quote === null) throw new Error("poolMath: not liquidatable");
      expect(quote.realizesBadDebt).to.equal(false);
      expect(quote.repaidAssets).to.equal(repay);
      await pool.connect(liquidator).liquidate(heavy, collateral, repay, quote.seizedCollateral, liquidator.address);
      const refreshed = await modelShortfall(fx, heavy);
      expect(await pool.recognizedShortfall(heavy)).to.equal(refreshed);
      // 10,000 of debt left against 6.25 collateral at 1,400: seizing at the bonus leaves the shortfall as it was,
      // up to the roundings of the seizure.
      expect(refreshed).to.be.closeTo(units(15_000, 18) - recovered(units(10, 18), px("1400")), 2n);

      // An account nobody recognized is recognized by its first partial liquidation.
      const unrecognized = await modelShortfall(fx, half);
      const halfQuote = pm.quoteLiquidation({
        ...(await liquidationStateOf(pool, half, collaterals, collaterals[0])),
        repayAssets: units(1_000, 18),
      });
      if (halfQuote === null) throw new Error("poolMath: not liquidatable");
      await pool.connect(liquidator).liquidate(half, collateral, units(1_000, 18), 0n, liquidator.address);
      const halfAfter = await modelShortfall(fx, half);
      expect(halfAfter).to.be.closeTo(unrecognized, 2n);
      expect(await pool.recognizedShortfall(half)).to.equal(halfAfter);
      expect(await pool.totalRecognizedShortfall()).to.equal(refreshed + halfAfter);
    });

    it("a realization clears the account's shortfall; BadDebtRealized's share prices are sharePrice() just before and after", async () => {
      const fx = await loadFixture(bothRecognized);
      const { pool, heavy, half, liquidator, collaterals, collateral } = fx;
      const heavyShortfall = await pool.recognizedShortfall(heavy);
      const halfShortfall = await pool.recognizedShortfall(half);
      const state = await liquidationStateOf(pool, heavy, collaterals, collaterals[0]);
      const quote = pm.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
      if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: no realization");
      const totals = await totalsOf(pool);
      const supply = await pool.totalSupply();
      const realization = pm.realizeBadDebt(
        {
          ...totals,
          totalBorrowAssets: totals.totalBorrowAssets - quote.repaidAssets,
          totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
        },
        state.borrowShares - quote.repaidShares,
        heavyShortfall,
      );
      const sharePriceBefore = await pool.sharePrice();
      expect(sharePriceBefore).to.equal(pm.sharePrice(pm.exitAssetsOf(totals), supply, SHARE_DECIMALS));
      const sharePriceAfter = pm.sharePrice(pm.exitAssetsOf(realization.totalsAfter), supply, SHARE_DECIMALS);
      const tx = pool.connect(liquidator).liquidate(heavy, collateral, ethers.MaxUint256, 0n, liquidator.address);
      await expect(tx)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy, heavyShortfall, 0n, halfShortfall);
      await expectBadDebtRealized(pool, tx, heavy, realization, sharePriceBefore, sharePriceAfter);
      expect(await pool.sharePrice()).to.equal(sharePriceAfter);
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      expect(await pool.recognizedShortfall(heavy)).to.equal(0n);
      expect(await pool.totalRecognizedShortfall()).to.equal(halfShortfall);
      // Recognized beforehand, the loss moves the exit price by what the residual differs from the recognized
      // shortfall: here (rate 0) by nothing more than the seizure's rounding.
      expect(realization.badDebtAssets).to.be.closeTo(heavyShortfall, 2n);
      expect(sharePriceAfter).to.be.closeTo(sharePriceBefore, 1n);
    });
  });

  describe("views", () => {
    it("accountShortfall gives (shortfall, debt, recoveryValue) live, without recording anything", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, healthy, others } = fx;
      const figures = await shortfallFigures(pool, heavy, fx.collaterals);
      expect(await pool.accountShortfall(heavy)).to.deep.equal([
        figures.shortfall,
        figures.debt,
        figures.recovery,
      ]);
      expect(await pool.recognizedShortfall(heavy)).to.equal(0n);
      const [healthyShortfall, healthyDebt, healthyRecovery] = await pool.accountShortfall(healthy);
      expect([healthyShortfall, healthyDebt]).to.deep.equal([0n, units(1_000, 18)]);
      expect(healthyRecovery).to.equal(recovered(units(100, 18), px("1400")));
      expect(await pool.accountShortfall(others[0].address)).to.deep.equal([0n, 0n, 0n]);
    });

    it("lastTrustedPrice: the listing price, then each live price a recognition or a new oracle gives", async () => {
      const fx = await loadFixture(beforeCrash);
      const { pool, owner, heavy, collaterals, collateral } = fx;
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(px("2000"));
      // A price that moved is not trusted until the pool reads it in a recognition.
      await collaterals[0].oracle.setPrice(px("1900"));
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(px("2000"));
      await expect(pool.recognizeLosses([heavy]))
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(collateral, px("1900"));
      // A new oracle that answers sets it, dated at its block; the owner's call stores a live answer even when the
      // price is unchanged (re-dating it).
      const oracle = await mockOracleAt(px("1950"));
      const update = await collateralParamsWith(pool, collateral, await oracle.getAddress());
      await expect(pool.connect(owner).setCollateralParams(collateral, update))
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(collateral, px("1950"));
      expect(await pool.lastTrustedPrice(collateral)).to.deep.equal([px("1950"), BigInt(await time.latest())]);
      await expect(pool.connect(owner).setCollateralParams(collateral, update))
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(collateral, px("1950"));
      const redatedAt = BigInt(await time.latest());
      expect(await pool.lastTrustedPrice(collateral)).to.deep.equal([px("1950"), redatedAt]);
      // One that fails keeps it, with its date.
      await oracle.setReverting(true);
      await expect(pool.connect(owner).setCollateralParams(collateral, update)).to.not.emit(
        pool,
        "LastTrustedPriceUpdated",
      );
      expect(await pool.lastTrustedPrice(collateral)).to.deep.equal([px("1950"), redatedAt]);
    });
  });
});
