// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title IPriceOracle
/// @notice Prices one collateral asset in units of a pool's loan asset.
/// @dev The price is scaled by 1e36 and already accounts for both tokens' decimals, so that
///      `collateralAssets * priceE36 / 1e36` is the value of `collateralAssets` (in the collateral's smallest
///      unit) expressed in the loan asset's smallest unit. This works for any pair of decimals.
interface IPriceOracle {
    /// @notice Loan-asset units per collateral unit, scaled by 1e36.
    /// @dev MUST revert rather than return a price it cannot vouch for (stale, non-positive, incomplete round).
    /// @return priceE36 The price, scaled by 1e36.
    function price() external view returns (uint256 priceE36);
}
