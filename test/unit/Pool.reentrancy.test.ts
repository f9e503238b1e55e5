import { poolCreationCode } from "../../deploy/lib/poolCreationCode";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DEFAULT_LIQUIDATION_PARAMS } from "../helpers/setup";
import { priceE36 } from "../helpers/fixtures";

/**
 * Every entry that moves tokens is `nonReentrant`: a loan token whose transfer hook calls back into the pool in the
 * middle of a deposit finds every such entry locked (ReentrancyGuardReentrantCall), while the outer call completes.
 */
describe("Pool: reentrancy through token transfer hooks", () => {
  const WHOLE = 10n ** 18n;

  async function reentrantPoolFixture() {
    const [owner, lp, borrower] = await ethers.getSigners();
    const loanToken = await ethers.deployContract("ReentrantERC20", [
      "Hooked Dollar",
      "HUSD",
    ]);
    const collateralToken = await ethers.deployContract("ReentrantERC20", [
      "Hooked Collateral",
      "HCOL",
    ]);
    const oracle = await ethers.deployContract("MockPriceOracle");
    await oracle.setPrice(priceE36(1, 18, 18));
    const rateModel = await ethers.deployContract("MockRateModel");
    const factory = await ethers.deployContract("PoolFactory", [poolCreationCode()]);
    const config = {
      loanAsset: await loanToken.getAddress(),
      name: "Mutual Pool HUSD",
      symbol: "mpHUSD",
      owner: owner.address,
      guardian: owner.address,
      rateModel: await rateModel.getAddress(),
      reserveFactorBps: 1_000,
      liquidationParams: DEFAULT_LIQUIDATION_PARAMS,
    };
    const poolAddress = await factory.computePoolAddress(
      config,
      ethers.ZeroHash,
    );
    await factory.createPool(config, ethers.ZeroHash);
    const pool = await ethers.getContractAt("Pool", poolAddress);
    await pool.listCollateral(await collateralToken.getAddress(), {
      oracle: await oracle.getAddress(),
      ltvBps: 7_500,
      liquidationThresholdBps: 8_000,
      liquidationBonusBps: 500,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    });
    for (const account of [lp, borrower]) {
      for (const token of [loanToken, collateralToken]) {
        await token.mint(account.address, 1_000_000n * WHOLE);
        await token.connect(account).approve(poolAddress, ethers.MaxUint256);
      }
    }
    await pool.connect(lp).deposit(10_000n * WHOLE, lp.address);
    return { pool, loanToken, collateralToken, lp, borrower };
  }

  /** Calldata of every entry that moves tokens, as the hook would send it (amounts are irrelevant: the lock fires first). */
  function guardedCalls(
    pool: Awaited<ReturnType<typeof reentrantPoolFixture>>["pool"],
    attacker: string,
    collateral: string,
  ) {
    const encode = pool.interface.encodeFunctionData.bind(pool.interface);
    return {
      deposit: encode("deposit", [1n, attacker]),
      depositWithMinShares: encode("depositWithMinShares", [1n, attacker, 0n]),
      mint: encode("mint", [1n, attacker]),
      mintWithMaxAssets: encode("mintWithMaxAssets", [1n, attacker, 1n]),
      withdraw: encode("withdraw", [1n, attacker, attacker]),
      withdrawWithMaxShares: encode("withdrawWithMaxShares", [
        1n,
        attacker,
        attacker,
        1n,
      ]),
      redeem: encode("redeem", [1n, attacker, attacker]),
      redeemWithMinAssets: encode("redeemWithMinAssets", [
        1n,
        attacker,
        attacker,
        0n,
      ]),
      supplyCollateral: encode("supplyCollateral", [collateral, 1n, attacker]),
      withdrawCollateral: encode("withdrawCollateral", [
        collateral,
        1n,
        attacker,
      ]),
      borrow: encode("borrow", [1n, attacker]),
      repay: encode("repay", [1n, attacker]),
      liquidate: encode("liquidate", [attacker, collateral, 1n, 0n, attacker]),
      socializeBadDebt: encode("socializeBadDebt", [attacker]),
      closeInsolventAccount: encode("closeInsolventAccount", [
        attacker,
        0n,
        attacker,
      ]),
      recognizeLosses: encode("recognizeLosses", [[attacker]]),
      donateToReserve: encode("donateToReserve", [1n]),
      withdrawReserve: encode("withdrawReserve", [1n, attacker]),
    };
  }

  const ENTRIES = [
    "deposit",
    "depositWithMinShares",
    "mint",
    "mintWithMaxAssets",
    "withdraw",
    "withdrawWithMaxShares",
    "redeem",
    "redeemWithMinAssets",
    "supplyCollateral",
    "withdrawCollateral",
    "borrow",
    "repay",
    "liquidate",
    "socializeBadDebt",
    "closeInsolventAccount",
    "recognizeLosses",
    "donateToReserve",
    "withdrawReserve",
  ] as const;

  for (const entry of ENTRIES) {
    it(`${entry} is locked while a deposit's token transfer runs; the deposit still completes`, async () => {
      const { pool, loanToken, collateralToken, lp } =
        await loadFixture(reentrantPoolFixture);
      const calls = guardedCalls(
        pool,
        await loanToken.getAddress(),
        await collateralToken.getAddress(),
      );
      await loanToken.setReentryCall(await pool.getAddress(), calls[entry]);
      const sharesBefore = await pool.balanceOf(lp.address);

      await pool.connect(lp).deposit(100n * WHOLE, lp.address);

      expect(await loanToken.reentryCount()).to.equal(1n);
      expect(await loanToken.lastReentryReverted()).to.equal(true);
      const reason = pool.interface.parseError(
        await loanToken.lastReentryRevertData(),
      );
      expect(reason?.name).to.equal("ReentrancyGuardReentrantCall");
      expect((await pool.balanceOf(lp.address)) - sharesBefore).to.equal(
        await pool.convertToShares(100n * WHOLE),
      );
    });
  }

  it("a collateral token's hook finds the pool locked during supplyCollateral too", async () => {
    const { pool, loanToken, collateralToken, borrower } =
      await loadFixture(reentrantPoolFixture);
    const calls = guardedCalls(
      pool,
      await collateralToken.getAddress(),
      await collateralToken.getAddress(),
    );
    await collateralToken.setReentryCall(await pool.getAddress(), calls.borrow);
    await pool
      .connect(borrower)
      .supplyCollateral(
        await collateralToken.getAddress(),
        10n * WHOLE,
        borrower.address,
      );
    expect(await collateralToken.lastReentryReverted()).to.equal(true);
    expect(
      pool.interface.parseError(await collateralToken.lastReentryRevertData())
        ?.name,
    ).to.equal("ReentrancyGuardReentrantCall");
    expect(
      await pool.collateralOf(
        borrower.address,
        await collateralToken.getAddress(),
      ),
    ).to.equal(10n * WHOLE);
    expect(await loanToken.reentryCount()).to.equal(0n);
  });

  it("accrueInterest re-entered in the same transaction is a harmless no-op (interest already accrued this block)", async () => {
    const { pool, loanToken, lp } = await loadFixture(reentrantPoolFixture);
    await loanToken.setReentryCall(
      await pool.getAddress(),
      pool.interface.encodeFunctionData("accrueInterest"),
    );
    const totalAssetsBefore = await pool.totalAssets();
    await pool.connect(lp).deposit(100n * WHOLE, lp.address);
    expect(await loanToken.lastReentryReverted()).to.equal(false);
    expect(await pool.totalAssets()).to.equal(totalAssetsBefore + 100n * WHOLE);
    expect(await pool.lastAccrualTimestamp()).to.equal(
      (await ethers.provider.getBlock("latest"))?.timestamp,
    );
  });
});
