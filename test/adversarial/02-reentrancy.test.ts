import { expect } from "chai";
import { ethers } from "hardhat";
import type { Interface } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import type { HookedERC20, MockPriceOracle, Pool, ReentrancyAttacker } from "../../typechain-types";
import { priceE36 } from "../helpers/fixtures";
import { DEFAULT_LIQUIDATION_PARAMS } from "../helpers/setup";
import { liquidationQuoteOnChain } from "../helpers/chainReads";
import { createPoolFor, listWithMockOracle } from "./poolSetup";
import { expectBooksReconciled } from "./reconcile";

/**
 * Reentrancy as an attacker would try it: a contract that receives ERC-777-style hooks from the loan and collateral
 * tokens (HookedERC20: `tokensToSend` before it sends, `tokensReceived` after it receives) calls back into the pool
 * from inside the pool's own token transfer, to seize twice, withdraw against shares it has not paid for, borrow
 * against collateral still in flight, and so on. Every entry that moves tokens is `nonReentrant`
 * (ReentrancyGuardTransient), so each attempt fails with ReentrancyGuardReentrantCall. When the attacker bubbles the
 * failure, its whole attack reverts; when it swallows it, the outer call completes with exactly the amounts poolMath
 * gives for the single call, and the pool's balances still equal its books.
 * (test/unit/Pool.reentrancy.test.ts checks the lock itself from a token hook; this file runs the attacks.)
 */
