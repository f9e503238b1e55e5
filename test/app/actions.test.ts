/**
 * The app's transactions (app/src/chain/actions.ts) on the in-process network, signed by a Hardhat signer as a
 * wallet would: the phases each reports, the bounded call it sends with the bound from the preview and tolerance,
 * and what it says once confirmed.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployPool, units, type PoolFixture } from "../helpers/fixtures";
import { deposit, redeem, withdraw, type ActionContext, type TxUpdate } from "../../app/src/chain/actions";
import { lowerBound, upperBound } from "../../app/src/lib/slippage";
import { decodeRevert, explainError } from "../../app/src/lib/errors";
import { InputError } from "../../app/src/lib/amounts";
import { createPoolFor } from "../adversarial/poolSetup";
import { formatAmount } from "../../scripts/lib/format";

const TOLERANCE_BPS = 50n;

/** A 6-decimal pool where lp1 deposited 1,000 and lp0 holds mUSDC with no allowance for the pool. */
async function actionsFixture(): Promise<PoolFixture> {
  const fx = await deployPool({ loanDecimals: 6, ratePerSecondE18: 1_585_489_599n });
  await fx.pool.connect(fx.lps[1]).deposit(units(1_000, 6), fx.lps[1].address);
  await fx.loanToken.connect(fx.lps[0]).approve(await fx.pool.getAddress(), 0n);
  return fx;
}

async function contextFor(fx: PoolFixture, signer: HardhatEthersSigner, updates: TxUpdate[]): Promise<ActionContext> {
  return {
    signer,
    poolAddress: await fx.pool.getAddress(),
    assetAddress: await fx.loanToken.getAddress(),
    assetSymbol: "mUSDC",
    assetDecimals: 6,
    shareDecimals: 12,
    toleranceBps: TOLERANCE_BPS,
    onUpdate: (update) => updates.push(update),
  };
}

/** The decoded call of a transaction to the pool. */
async function poolCall(fx: PoolFixture, hash: string | undefined) {
  const transaction = await ethers.provider.getTransaction(hash ?? "");
  return fx.pool.interface.parseTransaction({ data: transaction?.data ?? "0x" });
}

