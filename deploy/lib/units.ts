/**
 * Unit conversions the deploy modules and scripts share: human figures (APR in basis points, USD prices as decimal
 * strings) into the contracts' units. Pure functions, no chain access.
 */
import { parseUnits } from "ethers";

export const SECONDS_PER_YEAR = 365n * 24n * 3600n;
export const PRICE_SCALE = 10n ** 36n;
export const WAD = 10n ** 18n;

/** A simple APR in basis points as a per-second rate scaled by 1e18 (rounded down), as KinkedRateModel takes it. */
export function aprBpsToPerSecondE18(aprBps: number | bigint): bigint {
  return (BigInt(aprBps) * 10n ** 14n) / SECONDS_PER_YEAR;
}

/** A per-second rate scaled by 1e18 as a simple APR scaled by 1e18. */
export function perSecondE18ToAprE18(ratePerSecondE18: bigint): bigint {
  return ratePerSecondE18 * SECONDS_PER_YEAR;
}

/**
 * priceE36 (loan-asset units per collateral unit × 1e36) for "one whole collateral is worth `loanPerCollateral` whole
 * loan assets", e.g. ("3000", 6, 18) for ETH priced in a 6-decimals dollar. Rounded down; `loanPerCollateral` is a
 * decimal string with at most 18 fractional digits.
 */
export function priceE36FromWhole(loanPerCollateral: string, loanDecimals: number, collateralDecimals: number): bigint {
  const loanPerCollateralE18 = parseUnits(loanPerCollateral, 18);
  return (loanPerCollateralE18 * PRICE_SCALE * 10n ** BigInt(loanDecimals)) / (WAD * 10n ** BigInt(collateralDecimals));
}

/** Inverse of `priceE36FromWhole`, scaled by 1e18 (whole loan assets per whole collateral × 1e18), rounded down. */
export function wholePriceE18(priceE36: bigint, loanDecimals: number, collateralDecimals: number): bigint {
  return (priceE36 * WAD * 10n ** BigInt(collateralDecimals)) / (PRICE_SCALE * 10n ** BigInt(loanDecimals));
}
