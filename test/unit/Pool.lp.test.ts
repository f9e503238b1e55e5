import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { FeeOnTransferERC20, Pool } from "../../typechain-types";
import { deployPool, units } from "../helpers/fixtures";
import type { PoolFixture } from "../helpers/fixtures";
import { totalsOf } from "../helpers/chainReads";
import { createPoolFor } from "../adversarial/poolSetup";
import { PERMIT_TYPES, permitDomain, signPermit as signAppPermit } from "../../scripts/lib/permit";
import { DEFAULT_LIQUIDATION_PARAMS, supplyAndBorrow } from "../helpers/setup";
import {
  accrue,
  cashOf,
  DECIMALS_OFFSET,
  interestOf,
  lpAssetsDown,
  lpAssetsUp,
  lpSharesDown,
  lpSharesUp,
  sharePrice,
  toSharesDown,
} from "../../keepers/src/model/poolMath";

const E18 = 10n ** 18n;
const UINT128_MAX = 2n ** 128n - 1n;
/** 10**DECIMALS_OFFSET virtual LP shares. */
const VIRTUAL_LP_SHARES = 10n ** DECIMALS_OFFSET;

/** (totalAssets, totalSupply) for the LP conversions. */
async function lpState(pool: Pool): Promise<{ ta: bigint; ts: bigint }> {
  return { ta: await pool.totalAssets(), ts: await pool.totalSupply() };
}

// ------------------------------------------------------------------ fixtures

async function basePoolFixture(): Promise<PoolFixture> {
  return deployPool();
}

/** Odd deposits (lp0 987,654.32…, lp1 123.45…) so the LP conversions are not exact. */
const LP0_DEPOSIT = 987_654_321_987_654_321_987_653n;
const LP1_DEPOSIT = 123_456_789_012_345_678_901n;
const ODD_BORROW = 600_000_123_456_789_012_345_677n;
/** ~10% a year per second, plus an odd tail. */
const ODD_RATE = 3_170_979_211n;

/**
 * Two LPs, one borrower, a year and 17 s of interest at an odd rate, then the rate set to 0 so that no further
 * interest accrues and every preview stays valid until the next transaction.
 */
async function oddStateFixture(): Promise<PoolFixture> {
  const fx = await deployPool();
  const [lp0, lp1] = fx.lps;
  await fx.pool.connect(lp0).deposit(LP0_DEPOSIT, lp0.address);
  await fx.pool.connect(lp1).deposit(LP1_DEPOSIT, lp1.address);
  await supplyAndBorrow(fx, fx.borrowers[0], units(1_000, 18), ODD_BORROW);
  await fx.rateModel.setRatePerSecond(ODD_RATE);
  await time.increase(31_536_017);
  await fx.pool.accrueInterest();
  await fx.rateModel.setRatePerSecond(0n);
  return fx;
}

/** Same as `basePoolFixture` with interest: rate ~5% a year set before any borrow. */
async function interestFixture(): Promise<PoolFixture> {
  return deployPool({ ratePerSecondE18: 1_585_489_599n });
}

async function decimals6Fixture(): Promise<PoolFixture> {
  return deployPool({ loanDecimals: 6, ratePerSecondE18: 1_585_489_599n });
}
async function decimals8Fixture(): Promise<PoolFixture> {
  return deployPool({ loanDecimals: 8, ratePerSecondE18: 1_585_489_599n });
}
async function decimals18Fixture(): Promise<PoolFixture> {
  return deployPool({ loanDecimals: 18, ratePerSecondE18: 1_585_489_599n });
}

/** A pool created through the fixture's factory whose loan asset takes a 1% fee on every transfer. */
async function feeOnTransferFixture() {
  const fx = await deployPool();
  const fot: FeeOnTransferERC20 = await ethers.deployContract(
    "FeeOnTransferERC20",
    ["Fee Dollar", "FEE", 100n],
  );
  const config = {
    loanAsset: await fot.getAddress(),
    name: "Mutual Pool FEE",
    symbol: "mpFEE",
    owner: fx.owner.address,
    guardian: fx.guardian.address,
    rateModel: await fx.rateModel.getAddress(),
    reserveFactorBps: 1_000n,
    liquidationParams: DEFAULT_LIQUIDATION_PARAMS,
  };
  const salt = ethers.id("fee-on-transfer");
  const address = await fx.factory.computePoolAddress(config, salt);
  await fx.factory.createPool(config, salt);
  const fotPool = await ethers.getContractAt("Pool", address);
  const [lp0] = fx.lps;
  await fot.mint(lp0.address, units(1_000_000, 18));
  await fot.connect(lp0).approve(address, ethers.MaxUint256);
  return { ...fx, fot, fotPool };
}

// ------------------------------------------------------------------ tests