describe("app: LP transactions (app/src/chain/actions.ts)", function () {
  it("deposits by permit in one transaction: sign, confirm, pending, confirmed, with minShares from the preview", async function () {
    const fx = await loadFixture(actionsFixture);
    const [lp0] = fx.lps;
    const updates: TxUpdate[] = [];
    const assets = units(250, 6);
    const preview = await fx.pool.previewDeposit(assets);
    const result = await deposit(await contextFor(fx, lp0, updates), assets, "permit");

    expect(updates.map((update) => update.phase)).to.deep.equal(["wallet", "wallet", "pending"]);
    expect(updates[0].message).to.equal("Sign the permit for 250 mUSDC in your wallet (a signature, no gas)…");
    expect(updates[1].message).to.equal("Confirm the deposit in your wallet…");
    expect(updates[2].message).to.equal(`Deposit pending: ${result.hash}`);
    const call = await poolCall(fx, result.hash);
    expect(call?.name).to.equal("depositWithPermit");
    expect(call?.args[2]).to.equal(lowerBound(preview, TOLERANCE_BPS));
    const shares = await fx.pool.balanceOf(lp0.address);
    expect(shares).to.equal(preview);
    const receipt = await ethers.provider.getTransactionReceipt(result.hash ?? "");
    expect(result).to.deep.equal({
      phase: "confirmed",
      hash: result.hash,
      message: `Confirmed in block ${receipt?.blockNumber}: deposited 250 mUSDC for 250 shares.`,
    });
    expect(await fx.loanToken.allowance(lp0.address, await fx.pool.getAddress())).to.equal(0n);
  });

  it("deposits by approval: approves only the amount, only when the allowance is short, then deposits", async function () {
    const fx = await loadFixture(actionsFixture);
    const [lp0] = fx.lps;
    const updates: TxUpdate[] = [];
    const first = await deposit(await contextFor(fx, lp0, updates), units(100, 6), "approve");
    expect(
      updates.map((update) => `${update.phase}: ${update.message.replace(/0x[0-9a-f]{64}/, "<hash>")}`),
    ).to.deep.equal([
      "wallet: Confirm the approval of 100 mUSDC in your wallet…",
      "pending: Approval of 100 mUSDC pending: <hash>",
      "wallet: Confirm the deposit in your wallet…",
      "pending: Deposit pending: <hash>",
    ]);
    expect((await poolCall(fx, first.hash))?.name).to.equal("depositWithMinShares");
    expect(await fx.loanToken.allowance(lp0.address, await fx.pool.getAddress())).to.equal(0n);

    // With an allowance that covers the amount, no approval is asked for.
    await fx.loanToken.connect(lp0).approve(await fx.pool.getAddress(), units(40, 6));
    const again: TxUpdate[] = [];
    await deposit(await contextFor(fx, lp0, again), units(40, 6), "approve");
    expect(again.map((update) => update.phase)).to.deep.equal(["wallet", "pending"]);
  });

  it("refuses a permit for a loan asset without an EIP-712 domain, before asking the wallet for anything", async function () {
    const fx = await loadFixture(actionsFixture);
    const [lp0] = fx.lps;
    const plain = await ethers.deployContract("PausableERC20", ["Plain Dollar", "PLAIN"]);
    const { pool } = await createPoolFor(await plain.getAddress());
    const updates: TxUpdate[] = [];
    const context = {
      ...(await contextFor(fx, lp0, updates)),
      poolAddress: await pool.getAddress(),
      assetAddress: await plain.getAddress(),
      assetSymbol: "PLAIN",
    };
    let caught: unknown;
    try {
      await deposit(context, units(1, 6), "permit");
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(InputError);
    expect(
      explainError(caught, { action: "deposit", assetSymbol: "PLAIN", assetDecimals: 6, shareDecimals: 12 }),
    ).to.equal('PLAIN exposes no EIP-712 domain (EIP-5267) to sign a permit for; choose "Approve, then deposit".');
    expect(updates).to.deep.equal([]);
  });

  it("withdraws with maxShares and redeems with minAssets from the previews and the tolerance", async function () {
    const fx = await loadFixture(actionsFixture);
    const lp1 = fx.lps[1];
    const assets = units(300, 6);
    const previewShares = await fx.pool.previewWithdraw(assets);
    const withdrawn = await withdraw(await contextFor(fx, lp1, []), assets);
    const withdrawCall = await poolCall(fx, withdrawn.hash);
    expect(withdrawCall?.name).to.equal("withdrawWithMaxShares");
    // The app previews at the latest block, as this test did just before.
    expect(withdrawCall?.args[3]).to.equal(upperBound(previewShares, TOLERANCE_BPS));
    const [withdrawEvent] = await fx.pool.queryFilter(fx.pool.filters.Withdraw(), "latest");
    expect(withdrawn.message).to.equal(
      `Confirmed in block ${withdrawEvent.blockNumber}: withdrew 300 mUSDC for ${formatAmount(withdrawEvent.args.shares, 12, 6)} shares.`,
    );

    const shares = 100n * 10n ** 12n;
    const previewAssets = await fx.pool.previewRedeem(shares);
    const redeemed = await redeem(await contextFor(fx, lp1, []), shares);
    const redeemCall = await poolCall(fx, redeemed.hash);
    expect(redeemCall?.name).to.equal("redeemWithMinAssets");
    expect(redeemCall?.args[3]).to.equal(lowerBound(previewAssets, TOLERANCE_BPS));
    const [redeemEvent] = await fx.pool.queryFilter(fx.pool.filters.Withdraw(), "latest");
    expect(redeemEvent.args.shares).to.equal(shares);
    expect(redeemed.message).to.equal(
      `Confirmed in block ${redeemEvent.blockNumber}: redeemed 100 shares for ${formatAmount(redeemEvent.args.assets, 6)} mUSDC.`,
    );
  });

  it("throws the pool's revert for the page to explain, after saying what it waited for", async function () {
    const fx = await loadFixture(actionsFixture);
    const lp1 = fx.lps[1];
    const updates: TxUpdate[] = [];
    let caught: unknown;
    try {
      await withdraw(await contextFor(fx, lp1, updates), units(5_000, 6));
    } catch (error) {
      caught = error;
    }
    expect(decodeRevert(caught)?.name).to.equal("ERC4626ExceededMaxWithdraw");
    expect(updates.map((update) => update.phase)).to.deep.equal(["wallet"]);
  });
});
