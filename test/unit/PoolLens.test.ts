import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as pm from "../../keepers/src/model/poolMath";
import {
  deployPool,
  priceE36,
  units,
  type CollateralSetup,
  type PoolFixture,
} from "../helpers/fixtures";
import {
  liquidityOf,
  shortfallFigures,
  totalsOf,
} from "../helpers/chainReads";
import {
  deployKinkedRateModel,
  ROUND_KINKED_PARAMS,
  supplyAndBorrow,
  supplyCollateral,
} from "../helpers/setup";
import type { KinkedRateModel, Pool } from "../../typechain-types";
import type { AccountViewStructOutput } from "../../typechain-types/contracts/periphery/PoolLens";
import type { RawAccountView } from "../../keepers/src/lensCodec";

// ------------------------------------------------------------------ local helpers

/** A lens entry as plain fields: the shape the keeper's codec decodes. */
type ExpectedView = RawAccountView;

async function expectedView(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
): Promise<ExpectedView> {
  const liquidity = await liquidityOf(pool, account, collaterals);
  // The pool's own view agrees with poolMath.
  const onChain = await pool.accountLiquidity(account);
  expect([
    onChain.collateralValue,
    onChain.borrowLimit,
    onChain.liquidationLimit,
    onChain.debt,
  ]).to.deep.equal([
    liquidity.collateralValue,
    liquidity.borrowLimit,
    liquidity.liquidationLimit,
    liquidity.debt,
  ]);
  return {
    account,
    debt: liquidity.debt,
    collateralValue: liquidity.collateralValue,
    liquidationLimit: liquidity.liquidationLimit,
    healthFactor: pm.healthFactorDown(
      liquidity.liquidationLimit,
      liquidity.debt,
    ),
    liquidatable: liquidity.liquidationLimit < liquidity.debt,
    insolvent: liquidity.collateralValue < liquidity.debt,
    priced: true,
    ...(await shortfallView(pool, account, collaterals)),
  };
}

/** The three shortfall fields of a lens entry: poolMath's recovery value and shortfall, the pool's record. */
async function shortfallView(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
): Promise<Pick<ExpectedView, "recoveryValue" | "shortfall" | "recognizedShortfall">> {
  const figures = await shortfallFigures(pool, account, collaterals);
  // The pool's own view agrees with poolMath.
  expect(await pool.accountShortfall(account)).to.deep.equal([
    figures.shortfall,
    figures.debt,
    figures.recovery,
  ]);
  return {
    recoveryValue: figures.recovery,
    shortfall: figures.shortfall,
    recognizedShortfall: await pool.recognizedShortfall(account),
  };
}

/** `entry`'s three shortfall fields, in order, are what `shortfallView` gives for `account` now. */
async function expectShortfallFields(
  entry: Pick<ExpectedView, "recoveryValue" | "shortfall" | "recognizedShortfall">,
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
): Promise<void> {
  expect([entry.recoveryValue, entry.shortfall, entry.recognizedShortfall]).to.deep.equal(
    Object.values(await shortfallView(pool, account, collaterals)),
  );
}

/** The lens entry of an account without collateral or debt. */
function emptyView(account: string): ExpectedView {
  return {
    account,
    debt: 0n,
    collateralValue: 0n,
    liquidationLimit: 0n,
    healthFactor: ethers.MaxUint256,
    liquidatable: false,
    insolvent: false,
    priced: true,
    recoveryValue: 0n,
    shortfall: 0n,
    recognizedShortfall: 0n,
  };
}

function asPlain(entry: AccountViewStructOutput): ExpectedView {
  return {
    account: entry.account,
    debt: entry.debt,
    collateralValue: entry.collateralValue,
    liquidationLimit: entry.liquidationLimit,
    healthFactor: entry.healthFactor,
    liquidatable: entry.liquidatable,
    insolvent: entry.insolvent,
    priced: entry.priced,
    recoveryValue: entry.recoveryValue,
    shortfall: entry.shortfall,
    recognizedShortfall: entry.recognizedShortfall,
  };
}

const KINKED = ROUND_KINKED_PARAMS;

// ------------------------------------------------------------------ fixtures

const LP_DEPOSIT = units(100_000, 18);