describe("Pool: LP side", function () {
  describe("decimals and the share unit", function () {
    const cases: {
      loanDecimals: number;
      fixture: () => Promise<PoolFixture>;
    }[] = [
      { loanDecimals: 6, fixture: decimals6Fixture },
      { loanDecimals: 8, fixture: decimals8Fixture },
      { loanDecimals: 18, fixture: decimals18Fixture },
    ];

    for (const { loanDecimals, fixture } of cases) {
      it(`decimals() is ${loanDecimals} + 6 and the first deposit mints assets × 1e6 (${loanDecimals}-decimal loan asset)`, async function () {
        const fx = await loadFixture(fixture);
        const { pool, lps } = fx;
        expect(await pool.decimals()).to.equal(BigInt(loanDecimals + 6));
        // Before any deposit one full share unit (10**(d+6)) is worth one whole loan asset (10**d).
        expect(await pool.sharePrice()).to.equal(10n ** BigInt(loanDecimals));

        const assets = units("1234.5", loanDecimals) + 7n;
        const expectedShares = lpSharesDown(assets, 0n, 0n);
        expect(expectedShares).to.equal(assets * VIRTUAL_LP_SHARES);
        await expect(pool.connect(lps[0]).deposit(assets, lps[0].address))
          .to.emit(pool, "Deposit")
          .withArgs(lps[0].address, lps[0].address, assets, expectedShares);
        expect(await pool.balanceOf(lps[0].address)).to.equal(expectedShares);
        expect(await pool.sharePrice()).to.equal(10n ** BigInt(loanDecimals));
        expect(await pool.maxWithdraw(lps[0].address)).to.equal(assets);
      });

      it(`accrues interest and redeems at the poolMath price (${loanDecimals}-decimal loan asset)`, async function () {
        const fx = await loadFixture(fixture);
        const { pool, lps, loanToken, borrowers } = fx;
        const deposit = units(10_000, loanDecimals) + 3n;
        await pool.connect(lps[0]).deposit(deposit, lps[0].address);
        await supplyAndBorrow(
          fx,
          borrowers[0],
          units(10, 18),
          units(4_321, loanDecimals) + 1n,
        );

        const stored = await totalsOf(pool);
        const start = await pool.lastAccrualTimestamp();
        const elapsed = 86_400n * 91n + 5n;
        await time.setNextBlockTimestamp(start + elapsed);
        const shares = await pool.balanceOf(lps[0].address);
        const half = shares / 2n;
        const expected = accrue(stored, 1_585_489_599n, elapsed, 1_000n);
        expect(expected.totalLpAssets).to.be.greaterThan(stored.totalLpAssets);
        const expectedAssets = lpAssetsDown(
          half,
          expected.totalLpAssets,
          shares,
        );

        const before = await loanToken.balanceOf(lps[0].address);
        await expect(
          pool.connect(lps[0]).redeem(half, lps[0].address, lps[0].address),
        )
          .to.emit(pool, "Withdraw")
          .withArgs(
            lps[0].address,
            lps[0].address,
            lps[0].address,
            expectedAssets,
            half,
          );
        expect((await loanToken.balanceOf(lps[0].address)) - before).to.equal(
          expectedAssets,
        );
        expect(await pool.totalAssets()).to.equal(
          expected.totalLpAssets - expectedAssets,
        );
      });
    }
  });

  describe("conversions and their rounding", function () {
    /** Odd asset amounts, each checked below to be inexact at the fixture's price. */
    const ASSET_AMOUNTS = [
      1n,
      7n,
      999_999n,
      31_415_926_535_897_932n,
      123_456_789_012_345_678_901n,
    ];
    /** Odd share amounts. */
    const SHARE_AMOUNTS = [
      1_000_003n,
      7_777_777_777n,
      31_415_926_535_897_932_384_626n,
    ];

    it("the fixture's exchange rate is not a whole number", async function () {
      const { pool } = await loadFixture(oddStateFixture);
      const { ta, ts } = await lpState(pool);
      expect((ts + VIRTUAL_LP_SHARES) % (ta + 1n)).to.not.equal(0n);
      expect(ta).to.be.greaterThan(LP0_DEPOSIT + LP1_DEPOSIT);
    });

    it("convertToShares and previewDeposit round down, previewWithdraw rounds up", async function () {
      const { pool } = await loadFixture(oddStateFixture);
      const { ta, ts } = await lpState(pool);
      for (const assets of ASSET_AMOUNTS) {
        const down = lpSharesDown(assets, ta, ts);
        const up = lpSharesUp(assets, ta, ts);
        // The amount is inexact, so the two directions differ by one share.
        expect(up).to.equal(down + 1n);
        expect(await pool.convertToShares(assets)).to.equal(down);
        expect(await pool.previewDeposit(assets)).to.equal(down);
        expect(await pool.previewWithdraw(assets)).to.equal(up);
      }
    });

    it("convertToAssets and previewRedeem round down, previewMint rounds up", async function () {
      const { pool } = await loadFixture(oddStateFixture);
      const { ta, ts } = await lpState(pool);
      for (const shares of SHARE_AMOUNTS) {
        const down = lpAssetsDown(shares, ta, ts);
        const up = lpAssetsUp(shares, ta, ts);
        expect(up).to.equal(down + 1n);
        expect(await pool.convertToAssets(shares)).to.equal(down);
        expect(await pool.previewRedeem(shares)).to.equal(down);
        expect(await pool.previewMint(shares)).to.equal(up);
      }
    });

    it("sharePrice is assets per 10**decimals() shares, rounded down", async function () {
      const { pool } = await loadFixture(oddStateFixture);
      const { ta, ts } = await lpState(pool);
      expect(await pool.sharePrice()).to.equal(sharePrice(ta, ts, 24n));
      expect(await pool.sharePrice()).to.be.greaterThan(E18);
    });

    it("round trips never profit: deposit→redeem and mint→withdraw lose at most rounding", async function () {
      const { pool } = await loadFixture(oddStateFixture);
      const { ta, ts } = await lpState(pool);
      for (const assets of ASSET_AMOUNTS) {
        const shares = lpSharesDown(assets, ta, ts);
        expect(lpAssetsDown(shares, ta, ts)).to.be.at.most(assets);
        expect(
          await pool.previewRedeem(await pool.previewDeposit(assets)),
        ).to.be.at.most(assets);
        expect(await pool.previewWithdraw(assets)).to.be.at.least(
          await pool.previewDeposit(assets),
        );
      }
      for (const shares of SHARE_AMOUNTS) {
        expect(await pool.previewMint(shares)).to.be.at.least(
          await pool.previewRedeem(shares),
        );
      }
    });
  });

  describe("deposit, mint, withdraw, redeem: previews equal the results", function () {
    it("deposit mints previewDeposit shares to the receiver", async function () {
      const { pool, lps, loanToken } = await loadFixture(oddStateFixture);
      const [lp0, , lp2] = lps;
      const assets = 31_415_926_535_897_932_384n;
      const { ta, ts } = await lpState(pool);
      const preview = await pool.previewDeposit(assets);
      expect(preview).to.equal(lpSharesDown(assets, ta, ts));
      expect(
        await pool.connect(lp0).deposit.staticCall(assets, lp2.address),
      ).to.equal(preview);

      const tokensBefore = await loanToken.balanceOf(lp0.address);
      await expect(pool.connect(lp0).deposit(assets, lp2.address))
        .to.emit(pool, "Deposit")
        .withArgs(lp0.address, lp2.address, assets, preview);
      expect(await pool.balanceOf(lp2.address)).to.equal(preview);
      expect(tokensBefore - (await loanToken.balanceOf(lp0.address))).to.equal(
        assets,
      );
      expect(await pool.totalAssets()).to.equal(ta + assets);
      expect(await pool.totalSupply()).to.equal(ts + preview);
    });

    it("mint pulls previewMint assets", async function () {
      const { pool, lps, loanToken } = await loadFixture(oddStateFixture);
      const [lp0, , lp2] = lps;
      const shares = 31_415_926_535_897_932_384_626n;
      const { ta, ts } = await lpState(pool);
      const preview = await pool.previewMint(shares);
      expect(preview).to.equal(lpAssetsUp(shares, ta, ts));
      expect(
        await pool.connect(lp0).mint.staticCall(shares, lp2.address),
      ).to.equal(preview);

      const tokensBefore = await loanToken.balanceOf(lp0.address);
      await expect(pool.connect(lp0).mint(shares, lp2.address))
        .to.emit(pool, "Deposit")
        .withArgs(lp0.address, lp2.address, preview, shares);
      expect(await pool.balanceOf(lp2.address)).to.equal(shares);
      expect(tokensBefore - (await loanToken.balanceOf(lp0.address))).to.equal(
        preview,
      );
      expect(await pool.totalAssets()).to.equal(ta + preview);
    });

    it("withdraw burns previewWithdraw shares", async function () {
      const { pool, lps, loanToken } = await loadFixture(oddStateFixture);
      const [lp0, , lp2] = lps;
      const assets = 31_415_926_535_897_932_384n;
      const { ta, ts } = await lpState(pool);
      const preview = await pool.previewWithdraw(assets);
      expect(preview).to.equal(lpSharesUp(assets, ta, ts));
      expect(
        await pool
          .connect(lp0)
          .withdraw.staticCall(assets, lp2.address, lp0.address),
      ).to.equal(preview);

      const sharesBefore = await pool.balanceOf(lp0.address);
      const tokensBefore = await loanToken.balanceOf(lp2.address);
      await expect(pool.connect(lp0).withdraw(assets, lp2.address, lp0.address))
        .to.emit(pool, "Withdraw")
        .withArgs(lp0.address, lp2.address, lp0.address, assets, preview);
      expect(sharesBefore - (await pool.balanceOf(lp0.address))).to.equal(
        preview,
      );
      expect((await loanToken.balanceOf(lp2.address)) - tokensBefore).to.equal(
        assets,
      );
      expect(await pool.totalAssets()).to.equal(ta - assets);
      expect(await pool.totalSupply()).to.equal(ts - preview);
    });

    it("redeem pays previewRedeem assets", async function () {
      const { pool, lps, loanToken } = await loadFixture(oddStateFixture);
      const [lp0, , lp2] = lps;
      const shares = 31_415_926_535_897_932_384_626n;
      const { ta, ts } = await lpState(pool);
      const preview = await pool.previewRedeem(shares);
      expect(preview).to.equal(lpAssetsDown(shares, ta, ts));
      expect(
        await pool
          .connect(lp0)
          .redeem.staticCall(shares, lp2.address, lp0.address),
      ).to.equal(preview);

      const tokensBefore = await loanToken.balanceOf(lp2.address);
      await expect(pool.connect(lp0).redeem(shares, lp2.address, lp0.address))
        .to.emit(pool, "Withdraw")
        .withArgs(lp0.address, lp2.address, lp0.address, preview, shares);
      expect((await loanToken.balanceOf(lp2.address)) - tokensBefore).to.equal(
        preview,
      );
      expect(await pool.totalAssets()).to.equal(ta - preview);
    });

    it("withdraw and redeem by an approved spender use the allowance; without one they revert", async function () {
      const { pool, lps, others } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const spender = others[0];
      const shares = 10n ** 24n;
      const previewShares = await pool.previewWithdraw(E18);

      await expect(
        pool.connect(spender).redeem(shares, spender.address, lp0.address),
      )
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
        .withArgs(spender.address, 0n, shares);

      await pool.connect(lp0).approve(spender.address, shares + previewShares);
      const expectedAssets = await pool.previewRedeem(shares);
      await expect(
        pool.connect(spender).redeem(shares, spender.address, lp0.address),
      )
        .to.emit(pool, "Withdraw")
        .withArgs(
          spender.address,
          spender.address,
          lp0.address,
          expectedAssets,
          shares,
        );
      expect(await pool.allowance(lp0.address, spender.address)).to.equal(
        previewShares,
      );
      await pool.connect(spender).withdraw(E18, spender.address, lp0.address);
      expect(await pool.allowance(lp0.address, spender.address)).to.equal(0n);
    });

    it("the full balance can be redeemed and the pool keeps only what others own", async function () {
      const { pool, lps, loanToken } = await loadFixture(oddStateFixture);
      const [, lp1] = lps;
      const shares = await pool.balanceOf(lp1.address);
      const expected = await pool.previewRedeem(shares);
      expect(await pool.maxRedeem(lp1.address)).to.equal(shares);
      const before = await loanToken.balanceOf(lp1.address);
      await pool.connect(lp1).redeem(shares, lp1.address, lp1.address);
      expect((await loanToken.balanceOf(lp1.address)) - before).to.equal(
        expected,
      );
      expect(await pool.balanceOf(lp1.address)).to.equal(0n);
      // lp1 earned interest on its deposit.
      expect(expected).to.be.greaterThan(LP1_DEPOSIT);
    });
  });

  describe("slippage-bounded variants", function () {
    it("depositWithMinShares mints at the bound and reverts with SharesBelowMinimum above it", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const assets = 5_555_555_555_555_555_555n;
      const shares = await pool.previewDeposit(assets);
      await expect(
        pool
          .connect(lp0)
          .depositWithMinShares(assets, lp0.address, shares + 1n),
      )
        .to.be.revertedWithCustomError(pool, "SharesBelowMinimum")
        .withArgs(shares, shares + 1n);
      expect(
        await pool
          .connect(lp0)
          .depositWithMinShares.staticCall(assets, lp0.address, shares),
      ).to.equal(shares);
      await expect(
        pool.connect(lp0).depositWithMinShares(assets, lp0.address, shares),
      )
        .to.emit(pool, "Deposit")
        .withArgs(lp0.address, lp0.address, assets, shares);
    });

    it("mintWithMaxAssets mints at the bound and reverts with AssetsAboveMaximum below it", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const shares = 5_555_555_555_555_555_555_555_555n;
      const assets = await pool.previewMint(shares);
      await expect(
        pool.connect(lp0).mintWithMaxAssets(shares, lp0.address, assets - 1n),
      )
        .to.be.revertedWithCustomError(pool, "AssetsAboveMaximum")
        .withArgs(assets, assets - 1n);
      expect(
        await pool
          .connect(lp0)
          .mintWithMaxAssets.staticCall(shares, lp0.address, assets),
      ).to.equal(assets);
      await expect(
        pool.connect(lp0).mintWithMaxAssets(shares, lp0.address, assets),
      )
        .to.emit(pool, "Deposit")
        .withArgs(lp0.address, lp0.address, assets, shares);
    });

    it("withdrawWithMaxShares burns at the bound and reverts with SharesAboveMaximum below it", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const assets = 5_555_555_555_555_555_555n;
      const shares = await pool.previewWithdraw(assets);
      await expect(
        pool
          .connect(lp0)
          .withdrawWithMaxShares(assets, lp0.address, lp0.address, shares - 1n),
      )
        .to.be.revertedWithCustomError(pool, "SharesAboveMaximum")
        .withArgs(shares, shares - 1n);
      expect(
        await pool
          .connect(lp0)
          .withdrawWithMaxShares.staticCall(
            assets,
            lp0.address,
            lp0.address,
            shares,
          ),
      ).to.equal(shares);
      await expect(
        pool
          .connect(lp0)
          .withdrawWithMaxShares(assets, lp0.address, lp0.address, shares),
      )
        .to.emit(pool, "Withdraw")
        .withArgs(lp0.address, lp0.address, lp0.address, assets, shares);
    });

    it("redeemWithMinAssets pays at the bound and reverts with AssetsBelowMinimum above it", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const shares = 5_555_555_555_555_555_555_555_555n;
      const assets = await pool.previewRedeem(shares);
      await expect(
        pool
          .connect(lp0)
          .redeemWithMinAssets(shares, lp0.address, lp0.address, assets + 1n),
      )
        .to.be.revertedWithCustomError(pool, "AssetsBelowMinimum")
        .withArgs(assets, assets + 1n);
      expect(
        await pool
          .connect(lp0)
          .redeemWithMinAssets.staticCall(
            shares,
            lp0.address,
            lp0.address,
            assets,
          ),
      ).to.equal(assets);
      await expect(
        pool
          .connect(lp0)
          .redeemWithMinAssets(shares, lp0.address, lp0.address, assets),
      )
        .to.emit(pool, "Withdraw")
        .withArgs(lp0.address, lp0.address, lp0.address, assets, shares);
    });

    it("the unbounded ERC-4626 functions behave as the bounded ones with open bounds", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const assets = 5_555_555_555_555_555_555n;
      const shares = 5_555_555_555_555_555_555_555_555n;
      expect(
        await pool.connect(lp0).deposit.staticCall(assets, lp0.address),
      ).to.equal(
        await pool
          .connect(lp0)
          .depositWithMinShares.staticCall(assets, lp0.address, 0n),
      );
      expect(
        await pool.connect(lp0).mint.staticCall(shares, lp0.address),
      ).to.equal(
        await pool
          .connect(lp0)
          .mintWithMaxAssets.staticCall(shares, lp0.address, ethers.MaxUint256),
      );
      expect(
        await pool
          .connect(lp0)
          .withdraw.staticCall(assets, lp0.address, lp0.address),
      ).to.equal(
        await pool
          .connect(lp0)
          .withdrawWithMaxShares.staticCall(
            assets,
            lp0.address,
            lp0.address,
            ethers.MaxUint256,
          ),
      );
      expect(
        await pool
          .connect(lp0)
          .redeem.staticCall(shares, lp0.address, lp0.address),
      ).to.equal(
        await pool
          .connect(lp0)
          .redeemWithMinAssets.staticCall(shares, lp0.address, lp0.address, 0n),
      );
    });
  });

  describe("zero amounts, zero receiver and the ERC-4626 maxima", function () {
    it("deposit and withdraw of 0 assets revert with ZeroShares(0)", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      // Thunks, so each call is sent only after the previous expectation settled.
      const calls = [
        () => pool.connect(lp0).deposit(0n, lp0.address),
        () => pool.connect(lp0).depositWithMinShares(0n, lp0.address, 0n),
        () => pool.connect(lp0).withdraw(0n, lp0.address, lp0.address),
        () =>
          pool
            .connect(lp0)
            .withdrawWithMaxShares(0n, lp0.address, lp0.address, 0n),
      ];
      for (const call of calls) {
        await expect(call())
          .to.be.revertedWithCustomError(pool, "ZeroShares")
          .withArgs(0n);
      }
    });

    it("mint and redeem of 0 shares revert with ZeroAssets(0)", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const calls = [
        () => pool.connect(lp0).mint(0n, lp0.address),
        () => pool.connect(lp0).mintWithMaxAssets(0n, lp0.address, 0n),
        () => pool.connect(lp0).redeem(0n, lp0.address, lp0.address),
        () =>
          pool
            .connect(lp0)
            .redeemWithMinAssets(0n, lp0.address, lp0.address, 0n),
      ];
      for (const call of calls) {
        await expect(call())
          .to.be.revertedWithCustomError(pool, "ZeroAssets")
          .withArgs(0n);
      }
    });

    it("redeeming one share worth less than one wei reverts with ZeroAssets(1); minting it costs one wei", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const { ta, ts } = await lpState(pool);
      expect(lpAssetsDown(1n, ta, ts)).to.equal(0n);
      await expect(pool.connect(lp0).redeem(1n, lp0.address, lp0.address))
        .to.be.revertedWithCustomError(pool, "ZeroAssets")
        .withArgs(1n);
      expect(lpAssetsUp(1n, ta, ts)).to.equal(1n);
      await expect(pool.connect(lp0).mint(1n, lp0.address))
        .to.emit(pool, "Deposit")
        .withArgs(lp0.address, lp0.address, 1n, 1n);
    });

    it("a zero receiver reverts with ZeroAddress on every entry point", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const zero = ethers.ZeroAddress;
      // Thunks, so each call is sent only after the previous expectation settled.
      const calls = [
        () => pool.connect(lp0).deposit(E18, zero),
        () => pool.connect(lp0).depositWithMinShares(E18, zero, 0n),
        // No valid permit: lp0's standing approval covers the deposit, so the receiver check decides.
        () => pool.connect(lp0).depositWithPermit(E18, zero, 0n, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
        () => pool.connect(lp0).mint(10n ** 24n, zero),
        () =>
          pool
            .connect(lp0)
            .mintWithMaxAssets(10n ** 24n, zero, ethers.MaxUint256),
        () => pool.connect(lp0).withdraw(E18, zero, lp0.address),
        () =>
          pool
            .connect(lp0)
            .withdrawWithMaxShares(E18, zero, lp0.address, ethers.MaxUint256),
        () => pool.connect(lp0).redeem(10n ** 24n, zero, lp0.address),
        () =>
          pool
            .connect(lp0)
            .redeemWithMinAssets(10n ** 24n, zero, lp0.address, 0n),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(pool, "ZeroAddress");
      }
    });

    it("deposit above maxDeposit reverts with ERC4626ExceededMaxDeposit", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0, lp1] = lps;
      const totals = await totalsOf(pool);
      const max = await pool.maxDeposit(lp1.address);
      // What the uint128 accounting can still hold: 2**128 − 1 − (LP assets + reserve).
      expect(max).to.equal(
        UINT128_MAX - totals.totalLpAssets - totals.reserveAssets,
      );
      await expect(pool.connect(lp0).deposit(max + 1n, lp1.address))
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxDeposit")
        .withArgs(lp1.address, max + 1n, max);
      await expect(
        pool.connect(lp0).depositWithMinShares(max + 1n, lp1.address, 0n),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxDeposit")
        .withArgs(lp1.address, max + 1n, max);
    });

    it("mint above maxMint reverts with ERC4626ExceededMaxMint", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [lp0, lp1] = lps;
      const { ta, ts } = await lpState(pool);
      const max = await pool.maxMint(lp1.address);
      expect(max).to.equal(
        lpSharesDown(await pool.maxDeposit(lp1.address), ta, ts),
      );
      await expect(pool.connect(lp0).mint(max + 1n, lp1.address))
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxMint")
        .withArgs(lp1.address, max + 1n, max);
      await expect(
        pool
          .connect(lp0)
          .mintWithMaxAssets(max + 1n, lp1.address, ethers.MaxUint256),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxMint")
        .withArgs(lp1.address, max + 1n, max);
    });

    it("withdraw above maxWithdraw reverts with ERC4626ExceededMaxWithdraw", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [, lp1] = lps;
      const max = await pool.maxWithdraw(lp1.address);
      const { ta, ts } = await lpState(pool);
      expect(max).to.equal(
        lpAssetsDown(await pool.balanceOf(lp1.address), ta, ts),
      );
      await expect(
        pool.connect(lp1).withdraw(max + 1n, lp1.address, lp1.address),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxWithdraw")
        .withArgs(lp1.address, max + 1n, max);
      await expect(
        pool
          .connect(lp1)
          .withdrawWithMaxShares(
            max + 1n,
            lp1.address,
            lp1.address,
            ethers.MaxUint256,
          ),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxWithdraw")
        .withArgs(lp1.address, max + 1n, max);
      await expect(
        pool.connect(lp1).withdraw(max, lp1.address, lp1.address),
      ).to.emit(pool, "Withdraw");
    });

    it("redeem above maxRedeem reverts with ERC4626ExceededMaxRedeem", async function () {
      const { pool, lps } = await loadFixture(oddStateFixture);
      const [, lp1] = lps;
      const max = await pool.maxRedeem(lp1.address);
      expect(max).to.equal(await pool.balanceOf(lp1.address));
      await expect(pool.connect(lp1).redeem(max + 1n, lp1.address, lp1.address))
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxRedeem")
        .withArgs(lp1.address, max + 1n, max);
      await expect(
        pool
          .connect(lp1)
          .redeemWithMinAssets(max + 1n, lp1.address, lp1.address, 0n),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxRedeem")
        .withArgs(lp1.address, max + 1n, max);
    });
  });

  describe("fee-on-transfer loan asset", function () {
    it("deposit, mint and donateToReserve revert with FeeOnTransferNotSupported(token, expected, received)", async function () {
      const { fot, fotPool, lps } = await loadFixture(feeOnTransferFixture);
      const [lp0] = lps;
      const token = await fot.getAddress();
      const assets = units(1_000, 18);
      // 1% fee: the pool receives 990.
      await expect(fotPool.connect(lp0).deposit(assets, lp0.address))
        .to.be.revertedWithCustomError(fotPool, "FeeOnTransferNotSupported")
        .withArgs(token, assets, units(990, 18));
      // mint(1e24 shares) of an empty pool costs 1e18 assets; the pool receives 0.99e18.
      await expect(fotPool.connect(lp0).mint(10n ** 24n, lp0.address))
        .to.be.revertedWithCustomError(fotPool, "FeeOnTransferNotSupported")
        .withArgs(token, E18, 99n * 10n ** 16n);
      await expect(fotPool.connect(lp0).donateToReserve(assets))
        .to.be.revertedWithCustomError(fotPool, "FeeOnTransferNotSupported")
        .withArgs(token, assets, units(990, 18));
      expect(await fotPool.totalAssets()).to.equal(0n);
    });

    it("the same token with its fee at 0 deposits normally", async function () {
      const { fot, fotPool, lps } = await loadFixture(feeOnTransferFixture);
      const [lp0] = lps;
      await fot.setFeeBps(0n);
      const assets = units(1_000, 18);
      await expect(fotPool.connect(lp0).deposit(assets, lp0.address))
        .to.emit(fotPool, "Deposit")
        .withArgs(lp0.address, lp0.address, assets, assets * VIRTUAL_LP_SHARES);
      // Turning the fee on afterwards: the pool pays out the exact amount; only inbound transfers are checked.
      await fot.setFeeBps(100n);
      await expect(fotPool.connect(lp0).deposit(1_000n, lp0.address))
        .to.be.revertedWithCustomError(fotPool, "FeeOnTransferNotSupported")
        .withArgs(await fot.getAddress(), 1_000n, 990n);
    });
  });

  describe("first-depositor inflation attack", function () {
    it("a 1-wei deposit plus a large direct transfer neither moves totalAssets nor hurts the victim", async function () {
      const { pool, loanToken, lps, others } =
        await loadFixture(basePoolFixture);
      const attacker = others[0];
      const victim = lps[0];
      const poolAddress = await pool.getAddress();
      const donation = units(10_000, 18);
      await loanToken.mint(attacker.address, donation + 1n);
      await loanToken.connect(attacker).approve(poolAddress, ethers.MaxUint256);

      await pool.connect(attacker).deposit(1n, attacker.address);
      const attackerShares = await pool.balanceOf(attacker.address);
      expect(attackerShares).to.equal(lpSharesDown(1n, 0n, 0n)); // 1e6 shares for 1 wei

      await loanToken.connect(attacker).transfer(poolAddress, donation);
      // Tokens sent without a call are ignored: totalAssets, cash and the share price do not move.
      expect(await pool.totalAssets()).to.equal(1n);
      expect(await pool.cash()).to.equal(1n);
      expect(await pool.sharePrice()).to.equal(
        sharePrice(1n, attackerShares, 24n),
      );
      expect(await loanToken.balanceOf(poolAddress)).to.equal(donation + 1n);

      const victimAssets = units(1_000, 18);
      const expectedVictimShares = lpSharesDown(
        victimAssets,
        1n,
        attackerShares,
      );
      await pool.connect(victim).deposit(victimAssets, victim.address);
      const victimShares = await pool.balanceOf(victim.address);
      expect(victimShares).to.equal(expectedVictimShares);
      // Fair: the same 1e6 shares per wei as the attacker got.
      expect(victimShares).to.equal(victimAssets * VIRTUAL_LP_SHARES);

      const ta = victimAssets + 1n;
      const ts = victimShares + attackerShares;
      expect(await pool.totalAssets()).to.equal(ta);
      // The victim can take back the whole deposit; the attacker only its 1 wei. The donation is lost to both.
      expect(await pool.maxWithdraw(victim.address)).to.equal(
        lpAssetsDown(victimShares, ta, ts),
      );
      expect(await pool.maxWithdraw(victim.address)).to.equal(victimAssets);
      expect(await pool.maxWithdraw(attacker.address)).to.equal(1n);

      const attackerBefore = await loanToken.balanceOf(attacker.address);
      await pool
        .connect(attacker)
        .redeem(attackerShares, attacker.address, attacker.address);
      expect(
        (await loanToken.balanceOf(attacker.address)) - attackerBefore,
      ).to.equal(1n);
      await pool
        .connect(victim)
        .redeem(victimShares, victim.address, victim.address);
      expect(await loanToken.balanceOf(victim.address)).to.equal(
        units(1_000_000, 18),
      );
    });

    it("a donation made before the first deposit is ignored too", async function () {
      const { pool, loanToken, lps, others } =
        await loadFixture(basePoolFixture);
      const poolAddress = await pool.getAddress();
      await loanToken.mint(others[0].address, units(5_000, 18));
      await loanToken
        .connect(others[0])
        .transfer(poolAddress, units(5_000, 18));
      expect(await pool.totalAssets()).to.equal(0n);
      const assets = 777n;
      await pool.connect(lps[0]).deposit(assets, lps[0].address);
      expect(await pool.balanceOf(lps[0].address)).to.equal(
        assets * VIRTUAL_LP_SHARES,
      );
      expect(await pool.maxWithdraw(lps[0].address)).to.equal(assets);
    });
  });

  describe("totalAssets with interest", function () {
    /** interestFixture: lp0 deposited 800,000 + 11 wei, borrower 0 borrowed 600,000 + 3 wei; no time has passed. */
    async function interestLoanFixture(): Promise<PoolFixture> {
      const fx = await interestFixture();
      const { pool, lps, borrowers } = fx;
      await pool
        .connect(lps[0])
        .deposit(units(800_000, 18) + 11n, lps[0].address);
      await supplyAndBorrow(
        fx,
        borrowers[0],
        units(1_000, 18),
        units(600_000, 18) + 3n,
      );
      return fx;
    }

    it("totalAssets, reserve, borrows and cash views equal poolMath accrue() before any transaction", async function () {
      const { pool } = await loadFixture(interestLoanFixture);

      // Right after the borrow, the views show the stored totals (no time has passed).
      const stored = await totalsOf(pool);
      const start = await pool.lastAccrualTimestamp();
      expect(BigInt(await time.latest())).to.equal(start);

      await time.increase(1_234_567);
      const elapsed = BigInt(await time.latest()) - start;
      const expected = accrue(stored, 1_585_489_599n, elapsed, 1_000n);
      const { interest, reserveShare } = interestOf(
        stored.totalBorrowAssets,
        1_585_489_599n,
        elapsed,
        1_000n,
      );
      expect(interest).to.be.greaterThan(0n);
      expect(reserveShare).to.be.greaterThan(0n);

      expect(await pool.totalAssets()).to.equal(expected.totalLpAssets);
      expect(await pool.reserveAssets()).to.equal(expected.reserveAssets);
      expect(await pool.totalBorrowAssets()).to.equal(
        expected.totalBorrowAssets,
      );
      // Accrual does not change the idle cash.
      expect(await pool.cash()).to.equal(cashOf(stored));
      expect(await pool.cash()).to.equal(cashOf(expected));
      // totalAssets = cash + borrows − reserve.
      expect(await pool.totalAssets()).to.equal(
        (await pool.cash()) +
          (await pool.totalBorrowAssets()) -
          (await pool.reserveAssets()),
      );
      expect(await pool.sharePrice()).to.equal(
        sharePrice(expected.totalLpAssets, await pool.totalSupply(), 24n),
      );
      // The stored accrual timestamp has not moved: the views did not write.
      expect(await pool.lastAccrualTimestamp()).to.equal(start);
    });

    it("accrueInterest writes what the views showed (one more second) and emits InterestAccrued", async function () {
      const { pool, others } = await loadFixture(interestLoanFixture);
      const stored = await totalsOf(pool);
      const start = await pool.lastAccrualTimestamp();

      const elapsed = 7_777_777n;
      await time.setNextBlockTimestamp(start + elapsed);
      const { interest, reserveShare } = interestOf(
        stored.totalBorrowAssets,
        1_585_489_599n,
        elapsed,
        1_000n,
      );
      await expect(pool.connect(others[0]).accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(1_585_489_599n, interest, reserveShare);
      const expected = accrue(stored, 1_585_489_599n, elapsed, 1_000n);
      expect(await totalsOf(pool)).to.deep.equal(expected);
    });

    it("tokens sent straight to the pool do not count in totalAssets or cash", async function () {
      const fx = await loadFixture(interestFixture);
      const { pool, lps, loanToken } = fx;
      await pool.connect(lps[0]).deposit(units(1_000, 18), lps[0].address);
      await loanToken
        .connect(lps[1])
        .transfer(await pool.getAddress(), units(500, 18));
      expect(await pool.totalAssets()).to.equal(units(1_000, 18));
      expect(await pool.cash()).to.equal(units(1_000, 18));
      expect(await pool.maxWithdraw(lps[0].address)).to.equal(units(1_000, 18));
    });
  });

  describe("maxWithdraw, maxRedeem, maxDeposit, maxMint", function () {
    async function borrowedOutFixture(): Promise<PoolFixture> {
      const fx = await deployPool();
      const [lp0, lp1, lp2] = fx.lps;
      await fx.pool.connect(lp0).deposit(units(1_000, 18), lp0.address);
      await fx.pool.connect(lp1).deposit(units(500, 18), lp1.address);
      await supplyAndBorrow(
        fx,
        fx.borrowers[0],
        units(10, 18),
        units(1_200, 18),
      );
      await fx.pool.connect(lp2).deposit(units(100, 18), lp2.address);
      return fx;
    }

    it("maxWithdraw and maxRedeem are limited by the idle cash when the pool is borrowed out", async function () {
      const { pool, lps } = await loadFixture(borrowedOutFixture);
      const [lp0, lp1] = lps;
      // 1,600 deposited, 1,200 borrowed: 400 idle.
      const cash = units(400, 18);
      expect(await pool.cash()).to.equal(cash);
      const { ta, ts } = await lpState(pool);
      expect(await pool.maxWithdraw(lp0.address)).to.equal(cash);
      expect(await pool.maxWithdraw(lp1.address)).to.equal(cash);
      expect(await pool.maxRedeem(lp0.address)).to.equal(
        lpSharesDown(cash, ta, ts),
      );
      expect(await pool.maxRedeem(lp0.address)).to.be.lessThan(
        await pool.balanceOf(lp0.address),
      );

      await expect(
        pool.connect(lp0).withdraw(cash + 1n, lp0.address, lp0.address),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxWithdraw")
        .withArgs(lp0.address, cash + 1n, cash);
      const maxShares = await pool.maxRedeem(lp0.address);
      await expect(
        pool.connect(lp0).redeem(maxShares + 1n, lp0.address, lp0.address),
      )
        .to.be.revertedWithCustomError(pool, "ERC4626ExceededMaxRedeem")
        .withArgs(lp0.address, maxShares + 1n, maxShares);

      await pool.connect(lp0).withdraw(cash, lp0.address, lp0.address);
      expect(await pool.cash()).to.equal(0n);
      expect(await pool.maxWithdraw(lp1.address)).to.equal(0n);
      expect(await pool.maxRedeem(lp1.address)).to.equal(0n);
    });

    it("maxWithdraw and maxRedeem are limited by the owner's shares when cash suffices", async function () {
      const { pool, lps, others } = await loadFixture(borrowedOutFixture);
      const lp2 = lps[2];
      expect(await pool.maxWithdraw(lp2.address)).to.equal(units(100, 18));
      expect(await pool.maxRedeem(lp2.address)).to.equal(
        await pool.balanceOf(lp2.address),
      );
      expect(await pool.maxWithdraw(others[0].address)).to.equal(0n);
      expect(await pool.maxRedeem(others[0].address)).to.equal(0n);
    });

    it("a pause does not limit maxWithdraw or maxRedeem, and withdraw and redeem still work", async function () {
      const { pool, lps, guardian } = await loadFixture(borrowedOutFixture);
      const [lp0, , lp2] = lps;
      const before = [
        await pool.maxWithdraw(lp0.address),
        await pool.maxRedeem(lp0.address),
        await pool.maxWithdraw(lp2.address),
        await pool.maxRedeem(lp2.address),
      ];
      await pool.connect(guardian).setPaused(true);
      expect([
        await pool.maxWithdraw(lp0.address),
        await pool.maxRedeem(lp0.address),
        await pool.maxWithdraw(lp2.address),
        await pool.maxRedeem(lp2.address),
      ]).to.deep.equal(before);
      await expect(
        pool.connect(lp2).withdraw(units(40, 18), lp2.address, lp2.address),
      ).to.emit(pool, "Withdraw");
      const rest = await pool.balanceOf(lp2.address);
      await expect(
        pool.connect(lp2).redeem(rest, lp2.address, lp2.address),
      ).to.emit(pool, "Withdraw");
    });

    it("maxDeposit and maxMint are 0 while paused and back after unpausing", async function () {
      const { pool, lps, guardian } = await loadFixture(borrowedOutFixture);
      const lp0 = lps[0];
      const totals = await totalsOf(pool);
      const openMax = UINT128_MAX - totals.totalLpAssets - totals.reserveAssets;
      expect(await pool.maxDeposit(lp0.address)).to.equal(openMax);
      const { ta, ts } = await lpState(pool);
      expect(await pool.maxMint(lp0.address)).to.equal(
        lpSharesDown(openMax, ta, ts),
      );

      await pool.connect(guardian).setPaused(true);
      expect(await pool.maxDeposit(lp0.address)).to.equal(0n);
      expect(await pool.maxMint(lp0.address)).to.equal(0n);

      await pool.connect(guardian).setPaused(false);
      expect(await pool.maxDeposit(lp0.address)).to.equal(openMax);
    });
  });

  describe("deposit after a total write-down", function () {
    /** lp0 deposits 1,000; a borrower takes all of it; its collateral becomes worthless; socialized with reserve 0. */
    async function writtenDownFixture() {
      const fx = await deployPool();
      const [lp0] = fx.lps;
      const borrower = fx.borrowers[0];
      await fx.pool.connect(lp0).deposit(units(1_000, 18), lp0.address);
      await supplyAndBorrow(fx, borrower, units(1, 18), units(1_000, 18));
      // Price 1e-36 loan units per collateral unit: 1 collateral is worth 0 (valueDown rounds down).
      await fx.collaterals[0].oracle.setPrice(1n);
      return fx;
    }

    it("socializing the whole debt with no reserve leaves totalAssets 0 with shares outstanding", async function () {
      const { pool, lps, borrowers, liquidator, collaterals } =
        await loadFixture(writtenDownFixture);
      const borrower = borrowers[0];
      const supply = await pool.totalSupply();
      expect(supply).to.equal(units(1_000, 18) * VIRTUAL_LP_SHARES);
      expect(await pool.reserveAssets()).to.equal(0n);
      const spBefore = sharePrice(units(1_000, 18), supply, 24n);
      const spAfter = sharePrice(0n, supply, 24n);
      expect(spBefore).to.equal(E18);
      expect(spAfter).to.equal(0n);

      await expect(pool.connect(liquidator).socializeBadDebt(borrower.address))
        .to.emit(pool, "BadDebtRealized")
        .withArgs(
          borrower.address,
          units(1_000, 18),
          0n,
          units(1_000, 18),
          spBefore,
          spAfter,
        )
        .and.to.emit(pool, "DustCollateralSwept")
        .withArgs(
          borrower.address,
          await collaterals[0].token.getAddress(),
          liquidator.address,
          units(1, 18),
          false,
        );

      expect(await pool.totalAssets()).to.equal(0n);
      expect(await pool.totalSupply()).to.equal(supply);
      expect(await pool.totalBorrowAssets()).to.equal(0n);
      expect(await pool.cash()).to.equal(0n);
      // No view divides by zero.
      expect(await pool.sharePrice()).to.equal(0n);
      expect(await pool.convertToAssets(supply)).to.equal(
        lpAssetsDown(supply, 0n, supply),
      );
      expect(await pool.convertToAssets(supply)).to.equal(0n);
      expect(await pool.maxWithdraw(lps[0].address)).to.equal(0n);
      expect(await pool.maxRedeem(lps[0].address)).to.equal(0n);
      expect(await pool.previewMint(10n ** 24n)).to.equal(
        lpAssetsUp(10n ** 24n, 0n, supply),
      );
      expect(await pool.previewWithdraw(E18)).to.equal(
        lpSharesUp(E18, 0n, supply),
      );
    });

    it("a new deposit then gets a fair share: it can take back exactly what it put in", async function () {
      const { pool, lps, borrowers, liquidator, loanToken } =
        await loadFixture(writtenDownFixture);
      const [lp0, lp1] = lps;
      await pool.connect(liquidator).socializeBadDebt(borrowers[0].address);
      const oldSupply = await pool.totalSupply();

      const assets = units(500, 18);
      const expectedShares = lpSharesDown(assets, 0n, oldSupply);
      expect(await pool.previewDeposit(assets)).to.equal(expectedShares);
      await expect(pool.connect(lp1).deposit(assets, lp1.address))
        .to.emit(pool, "Deposit")
        .withArgs(lp1.address, lp1.address, assets, expectedShares);
      expect(await pool.totalAssets()).to.equal(assets);

      const ts = oldSupply + expectedShares;
      // shares = 500e18 × (S + 1e6) and the supply is (S + 1e6)(1 + 500e18) − 1e6, so lp1 owns all 500e18.
      expect(await pool.maxWithdraw(lp1.address)).to.equal(
        lpAssetsDown(expectedShares, assets, ts),
      );
      expect(await pool.maxWithdraw(lp1.address)).to.equal(assets);
      // The written-down LP's old shares are worth nothing of the new money.
      expect(await pool.maxWithdraw(lp0.address)).to.equal(
        lpAssetsDown(oldSupply, assets, ts),
      );
      expect(await pool.maxWithdraw(lp0.address)).to.equal(0n);

      const before = await loanToken.balanceOf(lp1.address);
      await pool.connect(lp1).redeem(expectedShares, lp1.address, lp1.address);
      expect((await loanToken.balanceOf(lp1.address)) - before).to.equal(
        assets,
      );
    });

    it("a liquidation that seizes everything realizes the rest as bad debt and leaves 1 wei of LP assets", async function () {
      const { pool, lps, borrowers, liquidator, collaterals } =
        await loadFixture(writtenDownFixture);
      const borrower = borrowers[0];
      const collateral = await collaterals[0].token.getAddress();
      const shares = await pool.borrowSharesOf(borrower.address);
      const repaidShares = toSharesDown(1n, units(1_000, 18), shares);
      expect(repaidShares).to.equal(10n ** 6n);
      // All 1e18 collateral units cost ceil(1e18 × 1e4 × 1 / (1e36 × 10,500)) = 1 wei; the other 1,000e18 − 1 of
      // debt is realized at once (reserve 0, so all of it is socialized).
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrower.address,
            collateral,
            ethers.MaxUint256,
            0n,
            liquidator.address,
          ),
      )
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower.address,
          collateral,
          liquidator.address,
          1n,
          repaidShares,
          units(1, 18),
          units(1_000, 18) - 1n,
        );
      expect(await pool.totalAssets()).to.equal(1n);
      expect(await pool.debtOf(borrower.address)).to.equal(0n);
      const supply = await pool.totalSupply();
      await pool.connect(lps[1]).deposit(units(10, 18), lps[1].address);
      expect(await pool.balanceOf(lps[1].address)).to.equal(
        lpSharesDown(units(10, 18), 1n, supply),
      );
    });
  });

  describe("permit (EIP-2612) on the share token", function () {
    async function signPermit(
      pool: Pool,
      owner: HardhatEthersSigner,
      spender: string,
      value: bigint,
      nonce: bigint,
      deadline: bigint,
    ) {
      const typedDomain = permitDomain(await pool.eip712Domain());
      const types = PERMIT_TYPES;
      const message = { owner: owner.address, spender, value, nonce, deadline };
      const { signature } = await signAppPermit(owner, typedDomain, message);
      return { signature, typedDomain, types, message };
    }

    /** Sends `signed` to `pool.permit` (from `pool`'s runner). */
    function submitPermit(
      pool: Pool,
      signed: Awaited<ReturnType<typeof signPermit>>,
    ): Promise<ContractTransactionResponse> {
      const { message, signature } = signed;
      return pool.permit(
        message.owner,
        message.spender,
        message.value,
        message.deadline,
        signature.v,
        signature.r,
        signature.s,
      );
    }

    it("a signed permit sets the allowance, bumps the nonce and lets the spender move shares", async function () {
      const { pool, lps, others } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const [spender, relayer] = others;
      const domain = await pool.eip712Domain();
      expect(domain.name).to.equal("Mutual Pool LUSD");
      expect(domain.version).to.equal("1");
      expect(domain.verifyingContract).to.equal(await pool.getAddress());

      const value = 10n ** 25n + 1n;
      const deadline = BigInt(await time.latest()) + 3_600n;
      const nonce = await pool.nonces(lp0.address);
      const signed = await signPermit(
        pool,
        lp0,
        spender.address,
        value,
        nonce,
        deadline,
      );
      await expect(submitPermit(pool.connect(relayer), signed))
        .to.emit(pool, "Approval")
        .withArgs(lp0.address, spender.address, value);
      expect(await pool.allowance(lp0.address, spender.address)).to.equal(
        value,
      );
      expect(await pool.nonces(lp0.address)).to.equal(nonce + 1n);

      await pool
        .connect(spender)
        .transferFrom(lp0.address, spender.address, value);
      expect(await pool.balanceOf(spender.address)).to.equal(value);
      expect(await pool.allowance(lp0.address, spender.address)).to.equal(0n);
    });

    it("a replayed permit reverts with ERC2612InvalidSigner and an expired one with ERC2612ExpiredSignature", async function () {
      const { pool, lps, others } = await loadFixture(oddStateFixture);
      const [lp0] = lps;
      const spender = others[0];
      const value = 12_345n;
      const deadline = BigInt(await time.latest()) + 3_600n;
      const signed = await signPermit(
        pool,
        lp0,
        spender.address,
        value,
        0n,
        deadline,
      );
      const { signature, typedDomain, types, message } = signed;
      await submitPermit(pool, signed);

      // With the nonce now 1, the same signature recovers to some other address.
      const recovered = ethers.verifyTypedData(
        typedDomain,
        types,
        { ...message, nonce: 1n },
        signature,
      );
      expect(recovered).to.not.equal(lp0.address);
      await expect(submitPermit(pool, signed))
        .to.be.revertedWithCustomError(pool, "ERC2612InvalidSigner")
        .withArgs(recovered, lp0.address);

      const past = BigInt(await time.latest()) - 1n;
      const expired = await signPermit(
        pool,
        lp0,
        spender.address,
        value,
        1n,
        past,
      );
      await expect(submitPermit(pool, expired))
        .to.be.revertedWithCustomError(pool, "ERC2612ExpiredSignature")
        .withArgs(past);
    });
  });

  describe("depositWithPermit: deposit with an EIP-2612 permit of the loan asset", function () {
    /** The odd-state pool with lp0's standing approval of the loan asset withdrawn, and a signed permit. */
    async function permitFixture() {
      const fx = await oddStateFixture();
      const [lp0] = fx.lps;
      const poolAddress = await fx.pool.getAddress();
      await fx.loanToken.connect(lp0).approve(poolAddress, 0n);
      const assets = 5_555_555_555_555_555_555n;
      const deadline = BigInt(await time.latest()) + 3_600n;
      const domain = permitDomain(await fx.loanToken.eip712Domain());
      const message = { owner: lp0.address, spender: poolAddress, value: assets, nonce: 0n, deadline };
      const permit = await signAppPermit(lp0, domain, message);
      return { ...fx, assets, deadline, permit, message };
    }

    it("deposits without a prior approval: the permit sets the allowance and the deposit spends it", async function () {
      const { pool, loanToken, lps, assets, deadline, permit } = await loadFixture(permitFixture);
      const [lp0, lp1] = lps;
      const shares = await pool.previewDeposit(assets);
      expect(
        await pool.connect(lp0).depositWithPermit.staticCall(assets, lp1.address, shares, deadline, permit.v, permit.r, permit.s),
      ).to.equal(shares);
      const tx = pool.connect(lp0).depositWithPermit(assets, lp1.address, shares, deadline, permit.v, permit.r, permit.s);
      await expect(tx).to.emit(pool, "Deposit").withArgs(lp0.address, lp1.address, assets, shares);
      await expect(tx).to.emit(loanToken, "Approval").withArgs(lp0.address, await pool.getAddress(), assets);
      expect(await loanToken.nonces(lp0.address)).to.equal(1n);
      expect(await loanToken.allowance(lp0.address, await pool.getAddress())).to.equal(0n);
    });

    it("goes on when someone used the permit first (front-run), since the allowance is already set", async function () {
      const { pool, loanToken, lps, others, assets, deadline, permit } = await loadFixture(permitFixture);
      const [lp0] = lps;
      await loanToken
        .connect(others[0])
        .permit(lp0.address, await pool.getAddress(), assets, deadline, permit.v, permit.r, permit.s);
      const shares = await pool.previewDeposit(assets);
      await expect(pool.connect(lp0).depositWithPermit(assets, lp0.address, shares, deadline, permit.v, permit.r, permit.s))
        .to.emit(pool, "Deposit")
        .withArgs(lp0.address, lp0.address, assets, shares);
    });

    it("reverts with PermitFailed when the permit fails and the allowance does not cover the deposit", async function () {
      const { pool, loanToken, lps, assets, permit } = await loadFixture(permitFixture);
      const [lp0] = lps;
      const poolAddress = await pool.getAddress();
      // The signature was made for another deadline, so it recovers to someone else.
      const otherDeadline = BigInt(await time.latest()) + 7_200n;
      await loanToken.connect(lp0).approve(poolAddress, assets - 1n);
      await expect(pool.connect(lp0).depositWithPermit(assets, lp0.address, 0n, otherDeadline, permit.v, permit.r, permit.s))
        .to.be.revertedWithCustomError(pool, "PermitFailed")
        .withArgs(lp0.address, assets - 1n, assets);
    });

    it("reverts with PermitFailed on an expired permit", async function () {
      const { pool, loanToken, lps, assets } = await loadFixture(permitFixture);
      const [lp0] = lps;
      const poolAddress = await pool.getAddress();
      const past = BigInt(await time.latest()) - 1n;
      const domain = permitDomain(await loanToken.eip712Domain());
      const expired = await signAppPermit(lp0, domain, { owner: lp0.address, spender: poolAddress, value: assets, nonce: 0n, deadline: past });
      await expect(pool.connect(lp0).depositWithPermit(assets, lp0.address, 0n, past, expired.v, expired.r, expired.s))
        .to.be.revertedWithCustomError(pool, "PermitFailed")
        .withArgs(lp0.address, 0n, assets);
    });

    it("on a loan asset without permit: goes on when the allowance covers the deposit, else PermitFailed", async function () {
      const { lps } = await loadFixture(permitFixture);
      const [lp0] = lps;
      const plain = await ethers.deployContract("PausableERC20", ["Plain Dollar", "PLAIN"]);
      const { pool: plainPool } = await createPoolFor(await plain.getAddress());
      const plainAddress = await plainPool.getAddress();
      await plain.mint(lp0.address, units(1_000, 18));
      const noSignature = [0n, 27, ethers.ZeroHash, ethers.ZeroHash] as const;
      await expect(plainPool.connect(lp0).depositWithPermit(units(10, 18), lp0.address, 0n, ...noSignature))
        .to.be.revertedWithCustomError(plainPool, "PermitFailed")
        .withArgs(lp0.address, 0n, units(10, 18));
      await plain.connect(lp0).approve(plainAddress, units(10, 18));
      const shares = await plainPool.previewDeposit(units(10, 18));
      await expect(plainPool.connect(lp0).depositWithPermit(units(10, 18), lp0.address, shares, ...noSignature))
        .to.emit(plainPool, "Deposit")
        .withArgs(lp0.address, lp0.address, units(10, 18), shares);
    });

    it("keeps the slippage bound and the pause of depositWithMinShares", async function () {
      const { pool, lps, guardian, assets, deadline, permit } = await loadFixture(permitFixture);
      const [lp0] = lps;
      const shares = await pool.previewDeposit(assets);
      await expect(pool.connect(lp0).depositWithPermit(assets, lp0.address, shares + 1n, deadline, permit.v, permit.r, permit.s))
        .to.be.revertedWithCustomError(pool, "SharesBelowMinimum")
        .withArgs(shares, shares + 1n);
      await pool.connect(guardian).setPaused(true);
      await expect(
        pool.connect(lp0).depositWithPermit(assets, lp0.address, 0n, deadline, permit.v, permit.r, permit.s),
      ).to.be.revertedWithCustomError(pool, "Paused");
    });
  });

  describe("reserve: donateToReserve and withdrawReserve", function () {
    async function reserveFixture(): Promise<PoolFixture> {
      const fx = await deployPool();
      const [lp0] = fx.lps;
      await fx.pool.connect(lp0).deposit(units(1_000, 18), lp0.address);
      return fx;
    }

    it("donateToReserve adds to the reserve and cash, emits ReserveDonated and leaves the share price alone", async function () {
      const { pool, lps, others, loanToken } =
        await loadFixture(oddStateFixture);
      const donor = others[0];
      const amount = 77_777_777_777_777_777_777n;
      await loanToken.mint(donor.address, amount);
      await loanToken.connect(donor).approve(await pool.getAddress(), amount);

      const before = await totalsOf(pool);
      const cashBefore = await pool.cash();
      const priceBefore = await pool.sharePrice();
      const lpValueBefore = await pool.convertToAssets(
        await pool.balanceOf(lps[0].address),
      );
      await expect(pool.connect(donor).donateToReserve(amount))
        .to.emit(pool, "ReserveDonated")
        .withArgs(donor.address, amount);
      expect(await pool.reserveAssets()).to.equal(
        before.reserveAssets + amount,
      );
      expect(await pool.cash()).to.equal(cashBefore + amount);
      expect(await pool.totalAssets()).to.equal(before.totalLpAssets);
      expect(await pool.sharePrice()).to.equal(priceBefore);
      expect(
        await pool.convertToAssets(await pool.balanceOf(lps[0].address)),
      ).to.equal(lpValueBefore);
      expect(await loanToken.balanceOf(donor.address)).to.equal(0n);
    });

    it("donateToReserve(0) reverts with ZeroAmount", async function () {
      const { pool, lps } = await loadFixture(reserveFixture);
      await expect(
        pool.connect(lps[0]).donateToReserve(0n),
      ).to.be.revertedWithCustomError(pool, "ZeroAmount");
    });

    it("withdrawReserve pays the receiver, emits ReserveWithdrawn and leaves LP assets alone", async function () {
      const { pool, lps, owner, others, loanToken } =
        await loadFixture(reserveFixture);
      await pool.connect(lps[0]).donateToReserve(units(100, 18));
      const receiver = others[1];
      await expect(
        pool.connect(owner).withdrawReserve(units(60, 18), receiver.address),
      )
        .to.emit(pool, "ReserveWithdrawn")
        .withArgs(receiver.address, units(60, 18));
      expect(await loanToken.balanceOf(receiver.address)).to.equal(
        units(60, 18),
      );
      expect(await pool.reserveAssets()).to.equal(units(40, 18));
      expect(await pool.totalAssets()).to.equal(units(1_000, 18));
      expect(await pool.cash()).to.equal(units(1_040, 18));
    });

    it("withdrawReserve by anyone but the owner reverts with OwnableUnauthorizedAccount", async function () {
      const { pool, lps, guardian, others } = await loadFixture(reserveFixture);
      await pool.connect(lps[0]).donateToReserve(units(100, 18));
      for (const caller of [guardian, lps[0], others[0]]) {
        await expect(pool.connect(caller).withdrawReserve(1n, caller.address))
          .to.be.revertedWithCustomError(pool, "OwnableUnauthorizedAccount")
          .withArgs(caller.address);
      }
    });

    it("withdrawReserve reverts with ZeroAmount, ZeroAddress and InsufficientReserve", async function () {
      const { pool, lps, owner } = await loadFixture(reserveFixture);
      await pool.connect(lps[0]).donateToReserve(units(100, 18));
      await expect(
        pool.connect(owner).withdrawReserve(0n, owner.address),
      ).to.be.revertedWithCustomError(pool, "ZeroAmount");
      await expect(
        pool.connect(owner).withdrawReserve(1n, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
      // LP assets are not the reserve: 1,000 of LP cash cannot be taken.
      await expect(
        pool.connect(owner).withdrawReserve(units(100, 18) + 1n, owner.address),
      )
        .to.be.revertedWithCustomError(pool, "InsufficientReserve")
        .withArgs(units(100, 18) + 1n, units(100, 18));
      await expect(
        pool.connect(owner).withdrawReserve(units(100, 18), owner.address),
      )
        .to.emit(pool, "ReserveWithdrawn")
        .withArgs(owner.address, units(100, 18));
      await expect(pool.connect(owner).withdrawReserve(1n, owner.address))
        .to.be.revertedWithCustomError(pool, "InsufficientReserve")
        .withArgs(1n, 0n);
    });

    it("withdrawReserve reverts with InsufficientCash when the reserve is lent out", async function () {
      const fx = await loadFixture(reserveFixture);
      const { pool, lps, owner, borrowers } = fx;
      await pool.connect(lps[0]).donateToReserve(units(100, 18));
      // 1,000 LP + 100 reserve − 1,050 borrowed = 50 idle.
      await supplyAndBorrow(fx, borrowers[0], units(10, 18), units(1_050, 18));
      expect(await pool.cash()).to.equal(units(50, 18));
      await expect(
        pool.connect(owner).withdrawReserve(units(100, 18), owner.address),
      )
        .to.be.revertedWithCustomError(pool, "InsufficientCash")
        .withArgs(units(100, 18), units(50, 18));
      await expect(
        pool.connect(owner).withdrawReserve(units(50, 18), owner.address),
      )
        .to.emit(pool, "ReserveWithdrawn")
        .withArgs(owner.address, units(50, 18));
      expect(await pool.cash()).to.equal(0n);
      expect(await pool.reserveAssets()).to.equal(units(50, 18));
    });

    it("interest feeds the reserve by the reserve factor, and the owner can withdraw it", async function () {
      const fx = await loadFixture(interestFixture);
      const { pool, lps, owner, borrowers } = fx;
      await pool.connect(lps[0]).deposit(units(1_000, 18), lps[0].address);
      await supplyAndBorrow(fx, borrowers[0], units(10, 18), units(500, 18));
      const stored = await totalsOf(pool);
      const start = await pool.lastAccrualTimestamp();
      const elapsed = 31_536_000n;
      await time.setNextBlockTimestamp(start + elapsed);
      const expected = accrue(stored, 1_585_489_599n, elapsed, 1_000n);
      await pool.accrueInterest();
      expect(await pool.reserveAssets()).to.equal(expected.reserveAssets);
      const reserve = expected.reserveAssets;
      // The withdrawal accrues one more second first; the owner takes what had accrued before it.
      await time.setNextBlockTimestamp(start + elapsed + 1n);
      const afterOneSecond = accrue(expected, 1_585_489_599n, 1n, 1_000n);
      await expect(pool.connect(owner).withdrawReserve(reserve, owner.address))
        .to.emit(pool, "ReserveWithdrawn")
        .withArgs(owner.address, reserve);
      expect(await pool.reserveAssets()).to.equal(
        afterOneSecond.reserveAssets - reserve,
      );
      expect(await pool.totalAssets()).to.equal(afterOneSecond.totalLpAssets);
    });
  });
});
