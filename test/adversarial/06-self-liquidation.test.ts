import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import { liquidationStateOf, totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Self-liquidation: the borrower liquidates itself. Its wallet gains exactly the liquidation bonus
 * (seized value − repaid, poolMath's bonusValue) and its position loses exactly the same, so the entity nets 0 on a
 * partial liquidation; on an insolvent position it recovers the bonus an outside liquidator would have earned, and
 * the LPs' loss is identical to the outside liquidator's case.
 */
describe("Adversarial 6: self-liquidation yields nothing beyond the bonus", () => {
  const D = 18;

  async function positionFixture() {
    const fx = await deployPool();
    await fx.pool.connect(fx.lps[0]).deposit(units(100_000, D), fx.lps[0].address);
    await supplyAndBorrow(fx, fx.borrowers[0], units(1, D), units(1_500, D)); // 1 collateral at 2,000
    return fx;
  }

  async function runLiquidation(price: number, self: boolean) {
    const fx = await loadFixture(positionFixture);
    const { pool, collaterals, borrowers, liquidator, loanToken } = fx;
    const borrower = borrowers[0];
    const actor = self ? borrower : liquidator;
    await collaterals[0].oracle.setPrice(priceE36(price, D, D));
    const state = await liquidationStateOf(pool, borrower.address, collaterals, collaterals[0]);
    const quote = poolMath.quoteLiquidation({ ...state, repayAssets: ethers.MaxUint256 });
    if (quote === null) throw new Error("poolMath: not liquidatable");
    const token = collaterals[0].token;
    const loanBefore = await loanToken.balanceOf(actor.address);
    const collateralBefore = await token.balanceOf(actor.address);
    const lpAssetsBefore = await pool.totalAssets();
    await pool.connect(actor).liquidate(borrower.address, await token.getAddress(), ethers.MaxUint256, 0n, actor.address);
    const paid = loanBefore - (await loanToken.balanceOf(actor.address));
    const received = (await token.balanceOf(actor.address)) - collateralBefore;
    expect(paid).to.equal(quote.repaidAssets);
    expect(received).to.equal(quote.seizedCollateral);
    const walletGain = poolMath.valueDown(received, state.priceE36) - paid;
    expect(walletGain).to.equal(quote.bonusValue);
    // The position: collateral value and debt lost by the borrower.
    const debtAfter = await pool.debtOf(borrower.address);
    const positionBefore = poolMath.valueDown(state.collateralBalance, state.priceE36) - state.liquidity.debt;
    const collateralAfter = await pool.collateralOf(borrower.address, await token.getAddress());
    const positionAfter = poolMath.valueDown(collateralAfter, state.priceE36) - debtAfter;
    await expectBooksReconciled(pool, loanToken, [token]);
    return {
      quote,
      walletGain,
      positionChange: positionAfter - positionBefore,
      lpLoss: lpAssetsBefore - (await pool.totalAssets()),
      totals: await totalsOf(pool),
    };
  }

  it("partial self-liquidation: the wallet gains the bonus, the position loses it, the entity nets ~0, LPs lose 0", async () => {
    const self = await runLiquidation(1_850, true); // health 0.986: close factor 50%
    expect(self.quote.realizesBadDebt).to.equal(false);
    expect(self.walletGain).to.be.greaterThan(0n);
    // Valuation rounding of the seized and remaining collateral: at most 1 wei each.
    const net = self.walletGain + self.positionChange;
    expect(net).to.be.at.least(-2n).and.at.most(1n);
    expect(self.lpLoss).to.equal(0n);
    console.log(
      `      self-liquidation (partial): bonus=${ethers.formatUnits(self.walletGain, D)} wallet gain, ` +
        `position change=${ethers.formatUnits(self.positionChange, D)}, entity net=${net} wei, LP loss=0`,
    );
  });

  it("insolvent self-liquidation: the borrower recovers only the bonus; LPs lose exactly what they lose to an outside liquidator", async () => {
    const self = await runLiquidation(1_000, true);
    const outside = await runLiquidation(1_000, false);
    expect(self.quote.realizesBadDebt).to.equal(true);
    expect(self.quote).to.deep.equal(outside.quote);
    expect(self.walletGain).to.equal(outside.walletGain);
    expect(self.lpLoss).to.equal(outside.lpLoss);
    expect(self.totals).to.deep.equal(outside.totals);
    console.log(
      `      self-liquidation (insolvent): entity recovers bonus=${ethers.formatUnits(self.walletGain, D)}, ` +
        `bad debt=${ethers.formatUnits(self.quote.badDebtAssets, D)} (same with an outside liquidator), ` +
        `LP loss=${ethers.formatUnits(self.lpLoss, D)} (outside: ${ethers.formatUnits(outside.lpLoss, D)})`,
    );
  });

  it("a healthy borrower cannot liquidate itself to harvest the bonus: PositionHealthy", async () => {
    const { pool, borrowers, collaterals } = await loadFixture(positionFixture);
    const borrower = borrowers[0];
    const health = await pool.healthFactor(borrower.address);
    await expect(
      pool
        .connect(borrower)
        .liquidate(borrower.address, await collaterals[0].token.getAddress(), ethers.MaxUint256, 0n, borrower.address),
    )
      .to.be.revertedWithCustomError(pool, "PositionHealthy")
      .withArgs(borrower.address, health);
  });
});
