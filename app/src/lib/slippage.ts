/**
 * Slippage bounds for the pool's bounded ERC-4626 calls. The preview is what the call would do at the block the
 * app read; the bound is the worst the user accepts if the share price moves before the transaction lands.
 */
import { BPS, mulDivDown, mulDivUp } from "../../../keepers/src/model/poolMath";
import { InputError } from "./amounts";

/** The highest tolerance the app accepts: 50%. */
export const MAX_TOLERANCE_BPS = 5_000n;
/** The tolerance a new session starts with: 0.5%. */
export const DEFAULT_TOLERANCE_PERCENT = "0.5";

/** A tolerance typed in percent ("0.5", "1", "0.05") in basis points; at most two decimals, 0 to 50%. */
export function parseTolerancePercent(text: string): bigint {
  const cleaned = text.trim().replace(/%$/, "").trim();
  if (!/^(\d+(\.\d{0,2})?|\.\d{1,2})$/.test(cleaned)) {
    throw new InputError(
      `Slippage tolerance "${text.trim()}" is not a percentage with at most two decimals, e.g. 0.5.`,
    );
  }
  const [whole, fraction = ""] = (cleaned.startsWith(".") ? `0${cleaned}` : cleaned).split(".");
  const bps = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"));
  if (bps > MAX_TOLERANCE_BPS) throw new InputError(`Slippage tolerance ${cleaned}% is above the 50% the app allows.`);
  return bps;
}

/** Fewest units accepted: `preview` less the tolerance, rounded down (deposit → minShares, redeem → minAssets). */
export function lowerBound(preview: bigint, toleranceBps: bigint): bigint {
  return mulDivDown(preview, BPS - toleranceBps, BPS);
}

/** Most units accepted: `preview` plus the tolerance, rounded up (withdraw → maxShares, mint → maxAssets). */
export function upperBound(preview: bigint, toleranceBps: bigint): bigint {
  return mulDivUp(preview, BPS + toleranceBps, BPS);
}
