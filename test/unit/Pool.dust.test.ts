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
        false,
      );
    expect(await collaterals[0].token.balanceOf(caller.address)).to.equal(
      units("0.08", DECIMALS),
    );
    expect(await pool.debtOf(borrower.address)).to.equal(0n);
  });

  describe("multi-collateral accounts and collateral that cannot be priced or moved", () => {
    const WHOLE = 10n ** 18n;
    const DUST_100 = units(100, DECIMALS);

    /**
     * Borrower 0 holds 1,000 A and 100 B (both priced 1, worth 1,100) and borrows 820 (LTV 75%: limit 825); A then
     * falls to 0.84: collateral 940 > debt 820, health 0.8 × 940 / 820 ≈ 0.917 (< 0.95: full liquidation allowed).
     */
    async function twoCollateralFixture() {
      const fixture = await deployPool({
        collateralDecimals: [18, 18],
        collateralPrices: [1, 1],
        dustThresholdAssets: DUST_100,
      });
      const { pool, lps, borrowers, collaterals } = fixture;
      const borrower = borrowers[0];
      await pool
        .connect(lps[0])
        .deposit(units(10_000, DECIMALS), lps[0].address);
      const [a, b] = await Promise.all(
        collaterals.map((c) => c.token.getAddress()),
      );
      await pool
        .connect(borrower)
        .supplyCollateral(a, 1_000n * WHOLE, borrower.address);
      await pool
        .connect(borrower)
        .supplyCollateral(b, 100n * WHOLE, borrower.address);
      await pool.connect(borrower).borrow(820n * WHOLE, borrower.address);
      await collaterals[0].oracle.setPrice(84n * 10n ** 34n); // 0.84 loan units per A
      return { ...fixture, borrower, a, b };
    }

    it("seizing the big collateral first leaves the dust collateral that still covers the rest of the debt: nothing is written off", async () => {
      const { pool, collaterals, liquidator, borrower, a, b } =
        await loadFixture(twoCollateralFixture);
      const state = await liquidationStateOf(
        pool,
        borrower.address,
        collaterals,
        collaterals[0],
      );
      const quote = quoteLiquidation({
        ...state,
        repayAssets: ethers.MaxUint256,
      });
      expect(quote).to.not.equal(null);
      // All of A (840 of value) for 800 repaid; 20 of debt left against B worth 100 (≤ dust, but ≥ the debt).
      expect(quote?.seizedCollateral).to.equal(1_000n * WHOLE);
      expect(quote?.realizesBadDebt).to.equal(false);

      const totalAssetsBefore = await pool.totalAssets();
      const tx = pool
        .connect(liquidator)
        .liquidate(
          borrower.address,
          a,
          ethers.MaxUint256,
          0,
          liquidator.address,
        );
      await expect(tx).to.not.emit(pool, "BadDebtRealized");
      await expect(tx).to.not.emit(pool, "DustCollateralSwept");
      expect(await pool.totalAssets()).to.equal(totalAssetsBefore);
      expect(await pool.debtOf(borrower.address)).to.equal(
        state.liquidity.debt - (quote?.repaidAssets ?? 0n),
      );
      expect(await pool.collateralOf(borrower.address, b)).to.equal(
        100n * WHOLE,
      );
      // The borrower keeps B and the remaining debt: healthy again (80 of limit against 20 of debt).
      expect(await pool.healthFactor(borrower.address)).to.be.greaterThan(
        10n ** 18n,
      );
    });

    it("refuses collateral its oracle cannot price, so no account can be made unliquidatable with it", async () => {
      const { pool, collaterals, borrowers, b } =
        await loadFixture(twoCollateralFixture);
      const other = borrowers[1];
      await collaterals[1].oracle.setReverting(true);
      await expect(
        pool.connect(other).supplyCollateral(b, 1n, other.address),
      ).to.be.revertedWithCustomError(collaterals[1].oracle, "OracleDown");
      await collaterals[1].oracle.setReverting(false);
      await collaterals[1].oracle.setPrice(0n);
      await expect(pool.connect(other).supplyCollateral(b, 1n, other.address))
        .to.be.revertedWithCustomError(pool, "ZeroPrice")
        .withArgs(b);
    });

    it("credits dust of a token that refuses transfers to the receiver inside the pool instead of blocking the write-off", async () => {
      const fixture = await deployPool({
        collateralPrices: [1],
        dustThresholdAssets: DUST_100,
      });
      const { pool, owner, lps, borrowers, collaterals, liquidator } = fixture;
      const borrower = borrowers[0];
      const pausable = await ethers.deployContract("PausableERC20", [
        "Pausable",
        "PAUSE",
      ]);
      const pausableOracle = await ethers.deployContract("MockPriceOracle");
      await pausableOracle.setPrice(priceE36(1, DECIMALS, DECIMALS));
      const p = await pausable.getAddress();
      await pool.connect(owner).listCollateral(p, {
        oracle: await pausableOracle.getAddress(),
        ltvBps: 7_500,
        liquidationThresholdBps: 8_000,
        liquidationBonusBps: 500,
        supplyCap: 2n ** 128n - 1n,
        enabled: true,
      });
      await pausable.mint(borrower.address, 50n * WHOLE);
      await pausable
        .connect(borrower)
        .approve(await pool.getAddress(), ethers.MaxUint256);
      await pool
        .connect(lps[0])
        .deposit(units(10_000, DECIMALS), lps[0].address);
      const a = await collaterals[0].token.getAddress();
      await pool
        .connect(borrower)
        .supplyCollateral(a, 1_000n * WHOLE, borrower.address);
      await pool
        .connect(borrower)
        .supplyCollateral(p, 50n * WHOLE, borrower.address);
      await pool.connect(borrower).borrow(780n * WHOLE, borrower.address);
      // A halves: seizing all of it repays ≈ 476; ≈ 304 of debt is left against 50 of P (≤ dust, < the debt).
      await collaterals[0].oracle.setPrice(5n * 10n ** 35n);
      await pausable.setTransfersPaused(true);

      const tx = pool
        .connect(liquidator)
        .liquidate(
          borrower.address,
          a,
          ethers.MaxUint256,
          0,
          liquidator.address,
        );
      await expect(tx).to.emit(pool, "BadDebtRealized");
      await expect(tx)
        .to.emit(pool, "DustCollateralSwept")
        .withArgs(borrower.address, p, liquidator.address, 50n * WHOLE, true);
      expect(await pool.collateralOf(borrower.address, p)).to.equal(0n);
      expect(await pool.collateralOf(liquidator.address, p)).to.equal(
        50n * WHOLE,
      );
      expect(await pool.totalCollateral(p)).to.equal(50n * WHOLE);
      expect(await pausable.balanceOf(await pool.getAddress())).to.equal(
        50n * WHOLE,
      );

      // Once the token moves again, the liquidator takes its credit out like any collateral.
      await pausable.setTransfersPaused(false);
      await pool
        .connect(liquidator)
        .withdrawCollateral(p, 50n * WHOLE, liquidator.address);
      expect(await pausable.balanceOf(liquidator.address)).to.equal(
        50n * WHOLE,
      );
      expect(await pool.totalCollateral(p)).to.equal(0n);
    });
  });
});
