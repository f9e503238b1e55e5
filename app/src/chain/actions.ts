/**
 * The LP's three transactions, each through the pool's slippage-bounded entry: deposit (after an approval, or
 * with an EIP-2612 permit in the same transaction), withdraw (exact assets, at most N shares burned) and redeem
 * (exact shares, at least N assets paid). Each step reports its phase, so the page can say what the wallet is
 * waiting for; a failure is thrown for the page to explain (lib/errors.ts).
 */
import type { ContractTransactionResponse, Signer } from "ethers";
import { formatAmount } from "../../../scripts/lib/format";
import { InputError } from "../lib/amounts";
import { isRevert } from "../lib/errors";
import { lowerBound, upperBound } from "../lib/slippage";
import { permitDomain, signPermit } from "../../../scripts/lib/permit";
import { ERC20Permit__factory, Pool__factory } from "./contracts";

export type TxPhase = "wallet" | "pending" | "confirmed";

export interface TxUpdate {
  phase: TxPhase;
  message: string;
  hash?: string;
}

export interface ActionContext {
  signer: Signer;
  poolAddress: string;
  assetAddress: string;
  assetSymbol: string;
  assetDecimals: number;
  shareDecimals: number;
  toleranceBps: bigint;
  onUpdate: (update: TxUpdate) => void;
}

/** How a deposit gets the pool's right to pull the assets. */
export type DepositMethod = "permit" | "approve";

/** A permit stays valid this long after the latest block: enough to confirm in the wallet, short if it leaks. */
export const PERMIT_LIFETIME_SECONDS = 30 * 60;

async function sendAndWait(
  context: ActionContext,
  what: string,
  send: () => Promise<ContractTransactionResponse>,
): Promise<{
  hash: string;
  blockNumber: number;
  logs: readonly { address: string; topics: readonly string[]; data: string }[];
}> {
  context.onUpdate({ phase: "wallet", message: `Confirm the ${what} in your wallet…` });
  const transaction = await send();
  context.onUpdate({
    phase: "pending",
    message: `${what[0].toUpperCase()}${what.slice(1)} pending: ${transaction.hash}`,
    hash: transaction.hash,
  });
  const receipt = await transaction.wait();
  if (receipt === null)
    throw new Error(`The ${what} ${transaction.hash} was dropped; check your wallet's activity and try again.`);
  return { hash: transaction.hash, blockNumber: receipt.blockNumber, logs: receipt.logs };
}

function eventArgs(
  logs: readonly { address: string; topics: readonly string[]; data: string }[],
  poolAddress: string,
  name: "Deposit" | "Withdraw",
) {
  const iface = Pool__factory.createInterface();
  for (const log of logs) {
    if (log.address.toLowerCase() !== poolAddress.toLowerCase()) continue;
    const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed?.name === name) return { assets: parsed.args.assets as bigint, shares: parsed.args.shares as bigint };
  }
  throw new Error(`The transaction succeeded but emitted no ${name} event: reload the page and check the pool.`);
}

export async function deposit(context: ActionContext, assets: bigint, method: DepositMethod): Promise<TxUpdate> {
  const owner = await context.signer.getAddress();
  const pool = Pool__factory.connect(context.poolAddress, context.signer);
  const token = ERC20Permit__factory.connect(context.assetAddress, context.signer);
  const minShares = lowerBound(await pool.previewDeposit(assets), context.toleranceBps);
  const amount = `${formatAmount(assets, context.assetDecimals)} ${context.assetSymbol}`;
  let sent;
  if (method === "permit") {
    const provider = context.signer.provider;
    const latest = provider === null ? null : await provider.getBlock("latest");
    if (latest === null) throw new Error("The wallet's provider returned no latest block; reconnect the wallet.");
    const deadline = BigInt(latest.timestamp + PERMIT_LIFETIME_SECONDS);
    let domain;
    try {
      domain = permitDomain(await token.eip712Domain());
    } catch (error) {
      if (!isRevert(error)) throw error;
      throw new InputError(
        `${context.assetSymbol} exposes no EIP-712 domain (EIP-5267) to sign a permit for; choose "Approve, then deposit".`,
      );
    }
    context.onUpdate({
      phase: "wallet",
      message: `Sign the permit for ${amount} in your wallet (a signature, no gas)…`,
    });
    const permit = await signPermit(context.signer, domain, {
      owner,
      spender: context.poolAddress,
      value: assets,
      nonce: await token.nonces(owner),
      deadline,
    });
    sent = await sendAndWait(context, "deposit", () =>
      pool.depositWithPermit(assets, owner, minShares, deadline, permit.v, permit.r, permit.s),
    );
  } else {
    if ((await token.allowance(owner, context.poolAddress)) < assets) {
      await sendAndWait(context, `approval of ${amount}`, () => token.approve(context.poolAddress, assets));
    }
    sent = await sendAndWait(context, "deposit", () => pool.depositWithMinShares(assets, owner, minShares));
  }
  const { shares } = eventArgs(sent.logs, context.poolAddress, "Deposit");
  return {
    phase: "confirmed",
    hash: sent.hash,
    message: `Confirmed in block ${sent.blockNumber}: deposited ${amount} for ${formatAmount(shares, context.shareDecimals, 6)} shares.`,
  };
}

export async function withdraw(context: ActionContext, assets: bigint): Promise<TxUpdate> {
  const owner = await context.signer.getAddress();
  const pool = Pool__factory.connect(context.poolAddress, context.signer);
  const maxShares = upperBound(await pool.previewWithdraw(assets), context.toleranceBps);
  const sent = await sendAndWait(context, "withdrawal", () =>
    pool.withdrawWithMaxShares(assets, owner, owner, maxShares),
  );
  const { shares } = eventArgs(sent.logs, context.poolAddress, "Withdraw");
  return {
    phase: "confirmed",
    hash: sent.hash,
    message:
      `Confirmed in block ${sent.blockNumber}: withdrew ${formatAmount(assets, context.assetDecimals)} ${context.assetSymbol} ` +
      `for ${formatAmount(shares, context.shareDecimals, 6)} shares.`,
  };
}

export async function redeem(context: ActionContext, shares: bigint): Promise<TxUpdate> {
  const owner = await context.signer.getAddress();
  const pool = Pool__factory.connect(context.poolAddress, context.signer);
  const minAssets = lowerBound(await pool.previewRedeem(shares), context.toleranceBps);
  const sent = await sendAndWait(context, "redemption", () =>
    pool.redeemWithMinAssets(shares, owner, owner, minAssets),
  );
  const { assets } = eventArgs(sent.logs, context.poolAddress, "Withdraw");
  return {
    phase: "confirmed",
    hash: sent.hash,
    message:
      `Confirmed in block ${sent.blockNumber}: redeemed ${formatAmount(shares, context.shareDecimals, 6)} shares ` +
      `for ${formatAmount(assets, context.assetDecimals)} ${context.assetSymbol}.`,
  };
}
