// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRateModel} from "../interfaces/IRateModel.sol";

/// @title MockRateModel
/// @notice Test-only rate model returning a settable constant rate whatever the utilization.
contract MockRateModel is IRateModel {
    /// @notice The rate `borrowRatePerSecond` returns, per second, scaled by 1e18.
    uint256 public ratePerSecondE18;

    /// @notice Sets the constant rate.
    /// @param ratePerSecondE18_ The new rate, per second, scaled by 1e18.
    function setRatePerSecond(uint256 ratePerSecondE18_) external {
        ratePerSecondE18 = ratePerSecondE18_;
    }

    /// @inheritdoc IRateModel
    function borrowRatePerSecond(uint256, uint256) external view returns (uint256) {
        return ratePerSecondE18;
    }

    /// @inheritdoc IRateModel
    function utilization(uint256 cashAssets, uint256 borrowAssets) external pure returns (uint256 utilizationE18) {
        if (borrowAssets == 0) return 0;
        return Math.mulDiv(borrowAssets, 1e18, cashAssets + borrowAssets);
    }
}
