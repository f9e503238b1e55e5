// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title RiskMath
/// @notice Pure valuation, health and liquidation formulas of a pool, each named by its rounding direction.
/// @dev Prices are loan-asset units per collateral unit scaled by 1e36; percentages are basis points (1e4 = 100%);
///      health factors are scaled by 1e18 (1e18 = at the liquidation threshold). Every rounding favours the pool:
///      collateral is valued down, debt and the loan assets a liquidator pays are rounded up, seized collateral is
///      rounded down. `keepers/src/model/poolMath.ts` mirrors these formulas exactly.
library RiskMath {
    uint256 internal constant PRICE_SCALE = 1e36;
    uint256 internal constant BPS = 1e4;
    uint256 internal constant WAD = 1e18;

    /// @dev Value in loan-asset units of `collateralAssets` at `priceE36`, rounded down.
    function valueDown(uint256 collateralAssets, uint256 priceE36) internal pure returns (uint256) {
        return Math.mulDiv(collateralAssets, priceE36, PRICE_SCALE, Math.Rounding.Floor);
    }

    /// @dev `assets × bps / 1e4`, rounded down.
    function bpsDown(uint256 assets, uint256 bps) internal pure returns (uint256) {
        return Math.mulDiv(assets, bps, BPS, Math.Rounding.Floor);
    }

    /// @dev `assets × bps / 1e4`, rounded up.
    function bpsUp(uint256 assets, uint256 bps) internal pure returns (uint256) {
        return Math.mulDiv(assets, bps, BPS, Math.Rounding.Ceil);
    }

    /// @dev Health factor (1e18 = at the threshold), rounded down; `type(uint256).max` without debt.
    function healthFactorDown(uint256 liquidationLimit, uint256 debt) internal pure returns (uint256) {
        if (debt == 0) return type(uint256).max;
        return Math.mulDiv(liquidationLimit, WAD, debt, Math.Rounding.Floor);
    }

    /// @dev Collateral seized for repaying `repaidAssets` with a bonus of `bonusBps`, rounded down.
    function seizedCollateralDown(
        uint256 repaidAssets,
        uint256 bonusBps,
        uint256 priceE36
    ) internal pure returns (uint256) {
        return Math.mulDiv(repaidAssets * (BPS + bonusBps), PRICE_SCALE, priceE36 * BPS, Math.Rounding.Floor);
    }

    /// @dev Loan assets a liquidator pays for `seizedCollateral` with a bonus of `bonusBps`, rounded up.
    function repaidForSeizedUp(
        uint256 seizedCollateral,
        uint256 bonusBps,
        uint256 priceE36
    ) internal pure returns (uint256) {
        return Math.mulDiv(seizedCollateral * BPS, priceE36, PRICE_SCALE * (BPS + bonusBps), Math.Rounding.Ceil);
    }

    /// @dev Loan assets that liquidating all of `collateralAssets` at a bonus of `bonusBps` recovers, rounded down:
    ///      `value / (1 + bonus)`. The sum over an account's collateral is its recovery value; the debt above it is
    ///      the account's shortfall (rounded up in the pool's favour).
    function repaidForSeizedDown(
        uint256 collateralAssets,
        uint256 bonusBps,
        uint256 priceE36
    ) internal pure returns (uint256) {
        return Math.mulDiv(collateralAssets * BPS, priceE36, PRICE_SCALE * (BPS + bonusBps), Math.Rounding.Floor);
    }

    /// @dev Most debt one liquidation may repay (the close factor), given the account's state before it.
    ///      The close factor lifts to 100% when the health factor is below `fullLiquidationHealthFactor`, or when
    ///      repaying only the close-factor share would leave debt, or total collateral value, at or below dust.
    /// @param debt The account's debt, rounded up.
    /// @param healthFactor The account's health factor, rounded down.
    /// @param totalCollateralValue Value of all the account's collateral, rounded down.
    /// @param seizableValue Value of the collateral being seized, rounded down.
    /// @param bonusBps Liquidation bonus of the collateral being seized.
    function maxRepayUp(
        uint256 debt,
        uint256 healthFactor,
        uint256 totalCollateralValue,
        uint256 seizableValue,
        uint256 bonusBps,
        uint256 closeFactorBps,
        uint256 fullLiquidationHealthFactor,
        uint256 dustThresholdAssets
    ) internal pure returns (uint256) {
        if (healthFactor < fullLiquidationHealthFactor) return debt;
        uint256 closeFactorRepay = bpsUp(debt, closeFactorBps);
        if (debt - closeFactorRepay <= dustThresholdAssets) return debt;
        uint256 seizedValueAtCap = Math.min(seizableValue, bpsUp(closeFactorRepay, BPS + bonusBps));
        if (totalCollateralValue - seizedValueAtCap <= dustThresholdAssets) return debt;
        return closeFactorRepay;
    }
}
