import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, units } from "../helpers/fixtures";
import { expectBooksReconciled } from "./reconcile";

/**
 * Values near the type bounds: LP assets near uint128 max, supply caps at uint128 max, prices near uint248 max.
 * Each is either accepted with exact results or refused with a named custom error, never a panic. (This suite found
 * that donateToReserve panicked past uint128 max; the reserve is now summed in uint256 before the checked downcast.)
 */
describe("Adversarial 10: extreme values near type bounds", () => {
  const MAX_UINT128 = 2n ** 128n - 1n;
  const MAX_UINT248 = 2n ** 248n - 1n;

  async function hugeFixture() {
    const fx = await deployPool();
    for (const actor of [...fx.lps, ...fx.borrowers, fx.liquidator]) {
      await fx.loanToken.mint(actor.address, 2n ** 130n);
      await fx.collaterals[0].token.mint(actor.address, 2n ** 130n);
    }
    return fx;
  }

  it("a deposit up to uint128 max is exact; one wei more reverts ERC4626ExceededMaxDeposit", async () => {
    const { pool, lps, loanToken, collaterals } = await loadFixture(hugeFixture);
    const max = await pool.maxDeposit(lps[0].address);
    expect(max).to.equal(MAX_UINT128);
    await expect(pool.connect(lps[0]).deposit(max + 1n, lps[0].address))
      .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxDeposit")
      .withArgs(lps[0].address, max + 1n, max);
    await pool.connect(lps[0]).deposit(max - 1n, lps[0].address);
    expect(await pool.balanceOf(lps[0].address)).to.equal(poolMath.lpSharesDown(max - 1n, 0n, 0n));
    await expect(pool.connect(lps[1]).deposit(2n, lps[1].address))
      .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxDeposit")
      .withArgs(lps[1].address, 2n, 1n);
    const shares = await pool.balanceOf(lps[0].address);
    await pool.connect(lps[0]).redeem(shares, lps[0].address, lps[0].address);
    expect(await pool.totalAssets()).to.equal(0n);
    await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
  });

  it("supply cap at uint128 max: supplying it all works, one more wei reverts SupplyCapExceeded", async () => {
    const { pool, borrowers, collaterals } = await loadFixture(hugeFixture);
    const collateral = await collaterals[0].token.getAddress();
    await pool.connect(borrowers[0]).supplyCollateral(collateral, MAX_UINT128, borrowers[0].address);
    await expect(pool.connect(borrowers[1]).supplyCollateral(collateral, 1n, borrowers[1].address))
      .to.be.revertedWithCustomError(pool, "SupplyCapExceeded")
      .withArgs(collateral, MAX_UINT128 + 1n, MAX_UINT128);
    await pool.connect(borrowers[0]).withdrawCollateral(collateral, MAX_UINT128, borrowers[0].address);
    expect(await pool.totalCollateral(collateral)).to.equal(0n);
  });

  it("price at uint248 max: 1 wei of collateral is valued exactly and borrowable against; above it the oracle refuses", async () => {
    const { pool, lps, borrowers, collaterals, loanToken } = await loadFixture(hugeFixture);
    const { oracle, token } = collaterals[0];
    await expect(oracle.setPrice(MAX_UINT248 + 1n))
      .to.be.revertedWithCustomError(oracle, "PriceTooLarge")
      .withArgs(MAX_UINT248 + 1n);
    await oracle.setPrice(MAX_UINT248);
    await pool.connect(lps[0]).deposit(MAX_UINT128 - 1n, lps[0].address);
    await pool.connect(borrowers[0]).supplyCollateral(await token.getAddress(), 1n, borrowers[0].address);
    const value = poolMath.valueDown(1n, MAX_UINT248);
    const liquidity = await pool.accountLiquidity(borrowers[0].address);
    expect(liquidity.collateralValue).to.equal(value);
    expect(liquidity.borrowLimit).to.equal(poolMath.bpsDown(value, 7_500n));
    await pool.connect(borrowers[0]).borrow(units(1_000_000, 18), borrowers[0].address);
    expect(await pool.healthFactor(borrowers[0].address)).to.equal(
      poolMath.healthFactorDown(poolMath.bpsDown(value, 8_000n), await pool.debtOf(borrowers[0].address)),
    );
    await expectBooksReconciled(pool, loanToken, [token]);
  });

  it("a borrow whose 10^6-per-asset borrow shares exceed uint128 reverts SafeCastOverflowedUintDowncast, not a panic", async () => {
    const { pool, lps, borrowers, collaterals } = await loadFixture(hugeFixture);
    const { oracle, token } = collaterals[0];
    await oracle.setPrice(MAX_UINT248);
    await pool.connect(lps[0]).deposit(MAX_UINT128 - 1n, lps[0].address);
    await pool.connect(borrowers[0]).supplyCollateral(await token.getAddress(), 1n, borrowers[0].address);
    const assets = 3n * 10n ** 38n; // within cash and the borrow limit (3.4e38)
    const shares = poolMath.toSharesUp(assets, 0n, 0n);
    await expect(pool.connect(borrowers[0]).borrow(assets, borrowers[0].address))
      .to.be.revertedWithCustomError(pool, "SafeCastOverflowedUintDowncast")
      .withArgs(128, shares);
  });

  it("donateToReserve past uint128 max reverts SafeCastOverflowedUintDowncast, not a panic", async () => {
    const { pool, lps } = await loadFixture(hugeFixture);
    await pool.connect(lps[0]).donateToReserve(MAX_UINT128);
    await expect(pool.connect(lps[1]).donateToReserve(1n))
      .to.be.revertedWithCustomError(pool, "SafeCastOverflowedUintDowncast")
      .withArgs(128, MAX_UINT128 + 1n);
    // An amount that does not fit in uint128 on its own is refused the same way (the sum is what overflows).
    await expect(pool.connect(lps[1]).donateToReserve(MAX_UINT128 + 1n))
      .to.be.revertedWithCustomError(pool, "SafeCastOverflowedUintDowncast")
      .withArgs(128, MAX_UINT128 + MAX_UINT128 + 1n);
  });
});
