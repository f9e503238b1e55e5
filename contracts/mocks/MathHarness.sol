// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SharesMath} from "../libraries/SharesMath.sol";
import {RiskMath} from "../libraries/RiskMath.sol";

/// @title MathHarness
/// @notice Test-only: exposes the pure libraries so tests can compare them with the TypeScript model.
contract MathHarness {
    function toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) external pure returns (uint256) {
        return SharesMath.toSharesDown(assets, totalAssets, totalShares);
    }

    function toSharesUp(uint256 assets, uint256 totalAssets, uint256 totalShares) external pure returns (uint256) {
        return SharesMath.toSharesUp(assets, totalAssets, totalShares);
    }

    function toAssetsUp(uint256 shares, uint256 totalAssets, uint256 totalShares) external pure returns (uint256) {
        return SharesMath.toAssetsUp(shares, totalAssets, totalShares);
    }

    function valueDown(uint256 collateralAssets, uint256 priceE36) external pure returns (uint256) {
        return RiskMath.valueDown(collateralAssets, priceE36);
    }

    function bpsDown(uint256 assets, uint256 bps) external pure returns (uint256) {
        return RiskMath.bpsDown(assets, bps);
    }

    function bpsUp(uint256 assets, uint256 bps) external pure returns (uint256) {
        return RiskMath.bpsUp(assets, bps);
    }

    function healthFactorDown(uint256 liquidationLimit, uint256 debt) external pure returns (uint256) {
        return RiskMath.healthFactorDown(liquidationLimit, debt);
    }

    function seizedCollateralDown(uint256 repaid, uint256 bonusBps, uint256 priceE36) external pure returns (uint256) {
        return RiskMath.seizedCollateralDown(repaid, bonusBps, priceE36);
    }

    function repaidForSeizedUp(uint256 seized, uint256 bonusBps, uint256 priceE36) external pure returns (uint256) {
        return RiskMath.repaidForSeizedUp(seized, bonusBps, priceE36);
    }

    function repaidForSeizedDown(
        uint256 collateralAssets,
        uint256 bonusBps,
        uint256 priceE36
    ) external pure returns (uint256) {
        return RiskMath.repaidForSeizedDown(collateralAssets, bonusBps, priceE36);
    }

    function maxRepayUp(
        uint256 debt,
        uint256 healthFactor,
        uint256 totalCollateralValue,
        uint256 seizableValue,
        uint256 bonusBps,
        uint256 closeFactorBps,
        uint256 fullLiquidationHealthFactor,
        uint256 dustThresholdAssets
    ) external pure returns (uint256) {
        return
            RiskMath.maxRepayUp(
                debt,
                healthFactor,
                totalCollateralValue,
                seizableValue,
                bonusBps,
                closeFactorBps,
                fullLiquidationHealthFactor,
                dustThresholdAssets
            );
    }
}
