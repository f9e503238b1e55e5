/**
 * Failures of the app's calls, as sentences for the LP: the pool's custom errors (and the ERC-20/ERC-4626/EIP-2612
 * errors a pool or its loan asset raise) decoded with the Pool ABI and worded with the amounts in them, a wallet
 * rejection, or the wallet's or node's own message when nothing better is known. The loss-recognition errors
 * (reserve committed to a shortfall, the one-call close, a collateral without a price) are worded too, for anyone
 * who calls those entries with the app's helpers.
 */
import { formatAmount, shortAddress } from "../../../scripts/lib/format";
import {
  decodeRevert,
  failureMessage,
  formatRevert,
  isUserRejection,
  type DecodedRevert,
} from "../../../scripts/lib/revert";
import { InputError } from "./amounts";

export { decodeRevert, isRevert, isUserRejection, type DecodedRevert } from "../../../scripts/lib/revert";

export type LpAction = "deposit" | "withdraw" | "redeem" | "approve";

export interface ErrorContext {
  action: LpAction;
  assetSymbol: string;
  assetDecimals: number;
  shareDecimals: number;
}

/** The revert of `error` as a sentence saying what happened and what to try; null for an error this app does not know. */
export function explainRevert(revert: DecodedRevert, context: ErrorContext): string | null {
  const assets = (value: unknown): string =>
    `${formatAmount(value as bigint, context.assetDecimals)} ${context.assetSymbol}`;
  const shares = (value: unknown): string => `${formatAmount(value as bigint, context.shareDecimals, 6)} shares`;
  const a = revert.args;
  switch (revert.name) {
    case "InsufficientCash":
      return `The pool has only ${assets(a[1])} idle (the rest is lent out); try ≤ ${assets(a[1])}.`;
    case "ERC4626ExceededMaxWithdraw":
      return (
        `You can withdraw at most ${assets(a[2])} now: the pool's idle cash or your balance, whichever is smaller; ` +
        `try ≤ ${assets(a[2])}.`
      );
    case "ERC4626ExceededMaxRedeem":
      return `You can redeem at most ${shares(a[2])} now (limited by the pool's idle cash or your shares); try ≤ ${shares(a[2])}.`;
    case "ERC4626ExceededMaxDeposit":
      return (a[2] as bigint) === 0n
        ? "The pool takes no more deposits now (it is full); withdrawals still work. Try again later."
        : `The pool takes at most ${assets(a[2])} more; try ≤ ${assets(a[2])}.`;
    case "ERC4626ExceededMaxMint":
      return `The pool can mint at most ${shares(a[2])} more; ask for ≤ ${shares(a[2])}.`;
    case "Paused":
      return "The pool is paused: deposits and borrows are off for now; withdrawals still work.";
    case "SharesBelowMinimum":
      return (
        `The deposit would now mint ${shares(a[0])}, fewer than the ${shares(a[1])} your slippage tolerance allows: ` +
        `the share price moved. Preview again, or raise the tolerance.`
      );
    case "SharesAboveMaximum":
      return (
        `The withdrawal would now burn ${shares(a[0])}, more than the ${shares(a[1])} your slippage tolerance allows: ` +
        `the share price fell. Preview again, or raise the tolerance.`
      );
    case "AssetsBelowMinimum":
      return (
        `The redemption would now pay ${assets(a[0])}, less than the ${assets(a[1])} your slippage tolerance allows: ` +
        `the share price fell. Preview again, or raise the tolerance.`
      );
    case "AssetsAboveMaximum":
      return (
        `Minting would now cost ${assets(a[0])}, more than the ${assets(a[1])} your slippage tolerance allows: ` +
        `the share price rose. Preview again, or raise the tolerance.`
      );
    case "ZeroShares":
      return `${assets(a[0])} is too little to mint a single share; deposit more.`;
    case "ZeroAssets":
      return `${shares(a[0])} are worth less than the smallest unit of ${context.assetSymbol}; redeem more.`;
    case "ZeroAmount":
      return "Enter an amount greater than 0.";
    case "ZeroAddress":
      return "The receiver is the zero address; connect a wallet account.";
    case "PermitFailed":
      return (
        `The pool could not use your permit (expired, or signed for another amount) and your allowance is only ` +
        `${assets(a[1])}; sign a new permit, or approve ${assets(a[2])} first.`
      );
    case "ERC2612ExpiredSignature":
      return "The permit expired before the transaction was mined; sign a new one.";
    case "ERC2612InvalidSigner":
      return "The permit was not signed by the connected account; sign it again from this account.";
    case "ERC20InsufficientBalance":
      return context.action === "deposit" || context.action === "approve"
        ? `Your balance is ${assets(a[1])}; the deposit needs ${assets(a[2])}. Deposit at most ${assets(a[1])}.`
        : `You hold ${shares(a[1])}; this needs ${shares(a[2])}.`;
    case "ERC20InsufficientAllowance":
      return `The pool may spend only ${assets(a[1])} of your ${context.assetSymbol}; approve at least ${assets(a[2])}, or use a permit.`;
    case "ReserveCommittedToShortfall":
      return (
        `The reserve can pay out at most ${assets(a[1])} now: the recognized shortfall of ${assets(a[2])} needs the ` +
        `rest of it as first loss. Withdraw ≤ ${assets(a[1])}, or wait until the shortfall is realized or released.`
      );
    case "AccountNotInsolvent":
      return (
        `${shortAddress(a[0] as string)} is not insolvent: liquidating all its collateral would repay ${assets(a[2])} ` +
        `of its ${assets(a[1])} debt, so it cannot be closed in one call; liquidate it instead if it is unhealthy.`
      );
    case "SeizedValueBelowMinimum":
      return (
        `The close would now seize collateral worth ${assets(a[0])}, less than the ${assets(a[1])} you asked for: a ` +
        `price moved or someone liquidated part of it first. Quote the close again.`
      );
    case "NothingToClose":
      return (
        `Nothing to close on ${shortAddress(a[0] as string)}: none of its collateral has a live price now (it stays ` +
        `escrowed at its last trusted price), so no debt can be repaid. Try again once its oracle answers.`
      );
    case "PriceUnavailable":
      return (
        `The oracle of collateral ${shortAddress(a[0] as string)} gives no price now (it reverts or returns 0): the ` +
        `pool neither seizes nor lists it until the oracle answers again.`
      );
    case "FeeOnTransferNotSupported":
      return `The pool received ${assets(a[2])} instead of ${assets(a[1])}: the token takes a fee on transfers, which the pool refuses.`;
    default:
      return null;
  }
}

/** Any failure of an app action as one sentence. */
export function explainError(error: unknown, context: ErrorContext): string {
  if (error instanceof InputError) return error.message;
  if (isUserRejection(error)) return "You rejected the request in your wallet; nothing was sent.";
  const revert = decodeRevert(error);
  if (revert !== null) {
    return explainRevert(revert, context) ?? `The pool refused: ${formatRevert(revert)}.`;
  }
  const { text, short } = failureMessage(error);
  return `The transaction failed: ${text}${short ? "." : ""}`;
}
