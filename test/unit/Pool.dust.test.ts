import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import {
  liquidationStateOf,
  type LiquidationState,
} from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import {
  canSocialize,
  quoteLiquidation,
  seizedCollateralDown,
  valueDown,
} from "../../keepers/src/model/poolMath";

/**
 * The dust rules that stop a liquidator or a borrower from turning a dust threshold into a write-off of debt that
 * collateral could still cover.
 */
describe("Pool: dust rules", () => {
  const DECIMALS = 18;
  const DUST = units(10, DECIMALS); // 10 loan units

  async function dustPoolFixture() {
    const fixture = await deployPool({
      dustThresholdAssets: DUST,
      collateralPrices: [100],
    });
    const { pool, lps, collaterals } = fixture;
    const collateral = await collaterals[0].token.getAddress();
    await pool.connect(lps[0]).deposit(units(10_000, DECIMALS), lps[0].address);
    return { ...fixture, collateral };
  }

  /** Borrower 0: 1 collateral (worth 100), borrowed 75 (the LTV); the price then fell to 85: debt 75 > limit 68. */
  async function underwaterFixture() {
    const fixture = await dustPoolFixture();
    await supplyAndBorrow(
      fixture,
      fixture.borrowers[0],
      units(1, DECIMALS),
      units(75, DECIMALS),
    );
    await fixture.collaterals[0].oracle.setPrice(
      priceE36(85, DECIMALS, DECIMALS),
    );
    return fixture;
  }

  /** Borrower 0: 0.08 collateral worth 8 (≤ dust 10), borrowed 5 (≤ LTV 6): healthy, solvent, at or below dust. */
  async function smallLoanFixture() {
    const fixture = await dustPoolFixture();
    await supplyAndBorrow(
      fixture,
      fixture.borrowers[0],
      units("0.08", DECIMALS),
      units(5, DECIMALS),
    );
    return fixture;
  }

  /** The liquidation state of `borrower` on collateral 0, read from the chain (state accrued in this block). */
  async function stateOf(
    fixture: Awaited<ReturnType<typeof dustPoolFixture>>,
    borrower: string,
  ): Promise<LiquidationState> {
    const { pool, collaterals } = fixture;
    return liquidationStateOf(pool, borrower, collaterals, collaterals[0]);
  }

  it("rejects a partial seizure that would leave debt with only dust collateral (LiquidationLeavesDust)", async () => {
    const fixture = await loadFixture(underwaterFixture);
    const { pool, borrowers, liquidator, collateral } = fixture;
    const borrower = borrowers[0];
    // Collateral 85 > debt 75. Repaying 70 seizes 73.5 of 85: 11.5 left (> dust) is fine; repaying 72 seizes
    // 75.6, leaving 9.4 ≤ dust.
    const inputs = await stateOf(fixture, borrower.address);
    const repay = units(72, DECIMALS);
    expect(quoteLiquidation({ ...inputs, repayAssets: repay })).to.equal(null);
    const seized = seizedCollateralDown(
      repay,
      inputs.bonusBps,
      inputs.priceE36,
    );
    const remainingValue = valueDown(
      units(1, DECIMALS) - seized,
      inputs.priceE36,
    );
    await expect(
      pool
        .connect(liquidator)
        .liquidate(borrower.address, collateral, repay, 0, liquidator.address),
    )
      .to.be.revertedWithCustomError(pool, "LiquidationLeavesDust")
      .withArgs(remainingValue, DUST);
  });

  it("lets the liquidator repay more to seize the whole balance; nothing is written off when collateral covers the debt", async () => {
    const { pool, borrowers, liquidator, collateral, loanToken } =
      await loadFixture(underwaterFixture);
    const borrower = borrowers[0];
    const totalAssetsBefore = await pool.totalAssets();
    const liquidatorLoanBefore = await loanToken.balanceOf(liquidator.address);
    const tx = pool
      .connect(liquidator)
      .liquidate(
        borrower.address,
        collateral,
        ethers.MaxUint256,
        0,
        liquidator.address,
      );
    await expect(tx).to.not.emit(pool, "BadDebtRealized");
    await expect(tx).to.emit(pool, "Liquidate");
    // The whole debt (75 + accrued 0) was repaid; the borrower keeps 85 − 78.75 = 6.25 of collateral value.
    expect(await pool.debtOf(borrower.address)).to.equal(0n);
    expect(
      liquidatorLoanBefore - (await loanToken.balanceOf(liquidator.address)),
    ).to.equal(units(75, DECIMALS));
    expect(await pool.totalAssets()).to.equal(totalAssetsBefore);
  });

  it("refuses to socialize a solvent dust account (CollateralCoversDebt): a small loan cannot be written off by its borrower", async () => {
    const fixture = await loadFixture(smallLoanFixture);
    const { pool, borrowers } = fixture;
    const borrower = borrowers[0];
    const inputs = await stateOf(fixture, borrower.address);
    expect(canSocialize(inputs.liquidity, DUST)).to.equal(false);
    await expect(pool.connect(borrower).socializeBadDebt(borrower.address))
      .to.be.revertedWithCustomError(pool, "CollateralCoversDebt")
      .withArgs(borrower.address, units(8, DECIMALS), units(5, DECIMALS));
  });

  it("socializes the same account once its collateral is worth less than its debt", async () => {
    const fixture = await loadFixture(smallLoanFixture);
    const { pool, borrowers, collaterals, collateral, others } = fixture;
    const borrower = borrowers[0];
    const caller = others[0];
    await collaterals[0].oracle.setPrice(priceE36(50, DECIMALS, DECIMALS)); // collateral worth 4 < debt 5

    const inputs = await stateOf(fixture, borrower.address);
    expect(canSocialize(inputs.liquidity, DUST)).to.equal(true);
    await expect(pool.connect(caller).socializeBadDebt(borrower.address))
      .to.emit(pool, "DustCollateralSwept")
      .withArgs(
        borrower.address,
        collateral,
        caller.address,
        units("0.08", DECIMALS),
      );
    expect(await collaterals[0].token.balanceOf(caller.address)).to.equal(
      units("0.08", DECIMALS),
    );
    expect(await pool.debtOf(borrower.address)).to.equal(0n);
  });
});
