import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import { liquidationStateOf, totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBooksReconciled } from "./reconcile";

/**
 * 6-, 8- and 18-decimal loan/collateral pairs, full flow: deposits, a borrow, 30 days of interest, a crash, a
 * liquidation that realizes bad debt, and the LPs' exit. Every step equals poolMath to the wei, and the pool's
 * balances equal its books at the end.
 */
describe("Adversarial 8: 6/8/18-decimals pairs, full flow with bad-debt realization", () => {
  const RATE = 3_170_979_198n; // ≈ 10% APR
  const PAIRS: [number, number][] = [
    [6, 8],
    [6, 18],
    [8, 6],
    [8, 18],
    [18, 6],
    [18, 8],
  ];

  for (const [loanDecimals, collateralDecimals] of PAIRS) {
    it(`loan ${loanDecimals} / collateral ${collateralDecimals} decimals: chain = poolMath at every step`, async () => {
      const fixture = async () => {
        const fx = await deployPool({
          loanDecimals,
          collateralDecimals: [collateralDecimals],
          collateralPrices: [2_000],
          ratePerSecondE18: RATE,
        });
        await fx.pool.connect(fx.lps[0]).deposit(units(100_000, loanDecimals), fx.lps[0].address);
        await fx.pool.connect(fx.lps[1]).deposit(units(50_000, loanDecimals), fx.lps[1].address);
        await supplyAndBorrow(fx, fx.borrowers[0], units(10, collateralDecimals), units(14_000, loanDecimals));
        return fx;
      };
      const fx = await loadFixture(fixture);
      const { pool, borrowers, liquidator, collaterals, loanToken, lps } = fx;
      // 30 days of interest, predicted by poolMath.accrue.
      const before = await totalsOf(pool);
      const last = await pool.lastAccrualTimestamp();
      const at = last + 30n * 86_400n;
      await time.setNextBlockTimestamp(at);
      await pool.accrueInterest();
      const accrued = poolMath.accrue(before, RATE, at - last, await pool.reserveFactorBps());
      expect(await totalsOf(pool)).to.deep.equal(accrued);
      // The crash: 2,000 → 1,000; 10 collateral now worth 10,000 against 14,000+ of debt.
      await collaterals[0].oracle.setPrice(priceE36(1_000, loanDecimals, collateralDecimals));
      await time.setNextBlockTimestamp(at + 10n);
      const atLiquidation = poolMath.accrue(accrued, RATE, 10n, await pool.reserveFactorBps());
      const state = await liquidationStateOf(pool, borrowers[0].address, collaterals, collaterals[0], atLiquidation);
      const quote = poolMath.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
      if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: expected a realization");
      const afterRepay = {
        ...atLiquidation,
        totalBorrowAssets: atLiquidation.totalBorrowAssets - quote.repaidAssets,
        totalBorrowShares: atLiquidation.totalBorrowShares - quote.repaidShares,
      };
      const realization = poolMath.realizeBadDebt(afterRepay, state.borrowShares - quote.repaidShares);
      expect(realization.badDebtAssets).to.equal(quote.badDebtAssets);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrowers[0].address, await collaterals[0].token.getAddress(), ethers.MaxUint256, 0n, liquidator.address),
      )
        .to.emit(pool, "BadDebtRealized")
        .withArgs(
          borrowers[0].address,
          realization.badDebtAssets,
          realization.coveredByReserve,
          realization.socializedAssets,
          (v: bigint) => v > 0n,
          (v: bigint) => v > 0n,
        );
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      await expectBooksReconciled(pool, loanToken, [collaterals[0].token]);
      // Both LPs exit with poolMath's payouts.
      for (const lp of [lps[0], lps[1]]) {
        const shares = await pool.balanceOf(lp.address);
        const payout = poolMath.lpAssetsDown(shares, await pool.totalAssets(), await pool.totalSupply());
        const wallet = await loanToken.balanceOf(lp.address);
        await pool.connect(lp).redeem(shares, lp.address, lp.address);
        expect((await loanToken.balanceOf(lp.address)) - wallet).to.equal(payout);
      }
      await expectBooksReconciled(pool, loanToken, [collaterals[0].token]);
    });
  }
});
