/** Number formatting shared by the operator scripts' tables. Display only: no figure here feeds a transaction. */
import { formatUnits } from "ethers";
import { MAX_UINT256, WAD } from "../../keepers/src/model/poolMath";
import { perSecondE18ToAprE18 } from "../../deploy/lib/units";

/**
 * `amount` (smallest units) as a decimal with thousands separators and at most `fractionDigits` decimals (truncated).
 * A non-zero amount too small to show is "< 0.01" (or "> -0.01"; the smallest shown step), never "0": a reader adding
 * up parts (e.g. the reserve's share of a bad debt) then sees that a part is there.
 */
export function formatAmount(amount: bigint, decimals: number, fractionDigits = 2): string {
  const negative = amount < 0n;
  const [whole, fraction = ""] = formatUnits(negative ? -amount : amount, decimals).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = fraction.slice(0, fractionDigits).replace(/0+$/, "");
  if (amount !== 0n && grouped === "0" && trimmed === "") {
    const step = fractionDigits <= 0 ? "1" : `0.${"0".repeat(fractionDigits - 1)}1`;
    return negative ? `> -${step}` : `< ${step}`;
  }
  return `${negative ? "-" : ""}${grouped}${trimmed === "" ? "" : `.${trimmed}`}`;
}

/** `amount` (smallest units) with thousands separators and exactly `fractionDigits` decimals (truncated). */
export function formatAmountFixed(amount: bigint, decimals: number, fractionDigits = 2): string {
  const negative = amount < 0n;
  const [whole, fraction = ""] = formatUnits(negative ? -amount : amount, decimals).split(".");
  const digits = fraction.padEnd(fractionDigits, "0").slice(0, fractionDigits);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  // A negative amount that truncates to zero prints without its sign.
  const sign = negative && /[1-9]/.test(whole + digits) ? "-" : "";
  return `${sign}${grouped}${fractionDigits > 0 ? `.${digits}` : ""}`;
}

/** A 1e18-scaled fraction as a percentage with two decimals. */
export function formatPercentE18(valueE18: bigint): string {
  return `${formatAmount(valueE18 * 100n, 18, 2)}%`;
}

/** A per-second rate scaled by 1e18 as a simple APR. */
export function formatAprFromPerSecond(ratePerSecondE18: bigint): string {
  return formatPercentE18(perSecondE18ToAprE18(ratePerSecondE18));
}

/** A health factor scaled by 1e18 (∞ without debt). */
export function formatHealthFactor(healthFactorE18: bigint): string {
  if (healthFactorE18 === MAX_UINT256) return "∞";
  return formatAmount(healthFactorE18, 18, 3);
}

/** Basis points of a whole as a percentage. */
export function formatBps(bps: bigint): string {
  return formatPercentE18((bps * WAD) / 10_000n);
}

/** Loan assets per whole share (`sharePrice()` is per 10**decimals() shares), six decimals. */
export function formatSharePrice(sharePrice: bigint, loanDecimals: number): string {
  return formatAmountFixed(sharePrice, loanDecimals, 6);
}

/** `0x1234…abcd`. */
export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** Unix seconds as "2026-11-25 14:03 UTC": the same on every machine, whatever its time zone. */
export function formatUtcMinute(timestamp: number): string {
  return `${new Date(timestamp * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