describe("Adversarial 2: reentrancy attacks through token transfer hooks", () => {
  const WHOLE = 10n ** 18n;
  const DUST = WHOLE; // 1 loan unit

  interface ReentrancyFixture {
    pool: Pool;
    loanToken: HookedERC20;
    collateralA: HookedERC20;
    collateralB: HookedERC20;
    oracleA: MockPriceOracle;
    oracleB: MockPriceOracle;
    attacker: ReentrancyAttacker;
    victim: string;
    dustAccount: string;
  }

  async function reentrancyFixture(): Promise<ReentrancyFixture> {
    const [, lp, victimSigner, dustSigner] = await ethers.getSigners();
    const loanToken = await ethers.deployContract("HookedERC20", ["Hooked Dollar", "HUSD"]);
    const collateralA = await ethers.deployContract("HookedERC20", ["Hooked Collateral A", "HCA"]);
    const collateralB = await ethers.deployContract("HookedERC20", ["Hooked Collateral B", "HCB"]);
    const { pool } = await createPoolFor(await loanToken.getAddress(), {
      ...DEFAULT_LIQUIDATION_PARAMS,
      dustThresholdAssets: DUST,
    });
    const poolAddress = await pool.getAddress();
    const oracleA = await listWithMockOracle(pool, await collateralA.getAddress(), priceE36(1, 18, 18));
    const oracleB = await listWithMockOracle(pool, await collateralB.getAddress(), priceE36(1, 18, 18));
    for (const signer of [lp, victimSigner, dustSigner]) {
      for (const token of [loanToken, collateralA, collateralB]) {
        await token.mint(signer.address, 1_000_000n * WHOLE);
        await token.connect(signer).approve(poolAddress, ethers.MaxUint256);
      }
    }
    await pool.connect(lp).deposit(10_000n * WHOLE, lp.address);
    // The victim: 100 A for 75 (the LTV). The dust account: 1 B for 0.7.
    await pool
      .connect(victimSigner)
      .supplyCollateral(await collateralA.getAddress(), 100n * WHOLE, victimSigner.address);
    await pool.connect(victimSigner).borrow(75n * WHOLE, victimSigner.address);
    await pool.connect(dustSigner).supplyCollateral(await collateralB.getAddress(), WHOLE, dustSigner.address);
    await pool.connect(dustSigner).borrow((7n * WHOLE) / 10n, dustSigner.address);

    // The attacker contract: funded, approved, registered for every token's hooks, an LP and a borrower.
    const attacker = await ethers.deployContract("ReentrancyAttacker");
    const attackerAddress = await attacker.getAddress();
    for (const token of [loanToken, collateralA, collateralB]) {
      await token.mint(attackerAddress, 100_000n * WHOLE);
      await attacker.execute(token, token.interface.encodeFunctionData("approve", [poolAddress, ethers.MaxUint256]));
      await attacker.execute(token, token.interface.encodeFunctionData("registerHooks", [true]));
    }
    await attacker.execute(pool, pool.interface.encodeFunctionData("deposit", [1_000n * WHOLE, attackerAddress]));
    await attacker.execute(
      pool,
      pool.interface.encodeFunctionData("supplyCollateral", [
        await collateralA.getAddress(),
        1_000n * WHOLE,
        attackerAddress,
      ]),
    );
    await attacker.execute(pool, pool.interface.encodeFunctionData("borrow", [100n * WHOLE, attackerAddress]));

    // Prices fall: the victim is liquidatable (health 0.906 < 0.95, so up to 100%), the dust account's 1 B is worth
    // 0.5 (≤ dust, < its 0.7 debt) and can be socialized. The attacker stays healthy.
    await oracleA.setPrice(priceE36(85, 18, 20));
    await oracleB.setPrice(priceE36(5, 18, 19));
    return {
      pool,
      loanToken,
      collateralA,
      collateralB,
      oracleA,
      oracleB,
      attacker,
      victim: victimSigner.address,
      dustAccount: dustSigner.address,
    };
  }

  /** Calldata of the attacker's outer call and of its re-entry, and which hooks stay registered. */
  interface Attack {
    title: string;
    outer: (fx: ReentrancyFixture, self: string) => Promise<string>;
    reentry: (fx: ReentrancyFixture, self: string) => Promise<string>;
    /** Tokens whose hooks the attacker keeps (the rest it unregisters), to aim the re-entry at one transfer. */
    hookedTokens: (fx: ReentrancyFixture) => HookedERC20[];
  }

  const encode = (fx: ReentrancyFixture, entry: string, args: readonly unknown[]): string => {
    const poolInterface: Interface = fx.pool.interface;
    return poolInterface.encodeFunctionData(entry, args);
  };
  const collateralAOf = (fx: ReentrancyFixture): Promise<string> => fx.collateralA.getAddress();
  const ONE = WHOLE;

  const ATTACKS: Attack[] = [
    {
      title: "liquidate re-entered from the seized collateral's tokensReceived, to seize the victim twice",
      outer: async (fx, self) =>
        encode(fx, "liquidate", [fx.victim, await collateralAOf(fx), ethers.MaxUint256, 0n, self]),
      reentry: async (fx, self) =>
        encode(fx, "liquidate", [fx.victim, await collateralAOf(fx), ethers.MaxUint256, 0n, self]),
      hookedTokens: (fx) => [fx.collateralA],
    },
    {
      title: "liquidate re-entered from the repayment's tokensToSend, to seize before paying",
      outer: async (fx, self) => encode(fx, "liquidate", [fx.victim, await collateralAOf(fx), 10n * ONE, 0n, self]),
      reentry: async (fx, self) =>
        encode(fx, "liquidate", [fx.victim, await collateralAOf(fx), ethers.MaxUint256, 0n, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "redeem re-entered during deposit (tokensToSend), to cash shares before paying for them",
      outer: async (fx, self) => encode(fx, "deposit", [500n * ONE, self]),
      reentry: async (fx, self) => encode(fx, "withdraw", [1_400n * ONE, self, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "redeem re-entered during depositWithPermit (tokensToSend), the permit ignored for the allowance",
      outer: async (fx, self) =>
        encode(fx, "depositWithPermit", [500n * ONE, self, 0n, 0n, 27, ethers.ZeroHash, ethers.ZeroHash]),
      reentry: async (fx, self) => encode(fx, "withdraw", [1_400n * ONE, self, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "withdraw re-entered during mint (tokensToSend)",
      outer: async (fx, self) => encode(fx, "mint", [500n * ONE * 10n ** 6n, self]),
      reentry: async (fx, self) => encode(fx, "withdraw", [1_400n * ONE, self, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "withdraw re-entered from withdraw's tokensReceived, to withdraw the same shares twice",
      outer: async (fx, self) => encode(fx, "withdraw", [600n * ONE, self, self]),
      reentry: async (fx, self) => encode(fx, "withdraw", [600n * ONE, self, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "redeem re-entered from redeem's tokensReceived",
      outer: async (fx, self) => encode(fx, "redeem", [600n * ONE * 10n ** 6n, self, self]),
      reentry: async (fx, self) => encode(fx, "redeem", [600n * ONE * 10n ** 6n, self, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "borrow re-entered during supplyCollateral (tokensToSend), against collateral not yet received",
      outer: async (fx, self) => encode(fx, "supplyCollateral", [await collateralAOf(fx), 10_000n * ONE, self]),
      reentry: async (fx, self) => encode(fx, "borrow", [5_000n * ONE, self]),
      hookedTokens: (fx) => [fx.collateralA],
    },
    {
      title: "borrow re-entered from withdrawCollateral's tokensReceived",
      outer: async (fx, self) => encode(fx, "withdrawCollateral", [await collateralAOf(fx), 500n * ONE, self]),
      reentry: async (fx, self) => encode(fx, "borrow", [400n * ONE, self]),
      hookedTokens: (fx) => [fx.collateralA],
    },
    {
      title: "withdrawCollateral re-entered from borrow's tokensReceived, to take the collateral with the loan",
      outer: async (fx, self) => encode(fx, "borrow", [400n * ONE, self]),
      reentry: async (fx, self) => encode(fx, "withdrawCollateral", [await collateralAOf(fx), 900n * ONE, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "borrow re-entered during repay (tokensToSend), against a repayment not yet received",
      outer: async (fx, self) => encode(fx, "repay", [100n * ONE, self]),
      reentry: async (fx, self) => encode(fx, "borrow", [700n * ONE, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
    {
      title: "socializeBadDebt re-entered from the dust sweep's tokensReceived",
      outer: async (fx) => encode(fx, "socializeBadDebt", [fx.dustAccount]),
      reentry: async (fx) => encode(fx, "socializeBadDebt", [fx.dustAccount]),
      hookedTokens: (fx) => [fx.collateralB],
    },
    {
      title: "withdraw re-entered during donateToReserve (tokensToSend)",
      outer: async (fx) => encode(fx, "donateToReserve", [10n * ONE]),
      reentry: async (fx, self) => encode(fx, "withdraw", [100n * ONE, self, self]),
      hookedTokens: (fx) => [fx.loanToken],
    },
  ];

  async function aim(fx: ReentrancyFixture, attack: Attack, bubble: boolean): Promise<{ self: string; outer: string }> {
    const self = await fx.attacker.getAddress();
    const keep = attack.hookedTokens(fx);
    for (const token of [fx.loanToken, fx.collateralA, fx.collateralB]) {
      await fx.attacker.execute(token, token.interface.encodeFunctionData("registerHooks", [keep.includes(token)]));
    }
    await fx.attacker.arm(await fx.pool.getAddress(), await attack.reentry(fx, self), bubble);
    return { self, outer: await attack.outer(fx, self) };
  }

  for (const attack of ATTACKS) {
    it(`${attack.title}: ReentrancyGuardReentrantCall`, async () => {
      const fx = await loadFixture(reentrancyFixture);
      const { outer } = await aim(fx, attack, true);
      if (attack.title.startsWith("socializeBadDebt")) {
        // The dust sweep uses trySafeTransfer: a recipient whose hook reverts cannot block the realization, it
        // is credited the dust in the pool instead. The re-entry still failed; the write-off happened once.
        const tx = fx.attacker.execute(fx.pool, outer);
        await expect(tx)
          .to.emit(fx.pool, "DustCollateralSwept")
          .withArgs(fx.dustAccount, await fx.collateralB.getAddress(), await fx.attacker.getAddress(), WHOLE, true);
        // The failed transfer rolled back the hook's own records; the credit proves the hook reverted.
        expect(await fx.pool.borrowSharesOf(fx.dustAccount)).to.equal(0n);
        expect(await fx.pool.collateralOf(await fx.attacker.getAddress(), await fx.collateralB.getAddress())).to.equal(
          WHOLE,
        );
        // Swallowing the failure instead: the dust is transferred, and the re-entry is seen failing on the lock.
        const again = await loadFixture(reentrancyFixture);
        const swallowed = await aim(again, attack, false);
        await expect(again.attacker.execute(again.pool, swallowed.outer))
          .to.emit(again.pool, "DustCollateralSwept")
          .withArgs(again.dustAccount, await again.collateralB.getAddress(), swallowed.self, WHOLE, false);
        expect(await again.attacker.reentryAttempts()).to.equal(1n);
        expect(again.pool.interface.parseError(await again.attacker.lastReentryRevertData())?.name).to.equal(
          "ReentrancyGuardReentrantCall",
        );
        await expectBooksReconciled(again.pool, again.loanToken, [again.collateralA, again.collateralB]);
      } else {
        await expect(fx.attacker.execute(fx.pool, outer)).to.be.revertedWithCustomError(
          fx.pool,
          "ReentrancyGuardReentrantCall",
        );
      }
      await expectBooksReconciled(fx.pool, fx.loanToken, [fx.collateralA, fx.collateralB]);
    });
  }

  it("seize-twice attack, failure swallowed: one liquidation, exactly poolMath's amounts, nothing lost", async () => {
    const fx = await loadFixture(reentrancyFixture);
    const { pool, attacker, collateralA, loanToken } = fx;
    const [attack] = ATTACKS;
    const { self, outer } = await aim(fx, attack, false);
    const collateral = await collateralA.getAddress();
    const balance = await pool.collateralOf(fx.victim, collateral);
    const totalBorrowAssetsBefore = await pool.totalBorrowAssets();
    const quote = await liquidationQuoteOnChain(pool, fx.victim, collateral, ethers.MaxUint256);
    if (quote === null) throw new Error("poolMath says the victim is not liquidatable");
    const loanBefore = await loanToken.balanceOf(self);
    const collateralBefore = await collateralA.balanceOf(self);

    await attacker.execute(pool, outer);

    expect(await attacker.reentryAttempts()).to.equal(1n);
    expect(await attacker.lastReentryReverted()).to.equal(true);
    expect(pool.interface.parseError(await attacker.lastReentryRevertData())?.name).to.equal(
      "ReentrancyGuardReentrantCall",
    );
    expect(loanBefore - (await loanToken.balanceOf(self))).to.equal(quote.repaidAssets);
    expect((await collateralA.balanceOf(self)) - collateralBefore).to.equal(quote.seizedCollateral);
    expect(await pool.collateralOf(fx.victim, collateral)).to.equal(balance - quote.seizedCollateral);
    expect(await pool.totalBorrowAssets()).to.equal(totalBorrowAssetsBefore - quote.repaidAssets - quote.badDebtAssets);
    await expectBooksReconciled(pool, loanToken, [collateralA, fx.collateralB]);
  });

  it("redeem-during-deposit attack, failure swallowed: the deposit mints exactly poolMath's shares, nothing lost", async () => {
    const fx = await loadFixture(reentrancyFixture);
    const { pool, attacker, loanToken } = fx;
    const { self, outer } = await aim(fx, ATTACKS[2], false);
    const sharesBefore = await pool.balanceOf(self);
    const expectedShares = poolMath.lpSharesDown(500n * ONE, await pool.totalAssets(), await pool.totalSupply());
    const walletBefore = await loanToken.balanceOf(self);

    await attacker.execute(pool, outer);

    expect(pool.interface.parseError(await attacker.lastReentryRevertData())?.name).to.equal(
      "ReentrancyGuardReentrantCall",
    );
    expect((await pool.balanceOf(self)) - sharesBefore).to.equal(expectedShares);
    expect(walletBefore - (await loanToken.balanceOf(self))).to.equal(500n * ONE);
    await expectBooksReconciled(pool, loanToken, [fx.collateralA, fx.collateralB]);
  });
});
