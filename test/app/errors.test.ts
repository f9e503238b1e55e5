/**
 * The app's error sentences, from real reverts: each LP-facing failure is provoked on an in-process pool, caught as
 * ethers throws it (decoded `revert`, or only raw data as a wallet's provider passes it on), and explained.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, priceE36, units, type PoolFixture } from "../helpers/fixtures";
import {
  decodeRevert,
  explainError,
  explainRevert,
  isRevert,
  isUserRejection,
  type ErrorContext,
} from "../../app/src/lib/errors";
import { InputError } from "../../app/src/lib/amounts";
import { Pool__factory } from "../../typechain-types";

const CONTEXT: ErrorContext = { action: "withdraw", assetSymbol: "mUSDC", assetDecimals: 6, shareDecimals: 12 };
const DEPOSIT: ErrorContext = { ...CONTEXT, action: "deposit" };

/** The error a failing call throws. */
async function thrown(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to revert");
}

/** A 6-decimal pool: lp0 deposited 1,000; borrower0 borrowed 600 against collateral, so 400 is idle. */
async function lentOutFixture(): Promise<PoolFixture> {
  const fx = await deployPool({ loanDecimals: 6 });
  const [lp0] = fx.lps;
  await fx.pool.connect(lp0).deposit(units(1_000, 6), lp0.address);
  const borrower = fx.borrowers[0];
  const collateral = fx.collaterals[0].token;
  await fx.pool.connect(borrower).supplyCollateral(await collateral.getAddress(), units(1, 18), borrower.address);
  await fx.pool.connect(borrower).borrow(units(600, 6), borrower.address);
  return fx;
}