/**
 * Collateral 0: 18 decimals at 2,000 (then 1,800); collateral 1: 8 decimals at 30,000 (then 20,000). Rate 1e9/s.
 *   borrower 0 — healthy: 10 of collateral 0, owes 10,000 (HF ≈ 1.44)
 *   borrower 1 — liquidatable: 10 of collateral 0, owes 14,900 (HF ≈ 0.97, collateral 18,000 > debt)
 *   borrower 2 — insolvent: 1 of collateral 1, owes 22,000 (collateral 20,000 < debt)
 *   lp 1 — collateral (5 of collateral 0), no debt; others[0] — no position at all.
 * Ten days of interest then run without any accrual, so every figure comes from the views' accrual.
 */
async function accountsFixture(): Promise<PoolFixture> {
  const fixture = await deployPool({
    collateralDecimals: [18, 8],
    collateralPrices: [2_000, 30_000],
    ratePerSecondE18: 1_000_000_000n,
  });
  const { pool, lps, borrowers, collaterals } = fixture;
  const [main, btc] = collaterals;
  await pool.connect(lps[0]).deposit(LP_DEPOSIT, lps[0].address);
  const [healthy, liquidatable, insolvent] = borrowers;
  await supplyAndBorrow(fixture, healthy, units(10, 18), units(10_000, 18));
  await supplyAndBorrow(
    fixture,
    liquidatable,
    units(10, 18),
    units(14_900, 18),
  );
  await supplyAndBorrow(
    fixture,
    insolvent,
    [0n, 100_000_000n], // 1 BTC of collateral 1 only
    units(22_000, 18),
  );
  await supplyCollateral(fixture, lps[1], units(5, 18));
  await main.oracle.setPrice(priceE36(1_800, 18, 18));
  await btc.oracle.setPrice(priceE36(20_000, 18, 8));
  await time.increase(10 * 24 * 3600);
  return fixture;
}

/** Default pool on a KinkedRateModel: 100,000 deposited, 60,000 borrowed (60% utilization). */
async function kinkedPool(): Promise<
  PoolFixture & { kinked: KinkedRateModel }
> {
  const fixture = await deployPool();
  const { pool, owner, lps, borrowers } = fixture;
  const kinked = await deployKinkedRateModel(KINKED);
  await pool.connect(owner).setRateModel(await kinked.getAddress());
  await pool.connect(lps[0]).deposit(LP_DEPOSIT, lps[0].address);
  await supplyAndBorrow(
    fixture,
    borrowers[0],
    units(100, 18),
    units(60_000, 18),
  );
  return { ...fixture, kinked };
}

/** A pool nobody has used yet, on a mock rate of 1e9/s. */
async function emptyPool(): Promise<PoolFixture> {
  return deployPool({ ratePerSecondE18: 1_000_000_000n });
}

// ------------------------------------------------------------------ tests

