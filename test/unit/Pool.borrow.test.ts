import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import * as pm from "../../keepers/src/model/poolMath";
import { deployPool, units, type PoolFixture } from "../helpers/fixtures";
import { liquidityOf, positionsOf, totalsOf } from "../helpers/chainReads";
import {
  deployKinkedRateModel,
  ROUND_KINKED_PARAMS,
  restoreChainAfterSuite,
  supplyAndBorrow,
  supplyCollateral,
} from "../helpers/setup";
import type { Pool } from "../../typechain-types";

// ------------------------------------------------------------------ local helpers

/**
 * `send(amount, address)` reverts with ZeroAmount for a zero amount and with ZeroAddress for a zero address.
 * `address` is the receiver or beneficiary; `validAddress` is used while the amount is checked.
 */
async function expectZeroAmountAndZeroAddress(
  pool: Pool,
  validAddress: string,
  send: (
    amount: bigint,
    address: string,
  ) => Promise<ContractTransactionResponse>,
): Promise<void> {
  await expect(send(0n, validAddress)).to.be.revertedWithCustomError(
    pool,
    "ZeroAmount",
  );
  await expect(send(1n, ethers.ZeroAddress)).to.be.revertedWithCustomError(
    pool,
    "ZeroAddress",
  );
}

// ------------------------------------------------------------------ fixtures

const LP_DEPOSIT = units(100_000, 18);
const COLLATERAL = units(10, 18); // 10 × 2,000 = 20,000 loan units of value, borrow limit 15,000 at 75% LTV
/** 1e9 per second ≈ 3.15% a year. */
const RATE = 10n ** 9n;

/** Default pool (18-decimal loan, one 18-decimal collateral at 2,000, LTV 75%) with 100,000 deposited. */
async function fundedPool(): Promise<PoolFixture> {
  const fixture = await deployPool();
  await fixture.pool
    .connect(fixture.lps[0])
    .deposit(LP_DEPOSIT, fixture.lps[0].address);
  return fixture;
}

/** fundedPool + borrower 0 holds 10 collateral, no debt. */
async function withCollateral(): Promise<PoolFixture> {
  const fixture = await fundedPool();
  await supplyCollateral(fixture, fixture.borrowers[0], COLLATERAL);
  return fixture;
}

/**
 * Borrower 0 owes 10,000 borrowed a year ago at RATE, accrued, then the rate set to 0 so that every view is
 * stable: the borrow-share price is no longer a round number.
 */
async function withDebt(): Promise<PoolFixture> {
  const fixture = await withCollateral();
  await fixture.rateModel.setRatePerSecond(RATE);
  await fixture.pool
    .connect(fixture.borrowers[0])
    .borrow(units(10_000, 18), fixture.borrowers[0].address);
  await time.increase(365 * 24 * 3600);
  await fixture.pool.accrueInterest();
  await fixture.rateModel.setRatePerSecond(0);
  return fixture;
}

/** One accrual over a million years (31,536,000,000,000 s) at the pool's maximum rate (1000% APR). */
const MILLION_YEARS = 31_536_000_000_000n;

/**
 * Borrower 0 borrowed 1,000 wei, then the maximum rate ran for a million years in one accrual: total borrows
 * ≈ 1e10 wei for 1e9 borrow shares, so one borrow share is worth ≈ 10 wei (rate then set to 0).
 */
async function withInflatedSharePrice(): Promise<PoolFixture> {
  const fixture = await withCollateral();
  await fixture.pool
    .connect(fixture.borrowers[0])
    .borrow(1_000n, fixture.borrowers[0].address);
  await fixture.rateModel.setRatePerSecond(pm.MAX_BORROW_RATE_PER_SECOND_E18);
  const last = await fixture.pool.lastAccrualTimestamp();
  await time.setNextBlockTimestamp(last + MILLION_YEARS);
  await fixture.pool.accrueInterest();
  await fixture.rateModel.setRatePerSecond(0);
  return fixture;
}

/** 6-decimal loan asset; collateral 0 has 8 decimals (at 30,000), collateral 1 has 18 decimals (at 2,000). */
async function mixedDecimals(): Promise<PoolFixture> {
  const fixture = await deployPool({
    loanDecimals: 6,
    collateralDecimals: [8, 18],
    collateralPrices: [30_000, 2_000],
    ratePerSecondE18: 3_170_979_198n, // ≈ 10% a year
  });
  const eth = fixture.collaterals[1];
  // Different parameters per collateral so the weighting is per collateral.
  await fixture.pool
    .connect(fixture.owner)
    .setCollateralParams(await eth.token.getAddress(), {
      oracle: await eth.oracle.getAddress(),
      ltvBps: 8_000,
      liquidationThresholdBps: 8_500,
      liquidationBonusBps: 500,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    });
  await fixture.pool
    .connect(fixture.lps[0])
    .deposit(units(500_000, 6), fixture.lps[0].address);
  return fixture;
}

// ------------------------------------------------------------------ tests

