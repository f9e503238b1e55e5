import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import * as pm from "../../keepers/src/model/poolMath";
import { deployPool, priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { closeQuoteOf, totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBadDebtRealized } from "../helpers/events";
import type { ContractTransactionResponse } from "ethers";
import { collateralParamsWith, fundAndApprove, standardCollateralParams } from "../adversarial/poolSetup";
import type {
  MockPriceOracle,
  PausableERC20,
  Pool,
  ReentrantERC20,
} from "../../typechain-types";

/**
 * closeInsolventAccount: for an account whose collateral recovers less than its debt, one call seizes every collateral
 * whose oracle answers (each at its own bonus), repays what they cover and realizes the rest; a collateral whose oracle
 * fails stays escrowed at its last trusted price with the debt it backs, unless it is dust. Every expected figure is
 * poolMath's quoteClose (keepers/src/model/poolMath.ts) on the chain's state.
 *
 * Pool: 18-decimal loan asset; collateral 0 has 18 decimals at 2,000 (bonus 5%), collateral 1 has 8 decimals at
 * 30,000 (bonus 10%); LTV 75%, threshold 80%; dust threshold 1 loan unit; rate 0 unless stated.
 */

const DUST = units(1, 18);
const LP_DEPOSIT = units(100_000, 18);
const SHARE_DECIMALS = 24n;
/** Borrower 0: 10 of collateral 0 (20,000) and 0.5 of collateral 1 (15,000), owes 26,000 (limit 26,250). */
const HEAVY_COLLATERAL = [units(10, 18), 50_000_000n];
const HEAVY_DEBT = units(26_000, 18);
/** Borrower 2: 10 of collateral 0 only, owes 14,900 (limit 15,000). */
const SINGLE_DEBT = units(14_900, 18);

const px0 = (whole: number): bigint => priceE36(whole, 18, 18);
const px1 = (whole: number): bigint => priceE36(whole, 18, 8);

interface CloseFixture extends PoolFixture {
  col0: string;
  col1: string;
  heavy: HardhatEthersSigner;
  healthy: HardhatEthersSigner;
  single: HardhatEthersSigner;
}

/** The two-collateral pool, LP 0's deposit, and the heavy, healthy (100 of collateral 0, owes 1,000) and single accounts. */
async function openPositions(
  ratePerSecondE18: bigint,
  lpDeposit: bigint,
  withOthers: boolean,
): Promise<CloseFixture> {
  const fixture = await deployPool({
    collateralDecimals: [18, 8],
    collateralPrices: [2_000, 30_000],
    dustThresholdAssets: DUST,
    ratePerSecondE18,
  });
  const { pool, owner, lps, borrowers, collaterals } = fixture;
  const col0 = await collaterals[0].token.getAddress();
  const col1 = await collaterals[1].token.getAddress();
  await pool
    .connect(owner)
    .setCollateralParams(col1, { ...(await collateralParamsWith(pool, col1)), liquidationBonusBps: 1_000 });
  await pool.connect(lps[0]).deposit(lpDeposit, lps[0].address);
  const [heavy, healthy, single] = borrowers;
  await supplyAndBorrow(fixture, heavy, HEAVY_COLLATERAL, HEAVY_DEBT);
  if (withOthers) {
    await supplyAndBorrow(fixture, healthy, units(100, 18), units(1_000, 18));
    await supplyAndBorrow(fixture, single, units(10, 18), SINGLE_DEBT);
  }
  return { ...fixture, col0, col1, heavy, healthy, single };
}

/** Both prices fall 50% and 60% (collateral 0 to 1,000, collateral 1 to 12,000). */
async function crash(fixture: CloseFixture): Promise<void> {
  await fixture.collaterals[0].oracle.setPrice(px0(1_000));
  await fixture.collaterals[1].oracle.setPrice(px1(12_000));
}

/** Rate 0. After the crash the heavy account holds 16,000 of collateral (recovering 14,978.35) for 26,000 of debt. */
async function crashed(): Promise<CloseFixture> {
  const fixture = await openPositions(0n, LP_DEPOSIT, true);
  await crash(fixture);
  return fixture;
}

/** `crashed`, on a 1e9-per-second rate, 30 days later (no accrual since the borrows). */
async function crashedWithInterest(): Promise<CloseFixture> {
  const fixture = await openPositions(1_000_000_000n, LP_DEPOSIT, true);
  await crash(fixture);
  await time.increase(30 * 24 * 3600);
  return fixture;
}

/** The LP deposited exactly the heavy account's debt: every unit lent, no idle cash. */
async function fullyUtilized(): Promise<CloseFixture> {
  const fixture = await openPositions(0n, HEAVY_DEBT, false);
  await crash(fixture);
  return fixture;
}

/** The quote of a close poolMath says goes through, or a test failure. */
async function mustQuote(
  pool: Pool,
  account: string,
  fx: PoolFixture,
  totals?: pm.PoolTotals,
  minSeizedValue = 0n,
): Promise<pm.CloseQuote> {
  const result = await closeQuoteOf(pool, account, fx.collaterals, totals, minSeizedValue);
  if ("refusal" in result) throw new Error(`poolMath refuses the close: ${result.refusal.error}`);
  return result.quote;
}

/** The totals after the close's repayment and the loss waterfall, as the pool applies them. */
function realizationAfter(
  totals: pm.PoolTotals,
  quote: pm.CloseQuote,
  borrowShares: bigint,
  recognizedShortfall: bigint,
): pm.BadDebtRealization {
  return pm.realizeBadDebt(
    {
      ...totals,
      totalBorrowAssets: pm.zeroFloorSub(totals.totalBorrowAssets, quote.repaidAssets),
      totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
    },
    borrowShares - quote.repaidShares,
    recognizedShortfall,
  );
}

/**
 * `tx`, `liquidator`'s close of `account` paid to `receiver`, emits InsolventAccountClosed with `quote`'s repayment
 * and seized value and `badDebtAssets` (by default the quote's) of bad debt.
 */
async function expectClosedAsQuoted(
  pool: Pool,
  tx: Promise<ContractTransactionResponse>,
  liquidator: HardhatEthersSigner,
  account: HardhatEthersSigner,
  receiver: HardhatEthersSigner,
  quote: pm.CloseQuote,
  badDebtAssets = quote.badDebtAssets,
): Promise<void> {
  await expect(tx)
    .to.emit(pool, "InsolventAccountClosed")
    .withArgs(
      liquidator.address,
      account.address,
      receiver.address,
      quote.repaidAssets,
      quote.repaidShares,
      quote.seizedValue,
      badDebtAssets,
    );
}

/** The exit share price `realization` leaves over `supply` shares. */
const sharePriceAfter = (realization: pm.BadDebtRealization, supply: bigint): bigint =>
  pm.sharePrice(pm.exitAssetsOf(realization.totalsAfter), supply, SHARE_DECIMALS);

/** Another account (`others[1]`) mints `amount` of collateral 1 and supplies it for `account`. */
async function plantCollateral1(fx: CloseFixture, amount: bigint, account: string): Promise<void> {
  const planter = fx.others[1];
  await fundAndApprove(fx.collaterals[1].token, planter, amount, await fx.pool.getAddress());
  await fx.pool.connect(planter).supplyCollateral(fx.col1, amount, account);
}

async function expectAccountClosed(pool: Pool, account: string, collaterals: readonly string[]): Promise<void> {
  expect(await pool.borrowSharesOf(account)).to.equal(0n);
  expect(await pool.debtOf(account)).to.equal(0n);
  expect(await pool.recognizedShortfall(account)).to.equal(0n);
  for (const collateral of collaterals) expect(await pool.collateralOf(account, collateral)).to.equal(0n);
}

describe("Pool — closeInsolventAccount", () => {
  describe("reverts", () => {
    it("ZeroAddress for a zero receiver", async () => {
      const { pool, heavy, liquidator } = await loadFixture(crashed);
      await expect(
        pool.connect(liquidator).closeInsolventAccount(heavy.address, 0n, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
    });

    it("NoDebt(account) for an account without debt", async () => {
      const { pool, lps, others, liquidator } = await loadFixture(crashed);
      for (const account of [others[0].address, lps[0].address]) {
        await expect(pool.connect(liquidator).closeInsolventAccount(account, 0n, liquidator.address))
          .to.be.revertedWithCustomError(pool, "NoDebt")
          .withArgs(account);
      }
    });

    it("AccountNotInsolvent(account, debt, recoveryValue) while liquidating all its collateral would repay the debt", async () => {
      const fx = await loadFixture(crashed);
      const { pool, healthy, heavy, liquidator } = fx;
      // Healthy: 100,000 of collateral for 1,000.
      const refusal = await closeQuoteOf(pool, healthy.address, fx.collaterals);
      if (!("refusal" in refusal) || refusal.refusal.error !== "AccountNotInsolvent") throw new Error("unexpected");
      expect(refusal.refusal.recoveryValue).to.equal(
        pm.repaidForSeizedDown(units(100, 18), 500n, px0(1_000)),
      );
      await expect(pool.connect(liquidator).closeInsolventAccount(healthy.address, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "AccountNotInsolvent")
        .withArgs(healthy.address, refusal.refusal.debt, refusal.refusal.recoveryValue);
      // Liquidatable but solvent: at 1,800 and 27,000 the heavy account's collateral (31,500) recovers 29,415.58.
      await fx.collaterals[0].oracle.setPrice(px0(1_800));
      await fx.collaterals[1].oracle.setPrice(px1(27_000));
      expect(await pool.healthFactor(heavy.address)).to.be.lt(pm.WAD);
      const recovery =
        pm.repaidForSeizedDown(HEAVY_COLLATERAL[0], 500n, px0(1_800)) +
        pm.repaidForSeizedDown(HEAVY_COLLATERAL[1], 1_000n, px1(27_000));
      await expect(pool.connect(liquidator).closeInsolventAccount(heavy.address, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "AccountNotInsolvent")
        .withArgs(heavy.address, HEAVY_DEBT, recovery);
    });

    it("SeizedValueBelowMinimum(seizedValue, minSeizedValue) above what the collateral is worth", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, liquidator } = fx;
      const quote = await mustQuote(pool, heavy.address, fx);
      // 10 × 1,000 + 0.5 × 12,000.
      expect(quote.seizedValue).to.equal(units(16_000, 18));
      const refusal = await closeQuoteOf(pool, heavy.address, fx.collaterals, undefined, quote.seizedValue + 1n);
      expect(refusal).to.deep.equal({
        refusal: { error: "SeizedValueBelowMinimum", seizedValue: quote.seizedValue, minSeizedValue: quote.seizedValue + 1n },
      });
      await expect(
        pool.connect(liquidator).closeInsolventAccount(heavy.address, quote.seizedValue + 1n, liquidator.address),
      )
        .to.be.revertedWithCustomError(pool, "SeizedValueBelowMinimum")
        .withArgs(quote.seizedValue, quote.seizedValue + 1n);
    });

    it("NothingToClose(account) when every collateral's oracle fails and what it escrows is above dust", async () => {
      const fx = await loadFixture(crashed);
      const { pool, single, liquidator, collaterals } = fx;
      // Recognized at 1,000, so 1,000 is the trusted price; then the feed fails. Insolvent at that price, but
      // nothing can be seized and 10,000 of escrowed value is far above dust: nothing to do.
      await pool.recognizeLosses([single.address]);
      await collaterals[0].oracle.setReverting(true);
      expect(await closeQuoteOf(pool, single.address, collaterals)).to.deep.equal({
        refusal: { error: "NothingToClose" },
      });
      await expect(pool.connect(liquidator).closeInsolventAccount(single.address, 0n, liquidator.address))
        .to.be.revertedWithCustomError(pool, "NothingToClose")
        .withArgs(single.address);
    });
  });

  describe("closes in one call", () => {
    it("a two-collateral insolvent account: amounts equal quoteClose to the wei, every event, nothing left behind", async () => {
      const fx = await loadFixture(crashedWithInterest);
      const { pool, heavy, liquidator, others, loanToken, collaterals, col0, col1 } = fx;
      const receiver = others[0];
      const timestamp = BigInt(await time.latest()) + 7n;
      await time.setNextBlockTimestamp(timestamp);
      const totals = await totalsOf(pool, "pending");
      const borrowShares = await pool.borrowSharesOf(heavy.address);
      const quote = await mustQuote(pool, heavy.address, fx, totals, units(16_000, 18));
      // Each collateral at its own bonus: 10,000 / 1.05 and 6,000 / 1.1, rounded up.
      expect(quote.seized).to.deep.equal([
        { assets: HEAVY_COLLATERAL[0], repaidAssets: pm.repaidForSeizedUp(HEAVY_COLLATERAL[0], 500n, px0(1_000)) },
        { assets: HEAVY_COLLATERAL[1], repaidAssets: pm.repaidForSeizedUp(HEAVY_COLLATERAL[1], 1_000n, px1(12_000)) },
      ]);
      expect(quote.realizesBadDebt).to.equal(true);
      expect(quote.repaidAssets).to.equal(quote.seized[0].repaidAssets + quote.seized[1].repaidAssets);
      const realization = realizationAfter(totals, quote, borrowShares, 0n);
      expect(realization.badDebtAssets).to.equal(quote.badDebtAssets);
      const supply = await pool.totalSupply();
      const totalsAfterRepay = {
        ...totals,
        totalBorrowAssets: totals.totalBorrowAssets - quote.repaidAssets,
        totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
      };

      const loanBefore = await loanToken.balanceOf(liquidator.address);
      const receivedBefore = [
        await collaterals[0].token.balanceOf(receiver.address),
        await collaterals[1].token.balanceOf(receiver.address),
      ];
      const tx = pool.connect(liquidator).closeInsolventAccount(heavy.address, units(16_000, 18), receiver.address);
      await expectClosedAsQuoted(pool, tx, liquidator, heavy, receiver, quote);
      await expect(tx)
        .to.emit(pool, "CollateralSeized")
        .withArgs(heavy.address, col0, receiver.address, quote.seized[0].assets, quote.seized[0].repaidAssets, false);
      await expect(tx)
        .to.emit(pool, "CollateralSeized")
        .withArgs(heavy.address, col1, receiver.address, quote.seized[1].assets, quote.seized[1].repaidAssets, false);
      await expectBadDebtRealized(
        pool,
        tx,
        heavy.address,
        realization,
        pm.sharePrice(pm.exitAssetsOf(totalsAfterRepay), supply, SHARE_DECIMALS),
        sharePriceAfter(realization, supply),
      );
      await expect(tx).to.emit(pool, "LastTrustedPriceUpdated").withArgs(col0, px0(1_000));
      await expect(tx).to.emit(pool, "LastTrustedPriceUpdated").withArgs(col1, px1(12_000));
      await expect(tx).to.not.emit(pool, "DustCollateralSwept");
      await expect(tx).to.not.emit(pool, "ShortfallUpdated"); // nothing was recognized for it
      await expect(tx).to.not.emit(pool, "Liquidate");

      expect(await pool.lastAccrualTimestamp()).to.equal(timestamp);
      expect(loanBefore - (await loanToken.balanceOf(liquidator.address))).to.equal(quote.repaidAssets);
      for (const [index, collateral] of collaterals.entries()) {
        expect((await collateral.token.balanceOf(receiver.address)) - receivedBefore[index]).to.equal(
          HEAVY_COLLATERAL[index],
        );
      }
      await expectAccountClosed(pool, heavy.address, [col0, col1]);
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      for (const [index, collateral] of [col0, col1].entries()) {
        expect(await pool.totalCollateral(collateral)).to.equal(
          await collaterals[index].token.balanceOf(await pool.getAddress()),
        );
      }
    });

    it("returns (repaidAssets, seizedValue, badDebtAssets); a recognized shortfall leaves the total when it is realized", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, single, liquidator } = fx;
      await pool.recognizeLosses([heavy.address, single.address]);
      const heavyShortfall = await pool.recognizedShortfall(heavy.address);
      const singleShortfall = await pool.recognizedShortfall(single.address);
      const quote = await mustQuote(pool, heavy.address, fx);
      expect(
        await pool.connect(liquidator).closeInsolventAccount.staticCall(heavy.address, 0n, liquidator.address),
      ).to.deep.equal([quote.repaidAssets, quote.seizedValue, quote.badDebtAssets]);
      const totals = await totalsOf(pool);
      const realization = realizationAfter(totals, quote, await pool.borrowSharesOf(heavy.address), heavyShortfall);
      const sharePriceBefore = await pool.sharePrice();
      const supply = await pool.totalSupply();
      const tx = pool.connect(liquidator).closeInsolventAccount(heavy.address, 0n, liquidator.address);
      await expect(tx)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy.address, heavyShortfall, 0n, singleShortfall);
      await expectBadDebtRealized(pool, tx, heavy.address, realization, sharePriceBefore, sharePriceAfter(realization, supply));
      expect(await pool.totalRecognizedShortfall()).to.equal(singleShortfall);
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      // Recognized beforehand, the realization barely moves the exit price (the seizure's rounding).
      expect(await pool.sharePrice()).to.be.closeTo(sharePriceBefore, 1n);
    });

    it("needs no idle cash: works at 100% utilization (the repayment comes in before any collateral goes out)", async () => {
      const fx = await loadFixture(fullyUtilized);
      const { pool, heavy, liquidator, col0, col1 } = fx;
      expect(await pool.cash()).to.equal(0n);
      const quote = await mustQuote(pool, heavy.address, fx);
      const tx = pool.connect(liquidator).closeInsolventAccount(heavy.address, 0n, liquidator.address);
      await expectClosedAsQuoted(pool, tx, liquidator, heavy, liquidator, quote);
      expect(await pool.cash()).to.equal(quote.repaidAssets);
      expect(await pool.totalBorrowAssets()).to.equal(0n);
      await expectAccountClosed(pool, heavy.address, [col0, col1]);
    });

    it("collateral planted above dust on an insolvent account is seized with the rest; the debt is realized", async () => {
      const fx = await loadFixture(crashed);
      const { pool, single, liquidator, col0, col1 } = fx;
      // Someone plants 8,417 sats of collateral 1 (1.01004 at 12,000: above the dust threshold of 1).
      await plantCollateral1(fx, 8_417n, single.address);
      const plantedValue = pm.valueDown(8_417n, px1(12_000));
      expect(plantedValue).to.be.gt(DUST);
      // socializeBadDebt refuses (collateral above dust), and a maximal liquidation of collateral 0 would leave the
      // debt behind the planted collateral; the one-call close takes both and realizes the rest.
      await expect(pool.socializeBadDebt(single.address))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(single.address, units(10_000, 18) + plantedValue, DUST);
      const quote = await mustQuote(pool, single.address, fx);
      expect(quote.seized.map((entry) => entry.assets)).to.deep.equal([units(10, 18), 8_417n]);
      expect(quote.realizesBadDebt).to.equal(true);
      const tx = pool.connect(liquidator).closeInsolventAccount(single.address, 0n, liquidator.address);
      await expect(tx)
        .to.emit(pool, "CollateralSeized")
        .withArgs(single.address, col1, liquidator.address, 8_417n, quote.seized[1].repaidAssets, false);
      await expect(tx).to.emit(pool, "BadDebtRealized");
      await expectAccountClosed(pool, single.address, [col0, col1]);
    });

    it("a failed oracle on a large collateral: it stays escrowed with the debt it backs, the rest is a recognized shortfall", async () => {
      const fx = await loadFixture(crashed);
      const { pool, heavy, liquidator, collaterals, col0, col1 } = fx;
      // Collateral 1's feed fails: the pool knows only its listing price, 30,000, and will not seize it.
      await collaterals[1].oracle.setReverting(true);
      const quote = await mustQuote(pool, heavy.address, fx);
      const escrowedRecovery = pm.repaidForSeizedDown(HEAVY_COLLATERAL[1], 1_000n, px1(30_000));
      expect(quote.seized).to.deep.equal([
        { assets: HEAVY_COLLATERAL[0], repaidAssets: pm.repaidForSeizedUp(HEAVY_COLLATERAL[0], 500n, px0(1_000)) },
        { assets: 0n, repaidAssets: 0n },
      ]);
      expect(quote.realizesBadDebt).to.equal(false);
      const debtLeft = HEAVY_DEBT - quote.repaidAssets;
      expect(quote.shortfallAfter).to.equal(debtLeft - escrowedRecovery);
      expect(quote.shortfallAfter).to.be.gt(0n);
      const tx = pool.connect(liquidator).closeInsolventAccount(heavy.address, 0n, liquidator.address);
      await expectClosedAsQuoted(pool, tx, liquidator, heavy, liquidator, quote, 0n);
      await expect(tx)
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy.address, 0n, quote.shortfallAfter, quote.shortfallAfter);
      await expect(tx).to.emit(pool, "LastTrustedPriceUpdated").withArgs(col0, px0(1_000));
      await expect(tx).to.not.emit(pool, "BadDebtRealized");
      expect(await pool.collateralOf(heavy.address, col0)).to.equal(0n);
      expect(await pool.collateralOf(heavy.address, col1)).to.equal(HEAVY_COLLATERAL[1]);
      expect(await pool.debtOf(heavy.address)).to.equal(debtLeft);
      expect((await pool.lastTrustedPrice(col1)).priceE36).to.equal(px1(30_000));
      // Its feed back (at 12,000): the next close seizes it and realizes what is left.
      await collaterals[1].oracle.setReverting(false);
      const second = await mustQuote(pool, heavy.address, fx);
      expect(second.realizesBadDebt).to.equal(true);
      await expect(pool.connect(liquidator).closeInsolventAccount(heavy.address, 0n, liquidator.address))
        .to.emit(pool, "BadDebtRealized")
        .and.to.emit(pool, "ShortfallUpdated")
        .withArgs(heavy.address, quote.shortfallAfter, 0n, 0n);
      await expectAccountClosed(pool, heavy.address, [col0, col1]);
    });

    it("a failed oracle on 1 wei of planted collateral does not stop the realization: the dust goes to the receiver", async () => {
      const fx = await loadFixture(crashed);
      const { pool, single, liquidator, others, collaterals, col0, col1 } = fx;
      await plantCollateral1(fx, 1n, single.address);
      await collaterals[1].oracle.setReverting(true);
      const quote = await mustQuote(pool, single.address, fx);
      // 1 sat at the trusted 30,000 is worth 0.0003: dust, and less than the debt left.
      expect(quote.realizesBadDebt).to.equal(true);
      expect(quote.seized[1]).to.deep.equal({ assets: 0n, repaidAssets: 0n });
      const receiver = others[0];
      const balanceBefore = await collaterals[1].token.balanceOf(receiver.address);
      const tx = pool.connect(liquidator).closeInsolventAccount(single.address, 0n, receiver.address);
      await expect(tx)
        .to.emit(pool, "DustCollateralSwept")
        .withArgs(single.address, col1, receiver.address, 1n, false);
      await expectClosedAsQuoted(pool, tx, liquidator, single, receiver, quote);
      await expect(tx).to.emit(pool, "BadDebtRealized");
      expect((await collaterals[1].token.balanceOf(receiver.address)) - balanceBefore).to.equal(1n);
      await expectAccountClosed(pool, single.address, [col0, col1]);
    });
  });

  describe("collateral tokens that misbehave", () => {
    interface HostileFixture extends PoolFixture {
      refusing: PausableERC20;
      reentrant: ReentrantERC20;
      hostileOracle: MockPriceOracle;
      borrower: HardhatEthersSigner;
    }

    /**
     * The default one-collateral pool plus two 18-decimal collaterals at 2,000 sharing one oracle: a PausableERC20
     * (transfers can be stopped) and a ReentrantERC20 (its transfer hook calls back into the pool). Borrower 0 holds
     * 5 of each and owes 15,000; the price then falls to 1,000 (insolvent).
     */
    async function hostileCollaterals(): Promise<HostileFixture> {
      const fixture = await deployPool();
      const { pool, owner, lps, borrowers } = fixture;
      const poolAddress = await pool.getAddress();
      const refusing = await ethers.deployContract("PausableERC20", ["Refusing", "RFS"]);
      const reentrant = await ethers.deployContract("ReentrantERC20", ["Hooked", "HKD"]);
      const hostileOracle = await ethers.deployContract("MockPriceOracle");
      await hostileOracle.setPrice(px0(2_000));
      const [borrower] = borrowers;
      for (const token of [refusing, reentrant]) {
        await pool
          .connect(owner)
          .listCollateral(await token.getAddress(), standardCollateralParams(await hostileOracle.getAddress()));
        await token.mint(borrower.address, units(5, 18));
        await token.connect(borrower).approve(poolAddress, ethers.MaxUint256);
        await pool.connect(borrower).supplyCollateral(await token.getAddress(), units(5, 18), borrower.address);
      }
      await pool.connect(lps[0]).deposit(LP_DEPOSIT, lps[0].address);
      await pool.connect(borrower).borrow(units(15_000, 18), borrower.address);
      await hostileOracle.setPrice(px0(1_000));
      return { ...fixture, refusing, reentrant, hostileOracle, borrower };
    }

    it("a collateral that refuses the transfer is credited to the receiver inside the pool; the close goes through", async () => {
      const fx = await loadFixture(hostileCollaterals);
      const { pool, refusing, reentrant, borrower, liquidator, others } = fx;
      const receiver = others[0];
      const refusingAddress = await refusing.getAddress();
      const poolAddress = await pool.getAddress();
      await refusing.setTransfersPaused(true);
      const repaid = pm.repaidForSeizedUp(units(5, 18), 500n, px0(1_000));
      const tx = pool.connect(liquidator).closeInsolventAccount(borrower.address, 0n, receiver.address);
      await expect(tx)
        .to.emit(pool, "CollateralSeized")
        .withArgs(borrower.address, refusingAddress, receiver.address, units(5, 18), repaid, true);
      await expect(tx)
        .to.emit(pool, "CollateralSeized")
        .withArgs(borrower.address, await reentrant.getAddress(), receiver.address, units(5, 18), repaid, false);
      await expect(tx).to.emit(pool, "BadDebtRealized");
      expect(await pool.collateralOf(receiver.address, refusingAddress)).to.equal(units(5, 18));
      expect(await pool.collateralOf(borrower.address, refusingAddress)).to.equal(0n);
      expect(await refusing.balanceOf(poolAddress)).to.equal(units(5, 18));
      expect(await pool.totalCollateral(refusingAddress)).to.equal(units(5, 18));
      expect(await pool.debtOf(borrower.address)).to.equal(0n);
      // Once the token transfers again, the receiver takes it out.
      await refusing.setTransfersPaused(false);
      await pool.connect(receiver).withdrawCollateral(refusingAddress, units(5, 18), receiver.address);
      expect(await refusing.balanceOf(receiver.address)).to.equal(units(5, 18));
      expect(await pool.totalCollateral(refusingAddress)).to.equal(0n);
    });

    for (const entry of ["closeInsolventAccount", "recognizeLosses", "liquidate", "repay"] as const) {
      it(`a seized collateral's transfer hook finds ${entry} locked; the close completes`, async () => {
        const fx = await loadFixture(hostileCollaterals);
        const { pool, reentrant, refusing, borrower, liquidator } = fx;
        const encode = pool.interface.encodeFunctionData.bind(pool.interface);
        const calls = {
          closeInsolventAccount: encode("closeInsolventAccount", [borrower.address, 0n, liquidator.address]),
          recognizeLosses: encode("recognizeLosses", [[borrower.address]]),
          liquidate: encode("liquidate", [borrower.address, await refusing.getAddress(), 1n, 0n, liquidator.address]),
          repay: encode("repay", [1n, borrower.address]),
        };
        await reentrant.setReentryCall(await pool.getAddress(), calls[entry]);
        await expect(pool.connect(liquidator).closeInsolventAccount(borrower.address, 0n, liquidator.address)).to.emit(
          pool,
          "InsolventAccountClosed",
        );
        expect(await reentrant.reentryCount()).to.equal(1n);
        expect(await reentrant.lastReentryReverted()).to.equal(true);
        expect(pool.interface.parseError(await reentrant.lastReentryRevertData())?.name).to.equal(
          "ReentrancyGuardReentrantCall",
        );
        expect(await reentrant.balanceOf(liquidator.address)).to.equal(units(5, 18));
        expect(await pool.debtOf(borrower.address)).to.equal(0n);
      });
    }
  });
});
