// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IKinkedRateModel} from "../interfaces/IKinkedRateModel.sol";
import {IRateModel} from "../interfaces/IRateModel.sol";

/// @title KinkedRateModel
/// @notice Two-slope borrow rate model: a gentle slope up to the kink utilization, a steep one above it.
/// @dev All parameters are immutable; deploy a new model to change them.
contract KinkedRateModel is IKinkedRateModel {
    uint256 private constant WAD = 1e18;

    /// @inheritdoc IKinkedRateModel
    uint256 public constant MAX_RATE_PER_SECOND_E18 = uint256(10e18) / 365 days;

    /// @inheritdoc IKinkedRateModel
    uint256 public immutable baseRatePerSecondE18;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable slopeBelowKinkPerSecondE18;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable slopeAboveKinkPerSecondE18;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable kinkE18;

    /// @param baseRatePerSecondE18_ The rate at 0% utilization, per second, scaled by 1e18.
    /// @param slopeBelowKinkPerSecondE18_ Rate added per 100% of utilization up to the kink, scaled by 1e18.
    /// @param slopeAboveKinkPerSecondE18_ Rate added per 100% of utilization beyond the kink, scaled by 1e18.
    /// @param kinkE18_ The utilization where the slope changes, scaled by 1e18, strictly between 0 and 1e18.
    constructor(
        uint256 baseRatePerSecondE18_,
        uint256 slopeBelowKinkPerSecondE18_,
        uint256 slopeAboveKinkPerSecondE18_,
        uint256 kinkE18_
    ) {
        if (kinkE18_ == 0 || kinkE18_ >= WAD) revert KinkOutOfRange(kinkE18_);

        // Each product is at most its slope (kink < 1e18), so only the sums can overflow: saturate them so that
        // absurd parameters fail with `MaxRateTooHigh` rather than a panic.
        uint256 maxRate = Math.saturatingAdd(
            Math.saturatingAdd(baseRatePerSecondE18_, Math.mulDiv(slopeBelowKinkPerSecondE18_, kinkE18_, WAD)),
            Math.mulDiv(slopeAboveKinkPerSecondE18_, WAD - kinkE18_, WAD)
        );
        if (maxRate > MAX_RATE_PER_SECOND_E18) revert MaxRateTooHigh(maxRate, MAX_RATE_PER_SECOND_E18);

        baseRatePerSecondE18 = baseRatePerSecondE18_;
        slopeBelowKinkPerSecondE18 = slopeBelowKinkPerSecondE18_;
        slopeAboveKinkPerSecondE18 = slopeAboveKinkPerSecondE18_;
        kinkE18 = kinkE18_;

        emit RateModelParameters(
            baseRatePerSecondE18_,
            slopeBelowKinkPerSecondE18_,
            slopeAboveKinkPerSecondE18_,
            kinkE18_
        );
    }

    /// @inheritdoc IRateModel
    function borrowRatePerSecond(
        uint256 cashAssets,
        uint256 borrowAssets
    ) external view returns (uint256 ratePerSecondE18) {
        return _rate(_utilization(cashAssets, borrowAssets));
    }

    /// @inheritdoc IRateModel
    function utilization(uint256 cashAssets, uint256 borrowAssets) external pure returns (uint256 utilizationE18) {
        return _utilization(cashAssets, borrowAssets);
    }

    /// @inheritdoc IKinkedRateModel
    function maxRatePerSecond() external view returns (uint256 ratePerSecondE18) {
        return _rate(WAD);
    }

    /// @inheritdoc IKinkedRateModel
    function borrowRateAtUtilization(uint256 utilizationE18) external view returns (uint256 ratePerSecondE18) {
        if (utilizationE18 > WAD) revert UtilizationOutOfRange(utilizationE18);
        return _rate(utilizationE18);
    }

    /// @dev The rate for a utilization of at most 1e18. Cannot overflow: it is at most the validated maximum rate.
    function _rate(uint256 utilizationE18) private view returns (uint256) {
        uint256 kink = kinkE18;
        if (utilizationE18 > kink) {
            return
                baseRatePerSecondE18 +
                Math.mulDiv(slopeBelowKinkPerSecondE18, kink, WAD) +
                Math.mulDiv(slopeAboveKinkPerSecondE18, utilizationE18 - kink, WAD);
        }
        return baseRatePerSecondE18 + Math.mulDiv(slopeBelowKinkPerSecondE18, utilizationE18, WAD);
    }

    /// @dev borrowAssets * 1e18 / (cashAssets + borrowAssets), rounded down; 0 when both are 0.
    function _utilization(uint256 cashAssets, uint256 borrowAssets) private pure returns (uint256) {
        if (borrowAssets == 0) return 0;
        return Math.mulDiv(borrowAssets, WAD, cashAssets + borrowAssets);
    }
}
