import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { priceE36 } from "../helpers/fixtures";
import { createPoolFor, listWithMockOracle } from "./poolSetup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Tokens that do not deliver what a transfer says. The pool measures every pull (`_pullExact`: balance after −
 * balance before must equal the amount) and reverts FeeOnTransferNotSupported otherwise; it never reads its balance
 * for accounting, so tokens that appear in it without a call (a positive rebase) are ignored, and tokens that vanish
 * from it (a negative rebase) are not noticed: the shortfall falls on whoever exits last.
 */
describe("Adversarial 3: fee-on-transfer and rebasing tokens", () => {
  const WHOLE = 10n ** 18n;
  const FEE_BPS = 100n; // 1%

  async function feeOnTransferFixture() {
    const [, lp, borrower, liquidator] = await ethers.getSigners();
    const loanToken = await ethers.deployContract("FeeOnTransferERC20", ["Fee Dollar", "FUSD", 0]);
    const feeCollateral = await ethers.deployContract("FeeOnTransferERC20", ["Fee Collateral", "FCOL", FEE_BPS]);
    const collateral = await ethers.deployContract("MockERC20", ["Collateral", "COL", 18]);
    const { pool } = await createPoolFor(await loanToken.getAddress());
    const poolAddress = await pool.getAddress();
    const oracle = await listWithMockOracle(pool, await collateral.getAddress(), priceE36(1, 18, 18));
    await listWithMockOracle(pool, await feeCollateral.getAddress(), priceE36(1, 18, 18));
    for (const signer of [lp, borrower, liquidator]) {
      for (const token of [loanToken, feeCollateral, collateral]) {
        await token.mint(signer.address, 1_000_000n * WHOLE);
        await token.connect(signer).approve(poolAddress, ethers.MaxUint256);
      }
    }
    // While the fee is 0 the token behaves: an LP deposits, a borrower borrows 75 against 100 (the LTV).
    await pool.connect(lp).deposit(10_000n * WHOLE, lp.address);
    await pool.connect(borrower).supplyCollateral(await collateral.getAddress(), 100n * WHOLE, borrower.address);
    await pool.connect(borrower).borrow(75n * WHOLE, borrower.address);
    await loanToken.setFeeBps(FEE_BPS);
    return { pool, loanToken, feeCollateral, collateral, oracle, lp, borrower, liquidator };
  }

  it("every pull of a fee-on-transfer loan token is refused: deposit, mint, donateToReserve, repay, liquidate", async () => {
    const { pool, loanToken, collateral, oracle, lp, borrower, liquidator } = await loadFixture(feeOnTransferFixture);
    const token = await loanToken.getAddress();
    const amount = 1_000n * WHOLE;
    const received = amount - (amount * FEE_BPS) / 10_000n;
    await expect(pool.connect(lp).deposit(amount, lp.address))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(token, amount, received);
    const mintAssets = await pool.previewMint(10n ** 24n);
    await expect(pool.connect(lp).mint(10n ** 24n, lp.address))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(token, mintAssets, mintAssets - (mintAssets * FEE_BPS) / 10_000n);
    await expect(pool.connect(lp).donateToReserve(amount))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(token, amount, received);
    // Once the fee is on, the debt can be neither repaid nor liquidated (both pull the loan token).
    const debt = await pool.debtOf(borrower.address);
    await expect(pool.connect(borrower).repay(ethers.MaxUint256, borrower.address))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(token, debt, debt - (debt * FEE_BPS) / 10_000n);
    await oracle.setPrice(priceE36(85, 18, 20));
    await expect(
      pool.connect(liquidator).liquidate(borrower.address, await collateral.getAddress(), ethers.MaxUint256, 0n, liquidator.address),
    ).to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported");
    await expectBooksReconciled(pool, loanToken, [collateral]);
  });

  it("outgoing transfers are not pulls: a withdrawal pays the fee out of what the LP receives, the books stay exact", async () => {
    const { pool, loanToken, collateral, lp } = await loadFixture(feeOnTransferFixture);
    const assets = 1_000n * WHOLE;
    const before = await loanToken.balanceOf(lp.address);
    await pool.connect(lp).withdraw(assets, lp.address, lp.address);
    expect((await loanToken.balanceOf(lp.address)) - before).to.equal(assets - (assets * FEE_BPS) / 10_000n);
    await expectBooksReconciled(pool, loanToken, [collateral]);
  });

  it("a fee-on-transfer collateral is refused at supplyCollateral", async () => {
    const { pool, feeCollateral, borrower } = await loadFixture(feeOnTransferFixture);
    const amount = 10n * WHOLE;
    await expect(pool.connect(borrower).supplyCollateral(await feeCollateral.getAddress(), amount, borrower.address))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(await feeCollateral.getAddress(), amount, amount - (amount * FEE_BPS) / 10_000n);
    expect(await pool.totalCollateral(await feeCollateral.getAddress())).to.equal(0n);
  });

  // ------------------------------------------------------------------------------------------------ rebasing

  const INDEX_UNIT = 10n ** 18n;

  async function rebasingFixture() {
    const [, lp1, lp2] = await ethers.getSigners();
    const loanToken = await ethers.deployContract("RebasingERC20", ["Rebasing Dollar", "RUSD"]);
    const { pool } = await createPoolFor(await loanToken.getAddress());
    for (const signer of [lp1, lp2]) {
      await loanToken.mint(signer.address, 1_000_000n * WHOLE);
      await loanToken.connect(signer).approve(await pool.getAddress(), ethers.MaxUint256);
    }
    // At index 1 the token is an ordinary ERC20: both deposits are booked exactly.
    await pool.connect(lp1).deposit(1_000n * WHOLE, lp1.address);
    await pool.connect(lp2).deposit(1_000n * WHOLE, lp2.address);
    return { pool, loanToken, lp1, lp2 };
  }

  it("rebasing up: the pool ignores the extra tokens (share price unchanged, LPs get none of the rebase)", async () => {
    const { pool, loanToken, lp1 } = await loadFixture(rebasingFixture);
    await expectBooksReconciled(pool, loanToken, []);
    const sharePrice = await pool.sharePrice();
    await loanToken.setIndexE18((11n * INDEX_UNIT) / 10n); // +10%
    const surplus = (await loanToken.balanceOf(await pool.getAddress())) - (await pool.cash());
    expect(surplus).to.equal(200n * WHOLE);
    expect(await pool.sharePrice()).to.equal(sharePrice);
    expect(await pool.totalAssets()).to.equal(2_000n * WHOLE);
    // The surplus is untracked, like a plain-transfer donation: nobody can claim it.
    const shares = await pool.balanceOf(lp1.address);
    expect(await pool.previewRedeem(shares)).to.equal(1_000n * WHOLE);
    await expectBooksReconciled(pool, loanToken, [], surplus);
  });

  it("rebasing off index 1: a pull that rounds 1 wei short reverts FeeOnTransferNotSupported", async () => {
    const { pool, loanToken, lp1 } = await loadFixture(rebasingFixture);
    await loanToken.setIndexE18((11n * INDEX_UNIT) / 10n);
    const token = await loanToken.getAddress();
    // 1 wei moves floor(1 / 1.1) = 0 shares: nothing arrives.
    await expect(pool.connect(lp1).deposit(1n, lp1.address))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(token, 1n, 0n);
    // 1,000 whole moves floor(1000e18 / 1.1) shares, which the pool values 1 wei short of 1,000e18.
    const amount = 1_000n * WHOLE;
    const poolShares = await loanToken.sharesOf(await pool.getAddress());
    const movedShares = poolMath.mulDivDown(amount, INDEX_UNIT, await loanToken.indexE18());
    const index = await loanToken.indexE18();
    const received =
      poolMath.mulDivDown(poolShares + movedShares, index, INDEX_UNIT) - poolMath.mulDivDown(poolShares, index, INDEX_UNIT);
    expect(received).to.equal(amount - 1n);
    await expect(pool.connect(lp1).deposit(amount, lp1.address))
      .to.be.revertedWithCustomError(pool, "FeeOnTransferNotSupported")
      .withArgs(token, amount, received);
  });

  it("rebasing down: the books keep promising the old cash; the last LP out cannot redeem (it bears the shortfall)", async () => {
    const { pool, loanToken, lp1, lp2 } = await loadFixture(rebasingFixture);
    await loanToken.setIndexE18((9n * INDEX_UNIT) / 10n); // −10%
    const shortfall = (await pool.cash()) - (await loanToken.balanceOf(await pool.getAddress()));
    expect(shortfall).to.equal(200n * WHOLE);
    // The first LP out is paid in full: its 1,000 are all there.
    const lp1Shares = await pool.balanceOf(lp1.address);
    expect(await pool.maxRedeem(lp1.address)).to.equal(lp1Shares);
    await pool.connect(lp1).redeem(lp1Shares, lp1.address, lp1.address);
    // The second LP's 1,000 are not: 800 remain, so its full redemption reverts in the token.
    const lp2Shares = await pool.balanceOf(lp2.address);
    expect(await pool.maxRedeem(lp2.address)).to.equal(lp2Shares);
    await expect(pool.connect(lp2).redeem(lp2Shares, lp2.address, lp2.address)).to.be.revertedWithCustomError(
      loanToken,
      "ERC20InsufficientBalance",
    );
    expect(await pool.cash()).to.equal(1_000n * WHOLE);
    expect(await loanToken.balanceOf(await pool.getAddress())).to.be.lessThan(1_000n * WHOLE);
  });
});
