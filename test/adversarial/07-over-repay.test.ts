import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, units } from "../helpers/fixtures";
import { totalsOf } from "../helpers/chainReads";
import { supplyAndBorrow } from "../helpers/setup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Repaying more than the debt: only the debt (interest accrued to the block, poolMath) is pulled, every borrow share
 * is burned, the excess never leaves the payer, and a second repayment reverts NoDebt.
 */
describe("Adversarial 7: repay larger than the debt", () => {
  const D = 6;
  const RATE = 3_170_979_198n; // ≈ 10% APR per second

  async function debtFixture() {
    const fx = await deployPool({ loanDecimals: D, ratePerSecondE18: RATE });
    await fx.pool.connect(fx.lps[0]).deposit(units(100_000, D), fx.lps[0].address);
    await supplyAndBorrow(fx, fx.borrowers[0], units(10, 18), units(10_000, D));
    return fx;
  }

  for (const [label, amount] of [
    ["twice the debt", (debt: bigint) => 2n * debt],
    ["debt + 1 wei", (debt: bigint) => debt + 1n],
    ["type(uint256).max, paid by a third party", () => ethers.MaxUint256],
  ] as const) {
    it(`${label}: pulls exactly the accrued debt (poolMath), burns every share, nothing lost`, async () => {
      const fx = await loadFixture(debtFixture);
      const { pool, borrowers, liquidator, loanToken, collaterals } = fx;
      const payer = label.includes("third party") ? liquidator : borrowers[0];
      const totals = await totalsOf(pool);
      const last = BigInt(await time.latest());
      const at = last + 30n * 86_400n;
      await time.setNextBlockTimestamp(at);
      const accrued = poolMath.accrue(
        totals,
        poolMath.cappedBorrowRate(RATE),
        at - (await pool.lastAccrualTimestamp()),
        await pool.reserveFactorBps(),
      );
      const shares = await pool.borrowSharesOf(borrowers[0].address);
      const debt = poolMath.toAssetsUp(shares, accrued.totalBorrowAssets, accrued.totalBorrowShares);
      const before = await loanToken.balanceOf(payer.address);
      await expect(pool.connect(payer).repay(amount(debt), borrowers[0].address))
        .to.emit(pool, "Repay")
        .withArgs(payer.address, borrowers[0].address, debt, shares);
      expect(before - (await loanToken.balanceOf(payer.address))).to.equal(debt);
      expect(await pool.borrowSharesOf(borrowers[0].address)).to.equal(0n);
      expect(await pool.totalAssets()).to.equal(accrued.totalLpAssets);
      expect(await pool.reserveAssets()).to.equal(accrued.reserveAssets);
      await expectBooksReconciled(pool, loanToken, collaterals.map((c) => c.token));
      await expect(pool.connect(payer).repay(1n, borrowers[0].address))
        .to.be.revertedWithCustomError(pool, "NoDebt")
        .withArgs(borrowers[0].address);
    });
  }
});
