/**
 * Trusted-price upkeep policy: when the keeper calls the pool's permissionless `refreshTrustedPrices()`.
 *
 * While a collateral's oracle fails, the pool values it at its last trusted price, but only for MAX_TRUSTED_PRICE_AGE
 * (6 hours) after the pool stored it; older, every account holding it is unpriced: it cannot be liquidated, closed or
 * written off, and loss recognition counts that collateral as 0. The fresher the stored price, the smaller the error
 * while it stands in. Liquidations, closes, socializations and recognitions store the live prices they read, but a
 * quiet pool has none of them. So, for each pool, every block, the keeper compares each listed collateral's stored
 * trusted price (`lastTrustedPrice`) with its live oracle price, and sends one `refreshTrustedPrices()` when one of
 * them is at least `--trusted-price-refresh` seconds old (default MAX_TRUSTED_PRICE_AGE / 4, 90 minutes) or differs
 * from the live price by more than `--trusted-price-tolerance-bps` (default 100).
 *
 * A refresh is only planned when the pool would store something (`recordsTrustedPrice`: the price differs, or the
 * stored one is at least MAX_TRUSTED_PRICE_AGE / 4 old), so an unchanged price is re-dated at most that often whatever
 * the setting. A collateral whose oracle fails cannot be refreshed (the pool stores live prices only).
 */
import { BPS, MAX_TRUSTED_PRICE_AGE, recordsTrustedPrice, type TrustedPrice } from "./model/poolMath";

/** Default `--trusted-price-refresh`: MAX_TRUSTED_PRICE_AGE / 4, when the pool re-dates an unchanged price. */
export const DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS = Number(MAX_TRUSTED_PRICE_AGE / 4n);
/** Default `--trusted-price-tolerance-bps`: a live price 1% away from the stored one is refreshed. */
export const DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS = 100;
/** Largest `--trusted-price-refresh`: at MAX_TRUSTED_PRICE_AGE the price would already be expiring. */
export const MAX_TRUSTED_PRICE_REFRESH_SECONDS = Number(MAX_TRUSTED_PRICE_AGE) - 1;

export interface TrustedPricePolicy {
  /** Refresh a stored trusted price at least this old (seconds). */
  refreshSeconds: bigint;
  /** Refresh a stored trusted price further than this from the live price (basis points of the stored price). */
  toleranceBps: bigint;
}

/** One `refreshTrustedPrices()` transaction: the collaterals that needed it, for the logs. */
export interface RefreshPlan {
  kind: "refresh";
  pool: string;
  collaterals: string[];
}

export type RefreshReason = "age" | "deviation";

/** |live − stored| in basis points of the stored price, rounded down (no stored price: the maximum). */
export function deviationBps(livePriceE36: bigint, storedPriceE36: bigint): bigint {
  const gap = livePriceE36 > storedPriceE36 ? livePriceE36 - storedPriceE36 : storedPriceE36 - livePriceE36;
  if (storedPriceE36 === 0n) return gap === 0n ? 0n : BPS * BPS;
  return (gap * BPS) / storedPriceE36;
}

/** Whether the live price is further from the stored one than `toleranceBps` (exact: no rounding). */
export function deviatesBeyond(livePriceE36: bigint, storedPriceE36: bigint, toleranceBps: bigint): boolean {
  const gap = livePriceE36 > storedPriceE36 ? livePriceE36 - storedPriceE36 : storedPriceE36 - livePriceE36;
  return gap * BPS > storedPriceE36 * toleranceBps;
}

/**
 * Why a collateral with live price `livePriceE36` at `timestamp` needs `refreshTrustedPrices()`, or null when it does
 * not (or when the pool would store nothing).
 */
export function refreshReason(
  livePriceE36: bigint,
  trusted: TrustedPrice,
  timestamp: bigint,
  policy: TrustedPricePolicy,
): RefreshReason | null {
  if (!recordsTrustedPrice(livePriceE36, trusted, timestamp)) return null;
  if (timestamp - trusted.updatedAt >= policy.refreshSeconds) return "age";
  if (deviatesBeyond(livePriceE36, trusted.priceE36, policy.toleranceBps)) return "deviation";
  return null;
}

/** Unix time after which a stored trusted price no longer stands in for a failing oracle. */
export const trustedPriceExpiresAt = (trusted: TrustedPrice): bigint => trusted.updatedAt + MAX_TRUSTED_PRICE_AGE;
