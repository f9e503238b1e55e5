import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import { liquidationStateOf, totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBooksReconciled } from "./reconcile";

/**
 * A pause (guardian) must not trap funds or stop losses from being realized: while paused, repay, liquidate,
 * socializeBadDebt, withdraw, redeem (and their bounded variants) and withdrawCollateral all succeed with poolMath's
 * amounts; only deposit, mint, borrow and supplyCollateral revert Paused.
 */
describe("Adversarial 11: pause never traps repay, liquidate, socialize, withdraw, redeem, withdrawCollateral", () => {
  const D = 18;
  const DUST = units(1, D);

  async function pausedFixture() {
    const fx = await deployPool({ dustThresholdAssets: DUST, collateralPrices: [100] });
    const { pool, lps, borrowers, guardian, collaterals } = fx;
    await pool.connect(lps[0]).deposit(units(10_000, D), lps[0].address);
    await supplyAndBorrow(fx, borrowers[0], units(1, D), units(75, D)); // liquidatable after the drop
    await supplyAndBorrow(fx, borrowers[1], units("0.01", D), units("0.7", D)); // socializable after the drop
    await supplyAndBorrow(fx, borrowers[2], units(10, D), units(100, D)); // healthy
    await collaterals[0].oracle.setPrice(priceE36(50, D, D));
    await pool.connect(guardian).setPaused(true);
    return fx;
  }

  it("entries that add risk revert Paused; maxDeposit and maxMint are 0", async () => {
    const { pool, lps, borrowers, collaterals } = await loadFixture(pausedFixture);
    const collateral = await collaterals[0].token.getAddress();
    await expect(pool.connect(lps[1]).deposit(1n, lps[1].address)).to.be.revertedWithCustomError(pool, "Paused");
    await expect(pool.connect(lps[1]).mint(1n, lps[1].address)).to.be.revertedWithCustomError(pool, "Paused");
    await expect(pool.connect(borrowers[2]).borrow(1n, borrowers[2].address)).to.be.revertedWithCustomError(pool, "Paused");
    await expect(
      pool.connect(borrowers[2]).supplyCollateral(collateral, 1n, borrowers[2].address),
    ).to.be.revertedWithCustomError(pool, "Paused");
    expect(await pool.maxDeposit(lps[1].address)).to.equal(0n);
    expect(await pool.maxMint(lps[1].address)).to.equal(0n);
  });

  it("while paused: liquidate (realizing bad debt), socialize, repay, withdrawCollateral, withdraw and redeem all succeed", async () => {
    const fx = await loadFixture(pausedFixture);
    const { pool, lps, borrowers, liquidator, collaterals, loanToken } = fx;
    const collateral = await collaterals[0].token.getAddress();
    expect(await pool.paused()).to.equal(true);

    const state = await liquidationStateOf(pool, borrowers[0].address, collaterals, collaterals[0]);
    const quote = poolMath.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
    if (quote === null) throw new Error("poolMath: not liquidatable");
    await expect(pool.connect(liquidator).liquidate(borrowers[0].address, collateral, ethers.MaxUint256, 0n, liquidator.address))
      .to.emit(pool, "Liquidate")
      .withArgs(
        liquidator.address,
        borrowers[0].address,
        collateral,
        liquidator.address,
        quote.repaidAssets,
        quote.repaidShares,
        quote.seizedCollateral,
        quote.badDebtAssets,
      );
    expect(quote.badDebtAssets).to.be.greaterThan(0n);

    const realization = poolMath.realizeBadDebt(await totalsOf(pool), await pool.borrowSharesOf(borrowers[1].address));
    await pool.connect(liquidator).socializeBadDebt(borrowers[1].address);
    expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);

    await pool.connect(borrowers[2]).repay(units(50, D), borrowers[2].address);
    await pool.connect(borrowers[2]).repay(ethers.MaxUint256, borrowers[2].address);
    await pool.connect(borrowers[2]).withdrawCollateral(collateral, units(10, D), borrowers[2].address);

    const lp = lps[0];
    const shares = await pool.balanceOf(lp.address);
    await pool.connect(lp).withdraw(units(100, D), lp.address, lp.address);
    await pool.connect(lp).withdrawWithMaxShares(units(100, D), lp.address, lp.address, ethers.MaxUint256);
    await pool.connect(lp).redeemWithMinAssets(shares / 4n, lp.address, lp.address, 0n);
    const rest = await pool.balanceOf(lp.address);
    const payout = poolMath.lpAssetsDown(rest, await pool.totalAssets(), await pool.totalSupply());
    await expect(pool.connect(lp).redeem(rest, lp.address, lp.address))
      .to.emit(pool, "Withdraw")
      .withArgs(lp.address, lp.address, lp.address, payout, rest);
    expect(await pool.balanceOf(lp.address)).to.equal(0n);
    expect(await pool.paused()).to.equal(true);
    await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
  });
});