describe("Pool — borrower side", () => {
  // Some fixtures jump the clock a million years ahead: leave the chain as this file found it.
  restoreChainAfterSuite();

  describe("supplyCollateral", () => {
    it("credits the caller, pulls the tokens and emits SupplyCollateral", async () => {
      const { pool, collaterals, borrowers } = await loadFixture(fundedPool);
      const token = collaterals[0].token;
      const collateral = await token.getAddress();
      const [borrower] = borrowers;

      const tx = pool
        .connect(borrower)
        .supplyCollateral(collateral, COLLATERAL, borrower.address);
      await expect(tx)
        .to.emit(pool, "SupplyCollateral")
        .withArgs(borrower.address, borrower.address, collateral, COLLATERAL);
      await expect(tx).to.changeTokenBalances(
        token,
        [borrower, pool],
        [-COLLATERAL, COLLATERAL],
      );
      expect(await pool.collateralOf(borrower.address, collateral)).to.equal(
        COLLATERAL,
      );
      expect(await pool.totalCollateral(collateral)).to.equal(COLLATERAL);
    });

    it("credits onBehalf, not the caller, and adds to totalCollateral", async () => {
      const { pool, collaterals, borrowers } =
        await loadFixture(withCollateral);
      const token = collaterals[0].token;
      const collateral = await token.getAddress();
      const [payer, beneficiary] = [borrowers[1], borrowers[2]];
      const amount = units("1.5", 18);

      const tx = pool
        .connect(payer)
        .supplyCollateral(collateral, amount, beneficiary.address);
      await expect(tx)
        .to.emit(pool, "SupplyCollateral")
        .withArgs(payer.address, beneficiary.address, collateral, amount);
      await expect(tx).to.changeTokenBalances(
        token,
        [payer, beneficiary, pool],
        [-amount, 0n, amount],
      );
      expect(await pool.collateralOf(beneficiary.address, collateral)).to.equal(
        amount,
      );
      expect(await pool.collateralOf(payer.address, collateral)).to.equal(0n);
      // borrower 0 already holds COLLATERAL
      expect(await pool.totalCollateral(collateral)).to.equal(
        COLLATERAL + amount,
      );
    });

    it("reverts with ZeroAmount and ZeroAddress", async () => {
      const { pool, collaterals, borrowers } = await loadFixture(fundedPool);
      const collateral = await collaterals[0].token.getAddress();
      const [borrower] = borrowers;
      await expectZeroAmountAndZeroAddress(
        pool,
        borrower.address,
        (amount, onBehalf) =>
          pool.connect(borrower).supplyCollateral(collateral, amount, onBehalf),
      );
    });
  });

  describe("withdrawCollateral", () => {
    it("sends the collateral to the receiver and emits WithdrawCollateral", async () => {
      const { pool, collaterals, borrowers, others } =
        await loadFixture(withCollateral);
      const token = collaterals[0].token;
      const collateral = await token.getAddress();
      const [borrower] = borrowers;
      const receiver = others[0];
      const amount = units(4, 18);

      const tx = pool
        .connect(borrower)
        .withdrawCollateral(collateral, amount, receiver.address);
      await expect(tx)
        .to.emit(pool, "WithdrawCollateral")
        .withArgs(borrower.address, receiver.address, collateral, amount);
      await expect(tx).to.changeTokenBalances(
        token,
        [pool, receiver, borrower],
        [-amount, amount, 0n],
      );
      expect(await pool.collateralOf(borrower.address, collateral)).to.equal(
        COLLATERAL - amount,
      );
      expect(await pool.totalCollateral(collateral)).to.equal(
        COLLATERAL - amount,
      );
    });

    it("reverts with InsufficientCollateral(account, collateral, balance, requested)", async () => {
      const { pool, collaterals, borrowers } =
        await loadFixture(withCollateral);
      const collateral = await collaterals[0].token.getAddress();
      const [borrower, stranger] = borrowers;
      await expect(
        pool
          .connect(borrower)
          .withdrawCollateral(collateral, COLLATERAL + 1n, borrower.address),
      )
        .to.be.revertedWithCustomError(pool, "InsufficientCollateral")
        .withArgs(borrower.address, collateral, COLLATERAL, COLLATERAL + 1n);
      await expect(
        pool
          .connect(stranger)
          .withdrawCollateral(collateral, 1n, stranger.address),
      )
        .to.be.revertedWithCustomError(pool, "InsufficientCollateral")
        .withArgs(stranger.address, collateral, 0n, 1n);
    });

    it("reverts with ExceedsBorrowLimit(account, debt, borrowLimit) when the debt would exceed the LTV", async () => {
      const { pool, collaterals, borrowers } = await loadFixture(withDebt);
      const collateral = await collaterals[0].token.getAddress();
      const [borrower] = borrowers;
      // 6 collateral left → 12,000 × 75% = 9,000 < the ≈10,315 debt.
      const amount = units(4, 18);
      const positionsAfter = await positionsOf(
        pool,
        borrower.address,
        collaterals,
      );
      positionsAfter[0].balance -= amount;
      const totals = await totalsOf(pool);
      const after = pm.accountLiquidity(
        positionsAfter,
        await pool.borrowSharesOf(borrower.address),
        totals.totalBorrowAssets,
        totals.totalBorrowShares,
      );
      expect(after.borrowLimit).to.equal(units(9_000, 18));
      expect(after.debt).to.equal(await pool.debtOf(borrower.address));

      await expect(
        pool
          .connect(borrower)
          .withdrawCollateral(collateral, amount, borrower.address),
      )
        .to.be.revertedWithCustomError(pool, "ExceedsBorrowLimit")
        .withArgs(borrower.address, after.debt, after.borrowLimit);

      // Withdrawing 1 keeps 13,500 of limit ≥ the debt: allowed.
      await expect(
        pool
          .connect(borrower)
          .withdrawCollateral(collateral, units(1, 18), borrower.address),
      )
        .to.emit(pool, "WithdrawCollateral")
        .withArgs(borrower.address, borrower.address, collateral, units(1, 18));
    });

    it("works without debt even while the oracle reverts, but not with debt", async () => {
      const fixture = await loadFixture(withCollateral);
      const { pool, collaterals, borrowers } = fixture;
      const { token, oracle } = collaterals[0];
      const collateral = await token.getAddress();
      const [borrower, indebted] = borrowers;
      await supplyAndBorrow(fixture, indebted, COLLATERAL, units(1_000, 18));

      await oracle.setReverting(true);
      await expect(
        pool
          .connect(borrower)
          .withdrawCollateral(collateral, COLLATERAL, borrower.address),
      ).to.changeTokenBalances(
        token,
        [pool, borrower],
        [-COLLATERAL, COLLATERAL],
      );
      expect(await pool.collateralOf(borrower.address, collateral)).to.equal(
        0n,
      );

      await expect(
        pool
          .connect(indebted)
          .withdrawCollateral(collateral, 1n, indebted.address),
      ).to.be.revertedWithCustomError(oracle, "OracleDown");
    });

    it("reverts with ZeroAmount and ZeroAddress", async () => {
      const { pool, collaterals, borrowers } =
        await loadFixture(withCollateral);
      const collateral = await collaterals[0].token.getAddress();
      const [borrower] = borrowers;
      await expectZeroAmountAndZeroAddress(
        pool,
        borrower.address,
        (amount, receiver) =>
          pool
            .connect(borrower)
            .withdrawCollateral(collateral, amount, receiver),
      );
    });
  });

  describe("borrow", () => {
    it("mints toSharesUp(assets) borrow shares, pays the receiver and emits Borrow", async () => {
      const fixture = await loadFixture(withDebt);
      const { pool, loanToken, borrowers, others } = fixture;
      const borrower = borrowers[1];
      const receiver = others[0];
      await supplyCollateral(fixture, borrower, COLLATERAL);
      const assets = units("1234.567890123456789", 18);
      const before = await totalsOf(pool);
      const shares = pm.toSharesUp(
        assets,
        before.totalBorrowAssets,
        before.totalBorrowShares,
      );
      // The share price is not round here: rounding up matters.
      expect(shares).to.equal(
        pm.toSharesDown(
          assets,
          before.totalBorrowAssets,
          before.totalBorrowShares,
        ) + 1n,
      );

      expect(
        await pool
          .connect(borrower)
          .borrow.staticCall(assets, receiver.address),
      ).to.equal(shares);
      const tx = pool.connect(borrower).borrow(assets, receiver.address);
      await expect(tx)
        .to.emit(pool, "Borrow")
        .withArgs(borrower.address, receiver.address, assets, shares);
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [pool, receiver, borrower],
        [-assets, assets, 0n],
      );
      expect(await pool.borrowSharesOf(borrower.address)).to.equal(shares);
      expect(await pool.totalBorrowShares()).to.equal(
        before.totalBorrowShares + shares,
      );
      expect(await pool.totalBorrowAssets()).to.equal(
        before.totalBorrowAssets + assets,
      );
      expect(await pool.cash()).to.equal(pm.cashOf(before) - assets);
      expect(await pool.debtOf(borrower.address)).to.equal(
        pm.toAssetsUp(
          shares,
          before.totalBorrowAssets + assets,
          before.totalBorrowShares + shares,
        ),
      );
    });

    it("allows borrowing exactly the borrow limit and reverts with ExceedsBorrowLimit 1 wei above it", async () => {
      const fixture = await loadFixture(fundedPool);
      const { pool, collaterals, borrowers } = fixture;
      const [borrower, other] = borrowers;
      // An awkward amount so that valuing and LTV-weighting both round down.
      const amount = 7_777_777_777_777_777_777n;
      for (const account of [borrower, other]) {
        await supplyCollateral(fixture, account, amount);
      }
      const limit = (await liquidityOf(pool, borrower.address, collaterals))
        .borrowLimit;
      // 7.777777777777777777 × 2,000 = 15,555.555555555555554000, × 75% = 11,666.6666666666666655
      expect(limit).to.equal(11_666_666_666_666_666_665_500n);

      // 1 wei above: fresh totals, so the debt would be exactly limit + 1 (see poolMath).
      const shares = pm.toSharesUp(limit + 1n, 0n, 0n);
      const debtAbove = pm.toAssetsUp(shares, limit + 1n, shares);
      expect(debtAbove).to.equal(limit + 1n);
      await expect(pool.connect(other).borrow(limit + 1n, other.address))
        .to.be.revertedWithCustomError(pool, "ExceedsBorrowLimit")
        .withArgs(other.address, debtAbove, limit);

      await expect(pool.connect(borrower).borrow(limit, borrower.address))
        .to.emit(pool, "Borrow")
        .withArgs(
          borrower.address,
          borrower.address,
          limit,
          pm.toSharesUp(limit, 0n, 0n),
        );
      expect(await pool.debtOf(borrower.address)).to.equal(limit);
      // Now at the limit: not even 1 more wei.
      const totals = await totalsOf(pool);
      const moreShares = pm.toSharesUp(
        1n,
        totals.totalBorrowAssets,
        totals.totalBorrowShares,
      );
      const debtAfter = pm.toAssetsUp(
        (await pool.borrowSharesOf(borrower.address)) + moreShares,
        totals.totalBorrowAssets + 1n,
        totals.totalBorrowShares + moreShares,
      );
      await expect(pool.connect(borrower).borrow(1n, borrower.address))
        .to.be.revertedWithCustomError(pool, "ExceedsBorrowLimit")
        .withArgs(borrower.address, debtAfter, limit);
    });

    it("reverts with InsufficientCash(requested, cash)", async () => {
      const fixture = await loadFixture(fundedPool);
      const { pool, borrowers } = fixture;
      const [borrower] = borrowers;
      await supplyCollateral(fixture, borrower, units(100, 18));
      await expect(
        pool.connect(borrower).borrow(LP_DEPOSIT + 1n, borrower.address),
      )
        .to.be.revertedWithCustomError(pool, "InsufficientCash")
        .withArgs(LP_DEPOSIT + 1n, LP_DEPOSIT);
      // All the cash is fine.
      await expect(
        pool.connect(borrower).borrow(LP_DEPOSIT, borrower.address),
      ).to.emit(pool, "Borrow");
      expect(await pool.cash()).to.equal(0n);
      await expect(pool.connect(borrower).borrow(1n, borrower.address))
        .to.be.revertedWithCustomError(pool, "InsufficientCash")
        .withArgs(1n, 0n);
    });

    it("reverts with ZeroAmount and ZeroAddress", async () => {
      const { pool, borrowers } = await loadFixture(withCollateral);
      const [borrower] = borrowers;
      await expectZeroAmountAndZeroAddress(
        pool,
        borrower.address,
        (amount, receiver) => pool.connect(borrower).borrow(amount, receiver),
      );
    });

    it("reverts with ZeroPrice(collateral) when the oracle returns 0", async () => {
      const { pool, collaterals, borrowers } =
        await loadFixture(withCollateral);
      const collateral = await collaterals[0].token.getAddress();
      await collaterals[0].oracle.setPrice(0n);
      await expect(pool.connect(borrowers[0]).borrow(1n, borrowers[0].address))
        .to.be.revertedWithCustomError(pool, "ZeroPrice")
        .withArgs(collateral);
    });

    it("propagates an oracle revert", async () => {
      const { pool, collaterals, borrowers } =
        await loadFixture(withCollateral);
      await collaterals[0].oracle.setReverting(true);
      await expect(
        pool.connect(borrowers[0]).borrow(1n, borrowers[0].address),
      ).to.be.revertedWithCustomError(collaterals[0].oracle, "OracleDown");
    });
  });

  describe("repay", () => {
    it("partially repays: burns toSharesDown(assets) shares and emits Repay", async () => {
      const { pool, loanToken, borrowers } = await loadFixture(withDebt);
      const [borrower] = borrowers;
      const assets = units("1000.000000000000000001", 18);
      const before = await totalsOf(pool);
      const sharesBefore = await pool.borrowSharesOf(borrower.address);
      const shares = pm.toSharesDown(
        assets,
        before.totalBorrowAssets,
        before.totalBorrowShares,
      );

      const [repaidAssets, repaidShares] = await pool
        .connect(borrower)
        .repay.staticCall(assets, borrower.address);
      expect(repaidAssets).to.equal(assets);
      expect(repaidShares).to.equal(shares);
      const tx = pool.connect(borrower).repay(assets, borrower.address);
      await expect(tx)
        .to.emit(pool, "Repay")
        .withArgs(borrower.address, borrower.address, assets, shares);
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [borrower, pool],
        [-assets, assets],
      );
      expect(await pool.borrowSharesOf(borrower.address)).to.equal(
        sharesBefore - shares,
      );
      expect(await pool.totalBorrowShares()).to.equal(
        before.totalBorrowShares - shares,
      );
      expect(await pool.totalBorrowAssets()).to.equal(
        before.totalBorrowAssets - assets,
      );
      // Rounding favours the pool: what is still owed plus what was paid covers the debt before.
      const debtAfter = await pool.debtOf(borrower.address);
      expect(debtAfter).to.equal(
        pm.toAssetsUp(
          sharesBefore - shares,
          before.totalBorrowAssets - assets,
          before.totalBorrowShares - shares,
        ),
      );
      expect(debtAfter + assets).to.be.gte(
        pm.toAssetsUp(
          sharesBefore,
          before.totalBorrowAssets,
          before.totalBorrowShares,
        ),
      );
    });

    const fullRepayAmounts: ReadonlyArray<[string, (debt: bigint) => bigint]> =
      [
        ["exactly the debt", (debt) => debt],
        ["the debt + 1 wei", (debt) => debt + 1n],
        ["twice the debt", (debt) => debt * 2n],
        ["type(uint256).max", () => ethers.MaxUint256],
      ];
    for (const [label, amountFor] of fullRepayAmounts) {
      it(`repays everything and pulls exactly debtOf when given ${label}`, async () => {
        const { pool, loanToken, borrowers } = await loadFixture(withDebt);
        const [borrower] = borrowers;
        const debt = await pool.debtOf(borrower.address);
        const shares = await pool.borrowSharesOf(borrower.address);
        const before = await totalsOf(pool);
        expect(debt).to.equal(
          pm.toAssetsUp(
            shares,
            before.totalBorrowAssets,
            before.totalBorrowShares,
          ),
        );

        const tx = pool
          .connect(borrower)
          .repay(amountFor(debt), borrower.address);
        await expect(tx)
          .to.emit(pool, "Repay")
          .withArgs(borrower.address, borrower.address, debt, shares);
        await expect(tx).to.changeTokenBalances(
          loanToken,
          [borrower, pool],
          [-debt, debt],
        );
        expect(await pool.borrowSharesOf(borrower.address)).to.equal(0n);
        expect(await pool.debtOf(borrower.address)).to.equal(0n);
        expect(await pool.totalBorrowShares()).to.equal(
          before.totalBorrowShares - shares,
        );
        expect(await pool.totalBorrowAssets()).to.equal(
          pm.zeroFloorSub(before.totalBorrowAssets, debt),
        );
      });
    }

    it("with interest running, type(uint256).max pulls the debt accrued up to the repay block", async () => {
      const { pool, loanToken, rateModel, borrowers } =
        await loadFixture(withDebt);
      const [borrower] = borrowers;
      await rateModel.setRatePerSecond(RATE * 7n);
      await time.setNextBlockTimestamp((await time.latest()) + 30 * 24 * 3600);
      const debtAtRepay = await pool.debtOf(borrower.address, {
        blockTag: "pending",
      });
      expect(debtAtRepay).to.be.gt(await pool.debtOf(borrower.address));

      const tx = pool
        .connect(borrower)
        .repay(ethers.MaxUint256, borrower.address);
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [borrower, pool],
        [-debtAtRepay, debtAtRepay],
      );
      expect(await pool.debtOf(borrower.address)).to.equal(0n);
    });

    it("reverts with RepayBelowOneShare(assets) when the amount buys no borrow share", async () => {
      const { pool, borrowers } = await loadFixture(withInflatedSharePrice);
      const [borrower] = borrowers;
      const totals = await totalsOf(pool);
      expect(
        pm.toSharesDown(1n, totals.totalBorrowAssets, totals.totalBorrowShares),
      ).to.equal(0n);
      expect(
        pm.toSharesDown(9n, totals.totalBorrowAssets, totals.totalBorrowShares),
      ).to.equal(0n);
      await expect(pool.connect(borrower).repay(1n, borrower.address))
        .to.be.revertedWithCustomError(pool, "RepayBelowOneShare")
        .withArgs(1n);
      await expect(pool.connect(borrower).repay(9n, borrower.address))
        .to.be.revertedWithCustomError(pool, "RepayBelowOneShare")
        .withArgs(9n);
    });

    it("reverts with NoDebt(onBehalf) and ZeroAmount", async () => {
      const { pool, borrowers } = await loadFixture(withDebt);
      const [borrower, debtFree] = borrowers;
      await expect(pool.connect(borrower).repay(1n, debtFree.address))
        .to.be.revertedWithCustomError(pool, "NoDebt")
        .withArgs(debtFree.address);
      await expect(
        pool.connect(borrower).repay(0n, borrower.address),
      ).to.be.revertedWithCustomError(pool, "ZeroAmount");
    });

    it("repays on behalf of another account, pulling from the caller", async () => {
      const { pool, loanToken, borrowers, liquidator } =
        await loadFixture(withDebt);
      const [borrower] = borrowers;
      const assets = units(500, 18);
      const before = await totalsOf(pool);
      const sharesBefore = await pool.borrowSharesOf(borrower.address);
      const shares = pm.toSharesDown(
        assets,
        before.totalBorrowAssets,
        before.totalBorrowShares,
      );

      const tx = pool.connect(liquidator).repay(assets, borrower.address);
      await expect(tx)
        .to.emit(pool, "Repay")
        .withArgs(liquidator.address, borrower.address, assets, shares);
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [liquidator, borrower, pool],
        [-assets, 0n, assets],
      );
      expect(await pool.borrowSharesOf(borrower.address)).to.equal(
        sharesBefore - shares,
      );
      expect(await pool.borrowSharesOf(liquidator.address)).to.equal(0n);

      // And in full on behalf: pulls exactly the borrower's debt from the caller.
      const debt = await pool.debtOf(borrower.address);
      await expect(
        pool.connect(liquidator).repay(ethers.MaxUint256, borrower.address),
      )
        .to.emit(pool, "Repay")
        .withArgs(
          liquidator.address,
          borrower.address,
          debt,
          sharesBefore - shares,
        );
      expect(await pool.debtOf(borrower.address)).to.equal(0n);
    });
  });

  describe("views: debtOf, healthFactor, accountLiquidity (6-decimal loan, 8- and 18-decimal collateral)", () => {
    it("match poolMath.accountLiquidity with interest accrued up to the block", async () => {
      const fixture = await loadFixture(mixedDecimals);
      const { pool, collaterals, borrowers, rateModel } = fixture;
      const [borrower] = borrowers;
      const borrowed = 5_123_456_789n; // 5,123.456789
      await supplyAndBorrow(
        fixture,
        borrower,
        [12_345_678n, 3_333_333_333_333_333_333n], // 0.12345678 BTC, 3.33… ETH
        borrowed,
      );
      const borrowedAt = await pool.lastAccrualTimestamp();
      const stored: pm.PoolTotals = {
        totalLpAssets: units(500_000, 6),
        reserveAssets: 0n,
        totalBorrowAssets: borrowed,
        totalBorrowShares: await pool.totalBorrowShares(),
        totalShortfallAssets: 0n,
      };
      expect(await totalsOf(pool)).to.deep.equal(stored);

      await time.increase(100 * 24 * 3600);
      const elapsed = BigInt(await time.latest()) - borrowedAt;
      const accrued = pm.accrue(
        stored,
        await rateModel.ratePerSecondE18(),
        elapsed,
        1_000n,
      );
      expect(await totalsOf(pool)).to.deep.equal(accrued);

      const expected = await liquidityOf(
        pool,
        borrower.address,
        collaterals,
        accrued,
      );
      // 0.12345678 BTC × 30,000 = 3,703.7034; 3.333333333333333333 ETH × 2,000 = 6,666.666666 (rounded down)
      expect(expected.collateralValue).to.equal(
        3_703_703_400n + 6_666_666_666n,
      );
      // 3,703.7034 × 75% = 2,777.77755 (down: 2,777.777550); 6,666.666666 × 80% = 5,333.3333328 (down)
      expect(expected.borrowLimit).to.equal(2_777_777_550n + 5_333_333_332n);
      expect(expected.debt).to.be.gt(borrowed);

      const liquidity = await pool.accountLiquidity(borrower.address);
      expect(liquidity.collateralValue).to.equal(expected.collateralValue);
      expect(liquidity.borrowLimit).to.equal(expected.borrowLimit);
      expect(liquidity.liquidationLimit).to.equal(expected.liquidationLimit);
      expect(liquidity.debt).to.equal(expected.debt);
      expect(await pool.debtOf(borrower.address)).to.equal(expected.debt);
      expect(await pool.healthFactor(borrower.address)).to.equal(
        pm.healthFactorDown(expected.liquidationLimit, expected.debt),
      );
    });

    it("report no debt and an infinite health factor for an account without debt", async () => {
      const fixture = await loadFixture(mixedDecimals);
      const [borrower, stranger] = fixture.borrowers;
      const { pool } = fixture;
      await supplyCollateral(fixture, borrower, 100_000_000n); // 1 BTC
      const liquidity = await pool.accountLiquidity(borrower.address);
      expect(liquidity.collateralValue).to.equal(units(30_000, 6));
      expect(liquidity.borrowLimit).to.equal(units(22_500, 6));
      expect(liquidity.liquidationLimit).to.equal(units(24_000, 6));
      expect(liquidity.debt).to.equal(0n);
      expect(await pool.debtOf(borrower.address)).to.equal(0n);
      expect(await pool.healthFactor(borrower.address)).to.equal(
        ethers.MaxUint256,
      );
      expect(await pool.healthFactor(stranger.address)).to.equal(
        ethers.MaxUint256,
      );
    });

    it("healthFactor and accountLiquidity revert while an oracle of a held collateral reverts", async () => {
      const fixture = await loadFixture(mixedDecimals);
      const { pool, collaterals, borrowers } = fixture;
      const [btc, eth] = collaterals;
      const [borrower] = borrowers;
      await supplyAndBorrow(fixture, borrower, 100_000_000n, units(1_000, 6));
      // An oracle of a collateral the account does not hold is not consulted.
      await eth.oracle.setReverting(true);
      expect(await pool.healthFactor(borrower.address)).to.equal(
        pm.healthFactorDown(
          units(24_000, 6),
          await pool.debtOf(borrower.address),
        ),
      );
      await btc.oracle.setReverting(true);
      await expect(
        pool.healthFactor(borrower.address),
      ).to.be.revertedWithCustomError(btc.oracle, "OracleDown");
      await expect(
        pool.accountLiquidity(borrower.address),
      ).to.be.revertedWithCustomError(btc.oracle, "OracleDown");
      // debtOf needs no price.
      expect(await pool.debtOf(borrower.address)).to.be.gte(units(1_000, 6));
    });
  });

  describe("interest accrual", () => {
    // B = 12,345.678901234567890123; rate 1,000,000,007 per second; 2,592,017 s; reserve factor 10%.
    const BORROWED = 12_345_678_901_234_567_890_123n;
    const FIXED_RATE = 1_000_000_007n;
    const ELAPSED = 2_592_017n;
    // floor(B × rate × elapsed / 1e18), computed by hand (Python integer arithmetic).
    const INTEREST = 32_000_209_812_542_788_078n;
    // floor(INTEREST × 1,000 / 10,000)
    const RESERVE_SHARE = 3_200_020_981_254_278_807n;

    /**
     * Sends accrueInterest `elapsed` seconds after the last accrual, from totals `stored` at `rate` (reserve factor
     * 10%): it emits InterestAccrued with poolMath's interest and reserve share and leaves poolMath's totals.
     */
    async function expectAccrualAt(
      pool: Pool,
      stored: pm.PoolTotals,
      rate: bigint,
      elapsed: bigint,
    ): Promise<void> {
      await time.setNextBlockTimestamp(
        (await pool.lastAccrualTimestamp()) + elapsed,
      );
      const expected = pm.interestOf(
        stored.totalBorrowAssets,
        rate,
        elapsed,
        1_000n,
      );
      await expect(pool.accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(rate, expected.interest, expected.reserveShare);
      expect(await totalsOf(pool)).to.deep.equal(
        pm.accrue(stored, rate, elapsed, 1_000n),
      );
    }

    async function fixedRateLoan(): Promise<
      PoolFixture & { borrowedAt: bigint }
    > {
      const fixture = await withCollateral();
      await fixture.rateModel.setRatePerSecond(FIXED_RATE);
      const borrowedAt = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(borrowedAt);
      await fixture.pool
        .connect(fixture.borrowers[0])
        .borrow(BORROWED, fixture.borrowers[0].address);
      return { ...fixture, borrowedAt };
    }

    it("accrues borrows × rate × elapsed / 1e18 (down) and splits it with the reserve", async () => {
      const { pool, borrowers, borrowedAt } = await loadFixture(fixedRateLoan);
      const [borrower] = borrowers;
      expect(await pool.lastAccrualTimestamp()).to.equal(borrowedAt);
      const stored = await totalsOf(pool);
      expect(stored).to.deep.equal({
        totalLpAssets: LP_DEPOSIT,
        reserveAssets: 0n,
        totalBorrowAssets: BORROWED,
        totalBorrowShares: BORROWED * 1_000_000n,
        totalShortfallAssets: 0n,
      });
      // poolMath agrees with the hand-computed figures.
      expect(
        pm.interestOf(BORROWED, FIXED_RATE, ELAPSED, 1_000n),
      ).to.deep.equal({
        interest: INTEREST,
        reserveShare: RESERVE_SHARE,
      });

      await time.setNextBlockTimestamp(borrowedAt + ELAPSED);
      // What the views say just before the accruing transaction, in its block…
      const viewTotals = await totalsOf(pool, "pending");
      const viewDebt = await pool.debtOf(borrower.address, {
        blockTag: "pending",
      });
      const viewSharePrice = await pool.sharePrice({ blockTag: "pending" });

      await expect(pool.accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(FIXED_RATE, INTEREST, RESERVE_SHARE);

      const after = await totalsOf(pool);
      expect(after.totalBorrowAssets).to.equal(BORROWED + INTEREST);
      expect(after.reserveAssets).to.equal(RESERVE_SHARE);
      expect(after.totalLpAssets).to.equal(
        LP_DEPOSIT + INTEREST - RESERVE_SHARE,
      );
      expect(after.totalLpAssets).to.equal(100_028_800_188_831_288_509_271n);
      expect(after.totalBorrowShares).to.equal(stored.totalBorrowShares);
      expect(after).to.deep.equal(
        pm.accrue(stored, FIXED_RATE, ELAPSED, 1_000n),
      );
      // Cash does not change with interest.
      expect(await pool.cash()).to.equal(LP_DEPOSIT - BORROWED);
      expect(await pool.lastAccrualTimestamp()).to.equal(borrowedAt + ELAPSED);
      // …equals the state after it.
      expect(viewTotals).to.deep.equal(after);
      expect(viewDebt).to.equal(await pool.debtOf(borrower.address));
      expect(viewDebt).to.equal(
        pm.toAssetsUp(
          stored.totalBorrowShares,
          after.totalBorrowAssets,
          after.totalBorrowShares,
        ),
      );
      expect(viewSharePrice).to.equal(await pool.sharePrice());
      expect(viewSharePrice).to.equal(
        pm.sharePrice(
          after.totalLpAssets,
          await pool.totalSupply(),
          BigInt(await pool.decimals()),
        ),
      );
    });

    it("caps the rate model's answer at MAX_BORROW_RATE_PER_SECOND_E18 (1000% APR)", async () => {
      const { pool, rateModel, borrowers } = await loadFixture(withCollateral);
      const [borrower] = borrowers;
      const cap = await pool.MAX_BORROW_RATE_PER_SECOND_E18();
      expect(cap).to.equal(pm.MAX_BORROW_RATE_PER_SECOND_E18);
      expect(cap).to.equal(317_097_919_837n); // floor(10e18 / 31,536,000)
      await pool.connect(borrower).borrow(units(1_000, 18), borrower.address);
      const stored = await totalsOf(pool); // rate still 0: nothing accrues until the next transaction
      await rateModel.setRatePerSecond(pm.WAD); // 100% per second
      expect(await pool.borrowRatePerSecond()).to.equal(cap);
      expect(pm.cappedBorrowRate(pm.WAD)).to.equal(cap);

      await expectAccrualAt(pool, stored, cap, 1_000n);
    });

    it("accrues nothing without borrows, but moves the accrual timestamp", async () => {
      const { pool, lps } = await loadFixture(fundedPool);
      const before = await totalsOf(pool);
      await time.increase(1_000);
      await expect(pool.accrueInterest()).not.to.emit(pool, "InterestAccrued");
      expect(await totalsOf(pool)).to.deep.equal(before);
      expect(await pool.lastAccrualTimestamp()).to.equal(await time.latest());
      // A deposit later still prices shares at exactly 1:1e6 (no phantom interest).
      await pool.connect(lps[1]).deposit(1_000n, lps[1].address);
      expect(await pool.balanceOf(lps[1].address)).to.equal(
        1_000n * 1_000_000n,
      );
    });

    it("uses the KinkedRateModel rate from poolMath.kinkedBorrowRatePerSecond, below and above the kink", async () => {
      const fixture = await loadFixture(fundedPool);
      const { pool, owner, borrowers, rateModel } = fixture;
      const params = ROUND_KINKED_PARAMS;
      const kinked = await deployKinkedRateModel(params);
      await expect(pool.connect(owner).setRateModel(await kinked.getAddress()))
        .to.emit(pool, "RateModelUpdated")
        .withArgs(await rateModel.getAddress(), await kinked.getAddress());

      const [borrower] = borrowers;
      await supplyAndBorrow(
        fixture,
        borrower,
        units(100, 18),
        units(60_000, 18),
      );

      // 60% utilization: 1e9 + 4e10 × 0.6 = 2.5e10.
      const rateBelow = pm.kinkedBorrowRatePerSecond(
        params,
        units(40_000, 18),
        units(60_000, 18),
      );
      expect(rateBelow).to.equal(25_000_000_000n);
      expect(await pool.borrowRatePerSecond()).to.equal(rateBelow);

      await expectAccrualAt(pool, await totalsOf(pool), rateBelow, 86_400n);

      // Borrow up to ≈ 90% utilization: above the kink.
      await pool.connect(borrower).borrow(units(30_000, 18), borrower.address);
      const stored = await totalsOf(pool);
      const cash = await pool.cash();
      expect(cash).to.equal(units(10_000, 18));
      const rateAbove = pm.kinkedBorrowRatePerSecond(
        params,
        cash,
        stored.totalBorrowAssets,
      );
      expect(pm.utilizationE18(cash, stored.totalBorrowAssets)).to.be.gt(
        params.kinkE18,
      );
      expect(rateAbove).to.be.gt(
        params.baseRatePerSecondE18 +
          pm.mulDivDown(
            params.slopeBelowKinkPerSecondE18,
            params.kinkE18,
            pm.WAD,
          ),
      );
      expect(await pool.borrowRatePerSecond()).to.equal(rateAbove);
      expect(
        await kinked.borrowRatePerSecond(cash, stored.totalBorrowAssets),
      ).to.equal(rateAbove);

      await expectAccrualAt(pool, stored, rateAbove, 3_600n);
    });
  });

  describe("borrow-share rounding favours the pool", () => {
    it("borrowing 1 wei on a fresh pool mints 1e6 shares worth exactly 1 wei", async () => {
      const { pool, borrowers } = await loadFixture(withCollateral);
      const [borrower] = borrowers;
      expect(pm.toSharesUp(1n, 0n, 0n)).to.equal(1_000_000n);
      await expect(pool.connect(borrower).borrow(1n, borrower.address))
        .to.emit(pool, "Borrow")
        .withArgs(borrower.address, borrower.address, 1n, 1_000_000n);
      expect(await pool.debtOf(borrower.address)).to.equal(1n);
    });

    it("borrowing 1 wei when a share is worth ≈ 10 wei costs a whole share: the borrower owes 10 wei", async () => {
      const fixture = await loadFixture(withInflatedSharePrice);
      const { pool, loanToken, borrowers } = fixture;
      const [first, second] = borrowers;
      await supplyCollateral(fixture, second, COLLATERAL);
      const before = await totalsOf(pool);
      // 1,000 + floor(1,000 × 317,097,919,837 × 31,536,000,000,000 / 1e18) = 1,000 + 9,999,999,999 wei
      // for 1e9 shares.
      expect(before.totalBorrowAssets).to.equal(10_000_000_999n);
      expect(before.totalBorrowShares).to.equal(1_000_000_000n);
      const firstDebtBefore = await pool.debtOf(first.address);

      const shares = pm.toSharesUp(
        1n,
        before.totalBorrowAssets,
        before.totalBorrowShares,
      );
      expect(shares).to.equal(1n);
      await expect(pool.connect(second).borrow(1n, second.address))
        .to.emit(pool, "Borrow")
        .withArgs(second.address, second.address, 1n, 1n);
      const debt = await pool.debtOf(second.address);
      expect(debt).to.equal(
        pm.toAssetsUp(
          1n,
          before.totalBorrowAssets + 1n,
          before.totalBorrowShares + 1n,
        ),
      );
      expect(debt).to.equal(10n); // ceil(10,000,001,001 / 1,001,000,001)
      // The pool's books grow by exactly the wei lent, and the borrowers together owe at least what they owed
      // plus that wei (the new share's rounding may shift a few wei between borrowers, never onto the LPs).
      expect(await pool.totalBorrowAssets()).to.equal(
        before.totalBorrowAssets + 1n,
      );
      expect(await pool.totalBorrowShares()).to.equal(
        before.totalBorrowShares + 1n,
      );
      expect((await pool.debtOf(first.address)) + debt).to.be.gte(
        firstDebtBefore + 1n,
      );

      // Repaying less than a share is refused; repaying all pulls the rounded-up debt.
      await expect(pool.connect(second).repay(1n, second.address))
        .to.be.revertedWithCustomError(pool, "RepayBelowOneShare")
        .withArgs(1n);
      await expect(
        pool.connect(second).repay(ethers.MaxUint256, second.address),
      ).to.changeTokenBalances(loanToken, [second, pool], [-debt, debt]);
    });

    it("a borrow-then-full-repay round trip never costs the pool", async () => {
      const fixture = await loadFixture(withDebt);
      const { pool, loanToken, borrowers } = fixture;
      const borrower = borrowers[1];
      await supplyCollateral(fixture, borrower, COLLATERAL);
      for (const assets of [
        1n,
        7n,
        999_999n,
        units("3.141592653589793238", 18),
      ]) {
        const before = await totalsOf(pool);
        const shares = pm.toSharesUp(
          assets,
          before.totalBorrowAssets,
          before.totalBorrowShares,
        );
        await pool.connect(borrower).borrow(assets, borrower.address);
        const debt = pm.toAssetsUp(
          shares,
          before.totalBorrowAssets + assets,
          before.totalBorrowShares + shares,
        );
        expect(debt).to.be.gte(assets);
        expect(await pool.debtOf(borrower.address)).to.equal(debt);
        await expect(
          pool.connect(borrower).repay(ethers.MaxUint256, borrower.address),
        ).to.changeTokenBalance(loanToken, borrower, -debt);
        // LP assets are untouched: any rounding surplus stays with the pool, never leaves it.
        expect(await pool.totalAssets()).to.equal(before.totalLpAssets);
        expect(await pool.totalBorrowShares()).to.equal(
          before.totalBorrowShares,
        );
        expect(await pool.totalBorrowAssets()).to.equal(
          pm.zeroFloorSub(before.totalBorrowAssets + assets, debt),
        );
      }
    });
  });
});