describe("PoolLens", () => {
  describe("accounts", () => {
    it("reports healthy, liquidatable, insolvent and debt-free accounts as the pool values them", async () => {
      const { pool, lens, lps, borrowers, others, collaterals } =
        await loadFixture(accountsFixture);
      const [healthy, liquidatable, insolvent] = borrowers;
      const list = [
        healthy.address,
        liquidatable.address,
        insolvent.address,
        lps[1].address,
        others[0].address,
      ];
      const views = (await lens.accounts(await pool.getAddress(), list)).map(
        asPlain,
      );
      expect(views).to.have.length(list.length);

      const expected: ExpectedView[] = [];
      for (const account of list)
        expected.push(await expectedView(pool, account, collaterals));
      expect(views).to.deep.equal(expected);

      // The interest of the last ten days is in the debts.
      expect(views[0].debt).to.be.gt(units(10_000, 18));
      expect([views[0].liquidatable, views[0].insolvent]).to.deep.equal([
        false,
        false,
      ]);
      expect(views[0].healthFactor).to.be.gt(pm.WAD);
      expect([views[1].liquidatable, views[1].insolvent]).to.deep.equal([
        true,
        false,
      ]);
      expect(views[1].healthFactor).to.be.lt(pm.WAD);
      expect([views[2].liquidatable, views[2].insolvent]).to.deep.equal([
        true,
        true,
      ]);
      expect(views[2].collateralValue).to.equal(units(20_000, 18));
      // Collateral without debt, and nothing at all.
      expect(views[3]).to.deep.equal({
        account: lps[1].address,
        debt: 0n,
        collateralValue: units(9_000, 18),
        liquidationLimit: units(7_200, 18),
        healthFactor: ethers.MaxUint256,
        liquidatable: false,
        insolvent: false,
        priced: true,
        // No debt: no shortfall, whatever the collateral would recover (9,000 / 1.05).
        recoveryValue: pm.repaidForSeizedDown(
          units(5, 18),
          500n,
          priceE36(1_800, 18, 18),
        ),
        shortfall: 0n,
        recognizedShortfall: 0n,
      });
      expect(views[4]).to.deep.equal(emptyView(others[0].address));
      // The insolvent account: 1 BTC at 20,000 recovers 20,000 / 1.05 against a debt above 22,000; not yet recognized.
      expect(views[2].recoveryValue).to.equal(
        pm.repaidForSeizedDown(100_000_000n, 500n, priceE36(20_000, 18, 8)),
      );
      expect(views[2].shortfall).to.equal(
        views[2].debt - views[2].recoveryValue,
      );
      expect(views[2].recognizedShortfall).to.equal(0n);
      // Liquidatable but solvent: no shortfall.
      expect(views[1].shortfall).to.equal(0n);
      // The health factors are the pool's own.
      for (const view of views)
        expect(view.healthFactor).to.equal(
          await pool.healthFactor(view.account),
        );
    });

    it("flags an account whose oracle reverts as unpriced, still gives its debt and its shortfall with the expired collateral at 0, and prices the others", async () => {
      const { pool, lens, borrowers, collaterals } =
        await loadFixture(accountsFixture);
      const [healthy, liquidatable, insolvent] = borrowers;
      await collaterals[1].oracle.setReverting(true);
      await expect(
        pool.accountLiquidity(insolvent.address),
      ).to.be.revertedWithCustomError(collaterals[1].oracle, "OracleDown");

      // Nothing has recorded a BTC price since its listing, ten days ago: the trusted price is older than
      // MAX_TRUSTED_PRICE_AGE, so the BTC is unpriced. The pool's live shortfall view still answers, counting it at 0
      // (as recognition would): the account's only collateral recovers nothing, its whole debt is shortfall.
      const btc = await collaterals[1].token.getAddress();
      const trusted = await pool.lastTrustedPrice(btc);
      expect(trusted.priceE36).to.equal(priceE36(30_000, 18, 8));
      expect(BigInt(await time.latest()) - trusted.updatedAt).to.be.gt(
        pm.MAX_TRUSTED_PRICE_AGE,
      );
      const debt = await pool.debtOf(insolvent.address);
      expect(await pool.accountShortfall(insolvent.address)).to.deep.equal([
        debt,
        debt,
        0n,
      ]);

      const list = [healthy.address, insolvent.address, liquidatable.address];
      const views = (await lens.accounts(await pool.getAddress(), list)).map(
        asPlain,
      );
      // The lens still answers: the debt, zero for every figure it cannot value, and the shortfall figures as the
      // pool's view and poolMath give them (the BTC at 0).
      expect(views[1]).to.deep.equal({
        account: insolvent.address,
        debt,
        collateralValue: 0n,
        liquidationLimit: 0n,
        healthFactor: 0n,
        liquidatable: false,
        insolvent: false,
        priced: false,
        ...(await shortfallView(pool, insolvent.address, collaterals)),
      });
      expect([
        views[1].recoveryValue,
        views[1].shortfall,
        views[1].recognizedShortfall,
      ]).to.deep.equal([0n, debt, 0n]);
      expect(views[1].debt).to.be.gt(units(22_000, 18));
      expect(views[0]).to.deep.equal(
        await expectedView(pool, healthy.address, collaterals),
      );
      expect(views[2]).to.deep.equal(
        await expectedView(pool, liquidatable.address, collaterals),
      );
    });

    it("reports the recognized shortfall after recognizeLosses, and values a failed oracle at the recognized price", async () => {
      const { pool, lens, borrowers, collaterals } =
        await loadFixture(accountsFixture);
      const [healthy, , insolvent] = borrowers;
      const poolAddress = await pool.getAddress();
      await pool.recognizeLosses([insolvent.address, healthy.address]);
      const [view, healthyView] = (
        await lens.accounts(poolAddress, [insolvent.address, healthy.address])
      ).map(asPlain);
      expect(view).to.deep.equal(
        await expectedView(pool, insolvent.address, collaterals),
      );
      expect(healthyView).to.deep.equal(
        await expectedView(pool, healthy.address, collaterals),
      );
      // Recognized in the latest block: the record equals the live figure.
      const recovery = pm.repaidForSeizedDown(
        100_000_000n,
        500n,
        priceE36(20_000, 18, 8),
      );
      expect(view.recoveryValue).to.equal(recovery);
      expect(view.shortfall).to.equal(view.debt - recovery);
      expect(view.recognizedShortfall).to.equal(view.shortfall);
      expect(healthyView.recognizedShortfall).to.equal(0n);

      // The BTC feed fails and MAX_TRUSTED_PRICE_AGE (6 hours) passes: the recognition stored 20,000 as the trusted
      // price, so the live figure keeps valuing the BTC at it that long; the debt (and so the live shortfall) grew by
      // 6 hours' interest; the record did not.
      const btc = await collaterals[1].token.getAddress();
      const trusted = await pool.lastTrustedPrice(btc);
      expect(trusted.priceE36).to.equal(priceE36(20_000, 18, 8));
      await collaterals[1].oracle.setPrice(priceE36(90_000, 18, 8));
      await collaterals[1].oracle.setReverting(true);
      await time.increaseTo(trusted.updatedAt + pm.MAX_TRUSTED_PRICE_AGE);
      const [later] = (
        await lens.accounts(poolAddress, [insolvent.address])
      ).map(asPlain);
      expect(later.priced).to.equal(false);
      expect(later.recoveryValue).to.equal(recovery);
      expect(later.debt).to.be.gt(view.debt);
      expect(later.shortfall).to.equal(later.debt - recovery);
      expect(later.recognizedShortfall).to.equal(view.recognizedShortfall);
      await expectShortfallFields(later, pool, insolvent.address, collaterals);

      // One second later the trusted price has expired: the BTC counts 0, so the live recovery value is 0 and the
      // live shortfall is the whole debt (what a recognition would now record); the record stays until one runs.
      await time.increase(1);
      const [expired] = (
        await lens.accounts(poolAddress, [insolvent.address])
      ).map(asPlain);
      expect(expired.debt).to.be.gt(later.debt);
      expect([
        expired.priced,
        expired.recoveryValue,
        expired.shortfall,
        expired.recognizedShortfall,
      ]).to.deep.equal([false, 0n, expired.debt, view.recognizedShortfall]);
      expect(await pool.accountShortfall(insolvent.address)).to.deep.equal([
        expired.debt,
        expired.debt,
        0n,
      ]);
      await expectShortfallFields(expired, pool, insolvent.address, collaterals);

      // A recognition in the next block records that figure (the debt accrued to that block, the BTC at 0), and the
      // lens reports it as the record.
      const next = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(next);
      const recognized = await shortfallFigures(
        pool,
        insolvent.address,
        collaterals,
        await totalsOf(pool, "pending"),
        next,
      );
      expect(recognized.recovery).to.equal(0n);
      expect(recognized.shortfall).to.equal(recognized.debt);
      await expect(pool.recognizeLosses([insolvent.address]))
        .to.emit(pool, "ShortfallUpdated")
        .withArgs(
          insolvent.address,
          view.recognizedShortfall,
          recognized.shortfall,
          recognized.shortfall,
        );
      const [recorded] = (
        await lens.accounts(poolAddress, [insolvent.address])
      ).map(asPlain);
      expect(recorded.recognizedShortfall).to.equal(recognized.shortfall);
      expect(recorded.shortfall).to.equal(recorded.debt);
    });

    it("answers 500 accounts in one eth_call", async () => {
      const { pool, lens, lps, borrowers, others, collaterals } =
        await loadFixture(accountsFixture);
      const real = new Map<number, string>([
        [0, borrowers[0].address],
        [123, borrowers[1].address],
        [250, borrowers[2].address],
        [377, lps[1].address],
        [499, others[0].address],
      ]);
      const list: string[] = [];
      for (let i = 0; i < 500; i++)
        list.push(
          real.get(i) ??
            ethers.getAddress(ethers.hexlify(ethers.randomBytes(20))),
        );
      expect(new Set(list).size).to.equal(500);

      // Well within a block's gas (30M on Hardhat), so one eth_call serves it.
      expect(
        await lens.accounts.estimateGas(await pool.getAddress(), list),
      ).to.be.lt(30_000_000n);
      const views = (await lens.accounts(await pool.getAddress(), list)).map(
        asPlain,
      );
      expect(views).to.have.length(500);
      for (let i = 0; i < 500; i++) {
        expect(views[i].account).to.equal(list[i]);
        const account = real.get(i);
        if (account !== undefined) {
          expect(views[i]).to.deep.equal(
            await expectedView(pool, account, collaterals),
          );
        } else {
          expect(views[i]).to.deep.equal(emptyView(list[i]));
        }
      }
      expect(
        views.filter((view) => view.liquidatable).map((view) => view.account),
      ).to.deep.equal([borrowers[1].address, borrowers[2].address]);
    });

    it("returns an empty list for no accounts", async () => {
      const { pool, lens } = await loadFixture(accountsFixture);
      expect(await lens.accounts(await pool.getAddress(), [])).to.deep.equal(
        [],
      );
    });
  });

  describe("poolState", () => {
    it("reports cash, borrows, reserve, share price, utilization and rates (hand-computed)", async () => {
      const { pool, lens } = await loadFixture(kinkedPool);
      const state = await lens.poolState(await pool.getAddress());
      expect(state.totalAssets).to.equal(LP_DEPOSIT);
      // Nothing recognized: the entry figures equal the exit figures.
      expect(state.entryTotalAssets).to.equal(LP_DEPOSIT);
      expect(state.totalShortfall).to.equal(0n);
      expect(state.entrySharePrice).to.equal(pm.WAD);
      expect(state.totalSupply).to.equal(LP_DEPOSIT * 1_000_000n); // decimals offset 6
      expect(state.cash).to.equal(units(40_000, 18));
      expect(state.totalBorrowAssets).to.equal(units(60_000, 18));
      expect(state.reserveAssets).to.equal(0n);
      expect(state.sharePrice).to.equal(pm.WAD); // 1 loan unit per 1e24 shares
      expect(state.utilizationE18).to.equal(6n * 10n ** 17n);
      // 1e9 + 4e10 × 0.6
      expect(state.borrowRatePerSecondE18).to.equal(25_000_000_000n);
      // 2.5e10 × 90% × 60,000 / 100,000
      expect(state.supplyRatePerSecondE18).to.equal(13_500_000_000n);
      expect(state.reserveFactorBps).to.equal(1_000n);
      expect(state.paused).to.equal(false);
    });

    it("matches poolMath after interest, a reserve donation and a pause", async () => {
      const { pool, lens, owner, guardian, borrowers } =
        await loadFixture(kinkedPool);
      await time.increase(97 * 24 * 3600 + 13);
      await pool
        .connect(borrowers[0])
        .borrow(units(25_000, 18), borrowers[0].address); // above the kink now
      await time.increase(3_333);
      await pool.connect(owner).donateToReserve(units("1234.5678", 18));
      await pool.connect(guardian).setPaused(true);
      // Accrue in the latest block so that the lens and the pool's views read the stored figures.
      await pool.accrueInterest();

      const totals = await totalsOf(pool);
      const cash = pm.cashOf(totals);
      const rate = pm.cappedBorrowRate(
        pm.kinkedBorrowRatePerSecond(KINKED, cash, totals.totalBorrowAssets),
      );
      const supply = await pool.totalSupply();
      const state = await lens.poolState(await pool.getAddress());

      expect(state.totalAssets).to.equal(totals.totalLpAssets);
      expect(state.totalSupply).to.equal(supply);
      expect(state.cash).to.equal(cash);
      expect(state.cash).to.equal(await pool.cash());
      expect(state.totalBorrowAssets).to.equal(totals.totalBorrowAssets);
      expect(state.reserveAssets).to.equal(totals.reserveAssets);
      expect(state.reserveAssets).to.be.gt(units("1234.5678", 18)); // donation + the reserve's cut of interest
      expect(state.sharePrice).to.equal(
        pm.sharePrice(totals.totalLpAssets, supply, 24n),
      );
      expect(state.sharePrice).to.be.gt(pm.WAD);
      expect(state.utilizationE18).to.equal(
        pm.utilizationE18(cash, totals.totalBorrowAssets),
      );
      expect(state.utilizationE18).to.be.gt(KINKED.kinkE18);
      expect(state.borrowRatePerSecondE18).to.equal(rate);
      // borrowRate × (1 − reserve factor) × borrows / totalAssets, each step rounded down.
      expect(state.supplyRatePerSecondE18).to.equal(
        pm.mulDivDown(
          pm.bpsDown(rate, pm.BPS - 1_000n),
          totals.totalBorrowAssets,
          totals.totalLpAssets,
        ),
      );
      expect(state.paused).to.equal(true);
    });

    it("between accruals, reports the rate the next accrual will charge", async () => {
      const { pool, lens, borrowers } = await loadFixture(kinkedPool);
      await pool
        .connect(borrowers[0])
        .borrow(units(25_000, 18), borrowers[0].address); // 85% utilization
      const stored = await totalsOf(pool);
      const last = await pool.lastAccrualTimestamp();
      await time.increaseTo(last + 30n * 24n * 3600n);

      const state = await lens.poolState(await pool.getAddress());
      const storedRate = pm.kinkedBorrowRatePerSecond(
        KINKED,
        pm.cashOf(stored),
        stored.totalBorrowAssets,
      );
      expect(state.borrowRatePerSecondE18).to.equal(storedRate);
      expect(state.borrowRatePerSecondE18).to.equal(
        await pool.borrowRatePerSecond(),
      );
      // Borrows and utilization include the interest accrued so far.
      const accrued = pm.accrue(stored, storedRate, 30n * 24n * 3600n, 1_000n);
      expect(state.totalBorrowAssets).to.equal(accrued.totalBorrowAssets);
      expect(state.totalAssets).to.equal(accrued.totalLpAssets);
      expect(state.utilizationE18).to.equal(
        pm.utilizationE18(state.cash, accrued.totalBorrowAssets),
      );
      expect(state.supplyRatePerSecondE18).to.equal(
        pm.mulDivDown(
          pm.bpsDown(storedRate, pm.BPS - 1_000n),
          accrued.totalBorrowAssets,
          accrued.totalLpAssets,
        ),
      );

      // The next accrual charges exactly that rate for the elapsed period.
      await time.setNextBlockTimestamp(last + 30n * 24n * 3600n + 1n);
      const interest = pm.interestOf(
        stored.totalBorrowAssets,
        storedRate,
        30n * 24n * 3600n + 1n,
        1_000n,
      );
      await expect(pool.accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(storedRate, interest.interest, interest.reserveShare);
    });

    it("reports the exit figures net of the recognized shortfall, the entry figures and the total shortfall", async () => {
      const { pool, lens, borrowers, collaterals } =
        await loadFixture(accountsFixture);
      const insolvent = borrowers[2].address;
      // Recognition accrues in its block, so the lens reads the stored figures in the latest block.
      await pool.recognizeLosses([insolvent]);
      const totals = await totalsOf(pool);
      const { shortfall } = await shortfallFigures(pool, insolvent, collaterals);
      expect(totals.totalShortfallAssets).to.equal(shortfall);
      expect(shortfall).to.be.gt(totals.reserveAssets);
      const supply = await pool.totalSupply();
      const exit = pm.exitAssetsOf(totals);
      expect(exit).to.equal(
        totals.totalLpAssets - (shortfall - totals.reserveAssets),
      );

      const state = await lens.poolState(await pool.getAddress());
      expect(state.totalAssets).to.equal(exit);
      expect(state.totalAssets).to.equal(await pool.totalAssets());
      expect(state.entryTotalAssets).to.equal(totals.totalLpAssets);
      expect(state.entryTotalAssets).to.equal(await pool.entryTotalAssets());
      expect(state.totalShortfall).to.equal(shortfall);
      expect(state.sharePrice).to.equal(pm.sharePrice(exit, supply, 24n));
      expect(state.entrySharePrice).to.equal(
        pm.sharePrice(totals.totalLpAssets, supply, 24n),
      );
      expect(state.entrySharePrice).to.be.gt(state.sharePrice);
      expect(state.entrySharePrice).to.equal(await pool.entrySharePrice());
      // The supply rate is quoted on the exit figure.
      expect(state.supplyRatePerSecondE18).to.equal(
        pm.mulDivDown(
          pm.bpsDown(state.borrowRatePerSecondE18, pm.BPS - 1_000n),
          totals.totalBorrowAssets,
          exit,
        ),
      );
    });

    it("reports a zero supply rate for an empty pool", async () => {
      const { pool, lens } = await loadFixture(emptyPool);
      const state = await lens.poolState(await pool.getAddress());
      expect(state.totalAssets).to.equal(0n);
      expect(state.entryTotalAssets).to.equal(0n);
      expect(state.totalShortfall).to.equal(0n);
      expect(state.entrySharePrice).to.equal(pm.sharePrice(0n, 0n, 24n));
      expect(state.totalSupply).to.equal(0n);
      expect(state.cash).to.equal(0n);
      expect(state.totalBorrowAssets).to.equal(0n);
      expect(state.reserveAssets).to.equal(0n);
      expect(state.sharePrice).to.equal(pm.sharePrice(0n, 0n, 24n));
      expect(state.utilizationE18).to.equal(0n);
      expect(state.borrowRatePerSecondE18).to.equal(1_000_000_000n);
      expect(state.supplyRatePerSecondE18).to.equal(0n);
    });
  });
});
