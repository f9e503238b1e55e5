/** What a user types into an amount field, read exactly (no floating point), with errors meant for that user. */
import { parseUnits } from "ethers";

/** A mistake in what the user typed, worded for them. */
export class InputError extends Error {}

/**
 * `text` in the smallest unit of a token with `decimals` decimals. Thousands separators (",", "_", spaces) are
 * ignored. Empty, malformed, zero and over-precise inputs throw an `InputError` saying what to type instead.
 */
export function parseAmountInput(text: string, decimals: number, symbol: string): bigint {
  const cleaned = text.trim().replace(/[,_\s]/g, "");
  if (cleaned === "") throw new InputError(`Enter an amount of ${symbol}.`);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(cleaned)) {
    throw new InputError(`"${text.trim()}" is not an amount: use digits and at most one decimal point, e.g. 1250.5.`);
  }
  const fraction = cleaned.split(".")[1] ?? "";
  if (fraction.length > decimals) {
    throw new InputError(`${symbol} has ${decimals} decimals; "${text.trim()}" has ${fraction.length}.`);
  }
  const amount = parseUnits(cleaned.startsWith(".") ? `0${cleaned}` : cleaned, decimals);
  if (amount === 0n) throw new InputError(`Enter an amount of ${symbol} greater than 0.`);
  return amount;
}
