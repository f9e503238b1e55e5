import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import { liquidationStateOf, liquidityOf, totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Dust griefing: an insolvent borrower (or a friend) leaves 1 wei of collateral behind, or adds a second collateral
 * worth dust, or a token that refuses transfers, so that "no collateral left" is never true and the bad debt stays
 * on the books. None of it blocks the realization: a partial seizure may not leave dust (LiquidationLeavesDust), a
 * full one realizes the debt in the same call and sweeps every dust balance to the liquidator (or credits it in the
 * pool if the token refuses), and socializeBadDebt writes off an account whose collateral is worth at most dust.
 */
describe("Adversarial 5: dust griefing cannot block bad-debt realization", () => {
  const D = 18;
  const DUST = units(10, D);

  async function dustFixture() {
    const fx = await deployPool({ dustThresholdAssets: DUST, collateralDecimals: [18, 18], collateralPrices: [100, 1] });
    const { pool, lps, owner, borrowers } = fx;
    await pool.connect(lps[0]).deposit(units(10_000, D), lps[0].address);
    // A transfer-refusing dust token (a blacklist or a paused token), listed at 1 loan unit each.
    const refusingToken = await ethers.deployContract("PausableERC20", ["Refusing", "REF"]);
    const refusingOracle = await ethers.deployContract("MockPriceOracle");
    await refusingOracle.setPrice(priceE36(1, D, D));
    await pool.connect(owner).listCollateral(await refusingToken.getAddress(), {
      oracle: await refusingOracle.getAddress(),
      ltvBps: 7_500,
      liquidationThresholdBps: 8_000,
      liquidationBonusBps: 500,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    });
    await refusingToken.mint(borrowers[0].address, units(1, D));
    await refusingToken.connect(borrowers[0]).approve(await pool.getAddress(), ethers.MaxUint256);
    // Borrower 0: 1 of collateral 0 (worth 100), borrowed 75; price then falls to 50: insolvent by 25.
    await supplyAndBorrow(fx, borrowers[0], units(1, D), units(75, D));
    return { ...fx, refusingToken };
  }

  async function crash(fx: Awaited<ReturnType<typeof dustFixture>>): Promise<void> {
    await fx.collaterals[0].oracle.setPrice(priceE36(50, D, D));
  }

  it("a partial liquidation that would leave 1 wei-worth of dust reverts LiquidationLeavesDust; repaying max realizes at once", async () => {
    const fx = await loadFixture(dustFixture);
    await crash(fx);
    const { pool, borrowers, liquidator, collaterals, loanToken } = fx;
    const collateral = await collaterals[0].token.getAddress();
    const borrower = borrowers[0].address;
    // 45 repaid seizes 0.945 collateral, leaving 0.055 (worth 2.75 ≤ dust) behind 30 of debt.
    const state = await liquidationStateOf(pool, borrower, collaterals, collaterals[0]);
    const seized = poolMath.seizedCollateralDown(units(45, D), 500n, state.priceE36);
    const left = poolMath.valueDown(state.collateralBalance - seized, state.priceE36);
    await expect(pool.connect(liquidator).liquidate(borrower, collateral, units(45, D), 0n, liquidator.address))
      .to.be.revertedWithCustomError(pool, "LiquidationLeavesDust")
      .withArgs(left, DUST);
    const quote = poolMath.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
    if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: no realization");
    await expect(pool.connect(liquidator).liquidate(borrower, collateral, ethers.MaxUint256, 0n, liquidator.address))
      .to.emit(pool, "BadDebtRealized")
      .withArgs(borrower, quote.badDebtAssets, 0n, quote.badDebtAssets, (v: bigint) => v > 0n, (v: bigint) => v > 0n);
    expect(await pool.debtOf(borrower)).to.equal(0n);
    await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
  });

  it("a second collateral worth dust (and a token that refuses transfers) does not block the atomic realization", async () => {
    const fx = await loadFixture(dustFixture);
    const { pool, borrowers, liquidator, collaterals, loanToken, refusingToken } = fx;
    const borrower = borrowers[0];
    const dustCollateral = await collaterals[1].token.getAddress();
    const refusing = await refusingToken.getAddress();
    // The griefer adds 1 wei of collateral 1 and 1 wei of the refusing token, then has the token refuse transfers.
    await pool.connect(borrower).supplyCollateral(dustCollateral, 1n, borrower.address);
    await pool.connect(borrower).supplyCollateral(refusing, 1n, borrower.address);
    await refusingToken.setTransfersPaused(true);
    await crash(fx);
    const collateral = await collaterals[0].token.getAddress();
    const state = await liquidationStateOf(pool, borrower.address, collaterals, collaterals[0]);
    const quote = poolMath.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
    if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: no realization");
    const tx = pool.connect(liquidator).liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, liquidator.address);
    await expect(tx)
      .to.emit(pool, "DustCollateralSwept")
      .withArgs(borrower.address, dustCollateral, liquidator.address, 1n, false);
    await expect(tx)
      .to.emit(pool, "DustCollateralSwept")
      .withArgs(borrower.address, refusing, liquidator.address, 1n, true);
    expect(await pool.debtOf(borrower.address)).to.equal(0n);
    expect(await pool.collateralOf(liquidator.address, refusing)).to.equal(1n);
    await expectBooksReconciled(pool, loanToken, [...collaterals.map((c) => c.token), refusingToken]);
  });

  it("with a zero dust threshold, a few wei of collateral left behind are liquidated and the residual debt realized", async () => {
    const fx = await loadFixture(dustFixture);
    const { pool, owner, borrowers, liquidator, collaterals, loanToken } = fx;
    await pool.connect(owner).setLiquidationParams({
      closeFactorBps: 5_000,
      fullLiquidationHealthFactor: 95n * 10n ** 16n,
      dustThresholdAssets: 0n,
    });
    const borrower = borrowers[0].address;
    const collateral = await collaterals[0].token.getAddress();
    // A crash to 1 leaves 1 collateral worth 1 behind 75 of debt. A liquidator (or the borrower) seizes all but a
    // few wei (the close factor is lifted below 0.95; with a zero threshold wei-dust is not "dust").
    await collaterals[0].oracle.setPrice(priceE36(1, D, D));
    const state = await liquidationStateOf(pool, borrower, collaterals, collaterals[0]);
    const repay = poolMath.repaidForSeizedUp(state.collateralBalance - 1n, 500n, state.priceE36) - 1n;
    const partial = poolMath.quoteLiquidation({ ...state, repayAssets: repay });
    if (partial === null || partial.realizesBadDebt) throw new Error("poolMath: expected a plain partial seizure");
    const leftBehind = state.collateralBalance - partial.seizedCollateral;
    expect(leftBehind).to.be.greaterThan(0n).and.at.most(3n);
    await pool.connect(liquidator).liquidate(borrower, collateral, repay, 0n, liquidator.address);
    expect(await pool.collateralOf(borrower, collateral)).to.equal(leftBehind);
    const liquidity = await liquidityOf(pool, borrower, collaterals);
    expect(poolMath.canSocialize(liquidity, 0n)).to.equal(liquidity.collateralValue === 0n);
    // The last wei: liquidating them realizes the residual debt in the same call.
    const last = await liquidationStateOf(pool, borrower, collaterals, collaterals[0]);
    const quote = poolMath.quoteLiquidation({ ...last, repayAssets: ethers.MaxUint256 });
    if (quote === null || !quote.realizesBadDebt) throw new Error("poolMath: no realization");
    await expect(pool.connect(liquidator).liquidate(borrower, collateral, ethers.MaxUint256, 0n, liquidator.address))
      .to.emit(pool, "Liquidate")
      .withArgs(liquidator.address, borrower, collateral, liquidator.address, quote.repaidAssets, quote.repaidShares, leftBehind, quote.badDebtAssets);
    expect(await pool.borrowSharesOf(borrower)).to.equal(0n);
    await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
  });

  describe("front-running socializeBadDebt", () => {
    /** Borrower 1: 0.1 collateral 0 (worth 10), borrowed 7; the price halves: worth 5 ≤ dust, < debt. */
    async function socializableFixture() {
      const fx = await dustFixture();
      await supplyAndBorrow(fx, fx.borrowers[1], units("0.1", D), units(7, D));
      await crash(fx);
      return fx;
    }

    it("a griefer adding 1 wei still leaves the account socializable; the wei goes to the caller", async () => {
      const fx = await loadFixture(socializableFixture);
      const { pool, borrowers, others, liquidator, collaterals, loanToken } = fx;
      const [griefer] = others;
      const collateral = collaterals[0].token;
      await collateral.mint(griefer.address, 1n);
      await collateral.connect(griefer).approve(await pool.getAddress(), 1n);
      await pool.connect(griefer).supplyCollateral(await collateral.getAddress(), 1n, borrowers[1].address);
      const totals = await totalsOf(pool);
      const shares = await pool.borrowSharesOf(borrowers[1].address);
      const realization = poolMath.realizeBadDebt(totals, shares);
      const before = await collateral.balanceOf(liquidator.address);
      await expect(pool.connect(liquidator).socializeBadDebt(borrowers[1].address))
        .to.emit(pool, "BadDebtRealized")
        .withArgs(
          borrowers[1].address,
          realization.badDebtAssets,
          realization.coveredByReserve,
          realization.socializedAssets,
          (v: bigint) => v > 0n,
          (v: bigint) => v > 0n,
        );
      expect((await collateral.balanceOf(liquidator.address)) - before).to.equal(units("0.1", D) + 1n);
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
    });

    it("a griefer adding more than dust blocks socialize only by collateralizing the debt at its own cost", async () => {
      const fx = await loadFixture(socializableFixture);
      const { pool, borrowers, others, liquidator, collaterals } = fx;
      const [griefer] = others;
      const collateral = collaterals[0].token;
      const gift = units("0.2", D); // worth 10: the account now holds 15 > dust
      await collateral.mint(griefer.address, gift);
      await collateral.connect(griefer).approve(await pool.getAddress(), gift);
      await pool.connect(griefer).supplyCollateral(await collateral.getAddress(), gift, borrowers[1].address);
      const liquidity = await liquidityOf(pool, borrowers[1].address, collaterals);
      await expect(pool.connect(liquidator).socializeBadDebt(borrowers[1].address))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(borrowers[1].address, liquidity.collateralValue, DUST);
      // The debt is now covered (health > 1): nothing is bad, the LPs lose nothing, the griefer's gift backs it.
      expect(liquidity.collateralValue).to.be.greaterThan(liquidity.debt);
      expect(poolMath.healthFactorDown(liquidity.liquidationLimit, liquidity.debt)).to.be.greaterThan(poolMath.WAD);
      expect(await collateral.balanceOf(griefer.address)).to.equal(0n);
    });
  });
});
