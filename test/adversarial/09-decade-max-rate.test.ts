import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, units } from "../helpers/fixtures";
import { liquidationStateOf, totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Ten years at the maximum rate: the rate model answers 1e18 per second (3 × 10^10 % APR); the pool caps it at
 * 1000% APR. Accrued in one step (linear: ×101) or yearly (compounding: ×11^10), the totals follow poolMath to the
 * wei without overflow, and repay, liquidation (with bad-debt realization) and LP exits still work.
 */
describe("Adversarial 9: ten years of accrual at the maximum rate", () => {
  const D = 18;
  const YEAR = 365n * 86_400n;
  const ABSURD_RATE = 10n ** 18n;

  async function maxRateFixture() {
    const fx = await deployPool({ ratePerSecondE18: ABSURD_RATE, mintWholeTokens: 10n ** 15n });
    await fx.pool.connect(fx.lps[0]).deposit(units(1_000_000, D), fx.lps[0].address);
    // A: 1,000 collateral (2M) for 10 — healthy after any decade; B: 1 collateral (2,000) for 1,400.
    await supplyAndBorrow(fx, fx.borrowers[0], units(1_000, D), units(10, D));
    await supplyAndBorrow(fx, fx.borrowers[1], units(1, D), units(1_400, D));
    return fx;
  }

  for (const steps of [1n, 10n]) {
    it(`${steps === 1n ? "one accrual after 10 years" : "ten yearly accruals"}: poolMath's totals, then repay and liquidate work`, async () => {
      const fx = await loadFixture(maxRateFixture);
      const { pool, borrowers, liquidator, collaterals, loanToken, lps } = fx;
      expect(await pool.borrowRatePerSecond()).to.equal(poolMath.MAX_BORROW_RATE_PER_SECOND_E18);
      let expected = await totalsOf(pool);
      let last = await pool.lastAccrualTimestamp();
      const reserveFactor = await pool.reserveFactorBps();
      for (let i = 0n; i < steps; i++) {
        const at = last + (10n * YEAR) / steps;
        await time.setNextBlockTimestamp(at);
        await pool.accrueInterest();
        expected = poolMath.accrue(expected, poolMath.cappedBorrowRate(ABSURD_RATE), at - last, reserveFactor);
        last = at;
        expect(await totalsOf(pool)).to.deep.equal(expected);
      }
      const growth = Number((expected.totalBorrowAssets * 1000n) / units(1_410, D)) / 1000;
      console.log(`      ${steps} accrual(s) over 10 years: borrows grew x${growth}; totals below 2^128: ${expected.totalBorrowAssets < 2n ** 128n}`);

      // B is insolvent: one liquidation realizes its residual debt (poolMath quote).
      const state = await liquidationStateOf(pool, borrowers[1].address, collaterals, collaterals[0]);
      const quote = poolMath.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
      if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: expected a realization");
      await pool
        .connect(liquidator)
        .liquidate(borrowers[1].address, await collaterals[0].token.getAddress(), ethers.MaxUint256, 0n, liquidator.address);
      expect(await pool.borrowSharesOf(borrowers[1].address)).to.equal(0n);
      // A repays everything it owes.
      await loanToken.mint(borrowers[0].address, 10n ** 40n);
      await pool.connect(borrowers[0]).repay(ethers.MaxUint256, borrowers[0].address);
      expect(await pool.borrowSharesOf(borrowers[0].address)).to.equal(0n);
      // The LP exits with what is left.
      const shares = await pool.balanceOf(lps[0].address);
      expect(await pool.maxRedeem(lps[0].address)).to.equal(shares);
      await pool.connect(lps[0]).redeem(shares, lps[0].address, lps[0].address);
      await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
    });
  }
});