describe("app: custom errors in sentences (app/src/lib/errors.ts)", function () {
  it("withdrawing more than the idle cash: the most it may withdraw, and what to try", async function () {
    const { pool, lps } = await loadFixture(lentOutFixture);
    const [lp0] = lps;
    const error = await thrown(() =>
      pool.connect(lp0).withdrawWithMaxShares(units(500, 6), lp0.address, lp0.address, ethers.MaxUint256),
    );
    expect(decodeRevert(error)?.name).to.equal("ERC4626ExceededMaxWithdraw");
    expect(explainError(error, CONTEXT)).to.equal(
      "You can withdraw at most 400 mUSDC now: the pool's idle cash or your balance, whichever is smaller; try ≤ 400 mUSDC.",
    );
  });

  it("a redemption or deposit beyond the slippage bound says the price moved and what to do", async function () {
    const { pool, lps } = await loadFixture(lentOutFixture);
    const [lp0] = lps;
    const shares = await pool.previewDeposit(units(10, 6));
    const deposit = await thrown(() => pool.connect(lp0).depositWithMinShares(units(10, 6), lp0.address, shares * 2n));
    expect(explainError(deposit, DEPOSIT)).to.equal(
      "The deposit would now mint 10 shares, fewer than the 20 shares your slippage tolerance allows: the share price moved. " +
        "Preview again, or raise the tolerance.",
    );
    const assets = await pool.previewRedeem(10n ** 12n);
    const redeem = await thrown(() =>
      pool.connect(lp0).redeemWithMinAssets(10n ** 12n, lp0.address, lp0.address, assets * 2n),
    );
    expect(explainError(redeem, { ...CONTEXT, action: "redeem" })).to.equal(
      "The redemption would now pay 1 mUSDC, less than the 2 mUSDC your slippage tolerance allows: the share price fell. " +
        "Preview again, or raise the tolerance.",
    );
  });

  it("redeeming more shares than held, and depositing more than the balance", async function () {
    const { pool, lps, loanToken } = await loadFixture(lentOutFixture);
    const [, lp1] = lps;
    const redeem = await thrown(() => pool.connect(lp1).redeemWithMinAssets(10n ** 12n, lp1.address, lp1.address, 0n));
    expect(explainError(redeem, { ...CONTEXT, action: "redeem" })).to.equal(
      "You can redeem at most 0 shares now (limited by the pool's idle cash or your shares); try ≤ 0 shares.",
    );
    const balance = await loanToken.balanceOf(lp1.address);
    const deposit = await thrown(() => pool.connect(lp1).depositWithMinShares(balance + 1n, lp1.address, 0n));
    expect(explainError(deposit, DEPOSIT)).to.match(
      /^Your balance is [\d,.]+ mUSDC; the deposit needs [\d,.]+ mUSDC\. Deposit at most [\d,.]+ mUSDC\.$/,
    );
  });

  it("a missing allowance, a failed permit, a deposit while paused and too small a deposit", async function () {
    const { pool, lps, loanToken, guardian } = await loadFixture(lentOutFixture);
    const [, lp1] = lps;
    await loanToken.connect(lp1).approve(await pool.getAddress(), units(5, 6));
    const allowance = await thrown(() => pool.connect(lp1).depositWithMinShares(units(7, 6), lp1.address, 0n));
    expect(explainError(allowance, DEPOSIT)).to.equal(
      "The pool may spend only 5 mUSDC of your mUSDC; approve at least 7 mUSDC, or use a permit.",
    );
    const permit = await thrown(() =>
      pool.connect(lp1).depositWithPermit(units(7, 6), lp1.address, 0n, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    );
    expect(explainError(permit, DEPOSIT)).to.equal(
      "The pool could not use your permit (expired, or signed for another amount) and your allowance is only 5 mUSDC; " +
        "sign a new permit, or approve 7 mUSDC first.",
    );
    const dust = await thrown(() => pool.connect(lp1).depositWithMinShares(0n, lp1.address, 0n));
    expect(explainError(dust, DEPOSIT)).to.equal("0 mUSDC is too little to mint a single share; deposit more.");
    await pool.connect(guardian).setPaused(true);
    const paused = await thrown(() => pool.connect(lp1).depositWithMinShares(units(1, 6), lp1.address, 0n));
    expect(explainError(paused, DEPOSIT)).to.equal(
      "The pool is paused: deposits and borrows are off for now; withdrawals still work.",
    );
  });

  it("words the loss-recognition errors from real reverts: reserve committed, the one-call close, no price", async function () {
    const { pool, owner, borrowers, liquidator, collaterals } = await loadFixture(lentOutFixture);
    const borrower = borrowers[0].address;
    const collateral = await collaterals[0].token.getAddress();
    const oracle = collaterals[0].oracle;
    const short = (address: string): string => `${address.slice(0, 6)}…${address.slice(-4)}`;
    await pool.connect(owner).donateToReserve(units(200, 6));

    // A healthy account: 1 collateral at 2,000 would repay 2,000 / 1.05 = 1,904.76 of its 600 debt.
    const healthy = await thrown(() => pool.connect(liquidator).closeInsolventAccount(borrower, 0n, liquidator.address));
    expect(decodeRevert(healthy)?.name).to.equal("AccountNotInsolvent");
    expect(explainError(healthy, CONTEXT)).to.equal(
      `${short(borrower)} is not insolvent: liquidating all its collateral would repay 1,904.76 mUSDC of its 600 mUSDC ` +
        "debt, so it cannot be closed in one call; liquidate it instead if it is unhealthy.",
    );

    // The price falls to 500: recovery 476.19, a shortfall of 123.80 once recognized, all of it on the reserve of 200.
    await oracle.setPrice(priceE36(500, 6, 18));
    await pool.recognizeLosses([borrower]);
    const [shortfall] = await pool.accountShortfall(borrower);
    expect(shortfall).to.equal(units(600, 6) - 476_190_476n);
    const committed = await thrown(() => pool.connect(owner).withdrawReserve(units(100, 6), owner.address));
    expect(decodeRevert(committed)?.args).to.deep.equal([units(100, 6), units(200, 6) - shortfall, shortfall]);
    expect(explainError(committed, CONTEXT)).to.equal(
      "The reserve can pay out at most 76.19 mUSDC now: the recognized shortfall of 123.8 mUSDC needs the rest of it " +
        "as first loss. Withdraw ≤ 76.19 mUSDC, or wait until the shortfall is realized or released.",
    );

    const greedy = await thrown(() =>
      pool.connect(liquidator).closeInsolventAccount(borrower, units(600, 6), liquidator.address),
    );
    expect(decodeRevert(greedy)?.args).to.deep.equal([units(500, 6), units(600, 6)]);
    expect(explainError(greedy, CONTEXT)).to.equal(
      "The close would now seize collateral worth 500 mUSDC, less than the 600 mUSDC you asked for: a price moved or " +
        "someone liquidated part of it first. Quote the close again.",
    );

    // The oracle fails: the collateral stays escrowed at its last trusted price (500), so nothing can be seized.
    await oracle.setReverting(true);
    const unpriced = await thrown(() =>
      pool.connect(liquidator).liquidate(borrower, collateral, units(100, 6), 0n, liquidator.address),
    );
    expect(decodeRevert(unpriced)).to.deep.equal({ name: "PriceUnavailable", args: [collateral] });
    expect(explainError(unpriced, CONTEXT)).to.equal(
      `The oracle of collateral ${short(collateral)} gives no price now (it reverts or returns 0): the pool neither ` +
        "seizes nor lists it until the oracle answers again.",
    );
    const nothing = await thrown(() => pool.connect(liquidator).closeInsolventAccount(borrower, 0n, liquidator.address));
    expect(decodeRevert(nothing)).to.deep.equal({ name: "NothingToClose", args: [borrower] });
    expect(explainError(nothing, CONTEXT)).to.equal(
      `Nothing to close on ${short(borrower)}: none of its collateral has a live price now (it stays escrowed at its ` +
        "last trusted price), so no debt can be repaid. Try again once its oracle answers.",
    );
  });

  it("decodes raw revert data however deep a wallet's provider nests it", function () {
    const iface = Pool__factory.createInterface();
    const data = iface.encodeErrorResult("InsufficientCash", [500_000_000n, 400_000_000n]);
    const sentence = "The pool has only 400 mUSDC idle (the rest is lent out); try ≤ 400 mUSDC.";
    expect(explainError({ data }, CONTEXT)).to.equal(sentence);
    expect(explainError({ info: { error: { code: 3, message: "execution reverted", data } } }, CONTEXT)).to.equal(
      sentence,
    );
    expect(explainError({ error: { data: { data } } }, CONTEXT)).to.equal(sentence);
    expect(explainError(Object.assign(new Error("outer"), { cause: { data } }), CONTEXT)).to.equal(sentence);
    // A selector no pool declares: the node's short message, not a guess.
    expect(decodeRevert({ data: "0xdeadbeef" })).to.equal(null);
    expect(
      explainError({ data: "0xdeadbeef", shortMessage: "execution reverted (unknown custom error)" }, CONTEXT),
    ).to.equal("The transaction failed: execution reverted (unknown custom error).");
  });

  it("a rejection in the wallet, the user's own input and unknown failures", function () {
    expect(isUserRejection({ code: 4001, message: "User rejected the request." })).to.equal(true);
    expect(isUserRejection({ code: "ACTION_REJECTED" })).to.equal(true);
    expect(isUserRejection({ info: { error: { code: 4001 } } })).to.equal(true);
    expect(isUserRejection({ code: -32603 })).to.equal(false);
    expect(explainError({ code: 4001 }, CONTEXT)).to.equal(
      "You rejected the request in your wallet; nothing was sent.",
    );
    expect(explainError(new InputError("Enter an amount of mUSDC."), CONTEXT)).to.equal("Enter an amount of mUSDC.");
    expect(explainError(new Error("socket hang up"), CONTEXT)).to.equal("The transaction failed: socket hang up");
    expect(explainError("weird", CONTEXT)).to.equal("The transaction failed: weird");
  });

  it("has a sentence for every error an LP's deposit, withdrawal or redemption can raise, and the recognition ones", function () {
    const lpErrors = [
      "InsufficientCash",
      "ERC4626ExceededMaxWithdraw",
      "ERC4626ExceededMaxRedeem",
      "ERC4626ExceededMaxDeposit",
      "ERC4626ExceededMaxMint",
      "Paused",
      "SharesBelowMinimum",
      "SharesAboveMaximum",
      "AssetsBelowMinimum",
      "AssetsAboveMaximum",
      "ZeroShares",
      "ZeroAssets",
      "ZeroAmount",
      "ZeroAddress",
      "PermitFailed",
      "ERC2612ExpiredSignature",
      "ERC2612InvalidSigner",
      "ERC20InsufficientBalance",
      "ERC20InsufficientAllowance",
      "FeeOnTransferNotSupported",
      // Loss recognition and the one-call close.
      "ReserveCommittedToShortfall",
      "AccountNotInsolvent",
      "SeizedValueBelowMinimum",
      "NothingToClose",
      "PriceUnavailable",
    ];
    const iface = Pool__factory.createInterface();
    for (const name of lpErrors) {
      const fragment = iface.getError(name);
      if (fragment === null) throw new Error(`the Pool ABI has no error ${name}`);
      // Distinct amounts (1,234.567891 mUSDC in asset units), so a sentence that quotes one shows it.
      const args = fragment.inputs.map((input) => (input.type === "address" ? ethers.ZeroAddress : 1_234_567_891n));
      const sentence = explainRevert({ name, args }, CONTEXT);
      if (sentence === null) throw new Error(`no sentence for ${name}`);
      expect(sentence, name).to.not.match(/undefined|NaN|\[object/);
      // Every sentence ends with what to do or what still works, after a full stop.
      expect(sentence, name).to.match(/\.$/);
      // (ERC2612ExpiredSignature's one number is a deadline, not an amount.)
      if (fragment.inputs.some((input) => input.type === "uint256") && name !== "ERC2612ExpiredSignature") {
        expect(sentence, name).to.match(/1,234\.56 mUSDC|0\.001234 shares/);
      }
    }
    // maxDeposit is 0 only when the pool's accounting is full (a pause reverts with Paused first).
    expect(explainRevert({ name: "ERC4626ExceededMaxDeposit", args: [ethers.ZeroAddress, 5n, 0n] }, DEPOSIT)).to.equal(
      "The pool takes no more deposits now (it is full); withdrawals still work. Try again later.",
    );
    // A borrower-side error has no LP sentence: explainError then names it with its arguments.
    expect(explainRevert({ name: "NoDebt", args: [ethers.ZeroAddress] }, CONTEXT)).to.equal(null);
    expect(explainError({ revert: { name: "NoDebt", args: [ethers.ZeroAddress] } }, CONTEXT)).to.equal(
      `The pool refused: NoDebt(${ethers.ZeroAddress}).`,
    );
  });

  it("tells a revert from a node that failed to answer (ethers calls both CALL_EXCEPTION)", async function () {
    // A node's own failure, as ethers 6 wraps any JSON-RPC error of an eth_call.
    const nodeDown = {
      code: "CALL_EXCEPTION",
      data: null,
      shortMessage: "missing revert data",
      message: 'missing revert data (action="call", data=null, reason=null, revert=null, code=CALL_EXCEPTION)',
      info: { error: { code: -32000, message: "header not found" } },
    };
    expect(isRevert(nodeDown)).to.equal(false);
    expect(isRevert(new Error("socket hang up"))).to.equal(false);
    // Reverts: revert data, an empty result that cannot be decoded, code 3, a node's revert wording.
    const iface = Pool__factory.createInterface();
    expect(isRevert({ code: "CALL_EXCEPTION", data: iface.encodeErrorResult("Paused", []) })).to.equal(true);
    expect(isRevert({ code: "BAD_DATA", value: "0x" })).to.equal(true);
    expect(isRevert({ info: { error: { code: 3, message: "execution reverted" } } })).to.equal(true);
    expect(isRevert({ ...nodeDown, info: { error: { code: -32000, message: "execution reverted" } } })).to.equal(true);
    // A real one: a call to a function the token lacks, on the in-process network.
    const { loanToken } = await loadFixture(lentOutFixture);
    const plain = await ethers.deployContract("PausableERC20", ["Plain Dollar", "PLAIN"]);
    const asPermit = (await ethers.getContractAt("MockERC20", await plain.getAddress())).connect(ethers.provider);
    expect(isRevert(await thrown(() => asPermit.eip712Domain()))).to.equal(true);
    expect((await loanToken.eip712Domain()).name).to.be.a("string").and.not.equal("");
  });
});
