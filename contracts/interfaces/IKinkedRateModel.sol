// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IRateModel} from "./IRateModel.sol";

/// @title IKinkedRateModel
/// @notice A two-slope ("kinked") borrow rate model with immutable parameters.
/// @dev With `u` the utilization and `kink` the utilization where the slope changes (all scaled by 1e18):
///      `rate(u) = base + slopeBelowKink * min(u, kink) / 1e18 + slopeAboveKink * max(u - kink, 0) / 1e18`,
///      every product rounded down. The rate is non-decreasing in `u` and reaches its maximum at `u = 1e18`.
interface IKinkedRateModel is IRateModel {
    /// @notice Thrown by the constructor when the kink is not strictly between 0 and 1e18.
    /// @param kinkE18 The rejected kink, scaled by 1e18.
    error KinkOutOfRange(uint256 kinkE18);

    /// @notice Thrown by the constructor when the rate at 100% utilization exceeds `MAX_RATE_PER_SECOND_E18`.
    /// @param maxRatePerSecondE18 The rate at 100% utilization the parameters would give, scaled by 1e18
    ///        (`type(uint256).max` if it does not fit in a uint256).
    /// @param limitE18 The limit, `MAX_RATE_PER_SECOND_E18`.
    error MaxRateTooHigh(uint256 maxRatePerSecondE18, uint256 limitE18);

    /// @notice Thrown by `borrowRateAtUtilization` for a utilization above 100%.
    /// @param utilizationE18 The rejected utilization, scaled by 1e18.
    error UtilizationOutOfRange(uint256 utilizationE18);

    /// @notice Emitted once, by the constructor, with the model's parameters.
    /// @param baseRatePerSecondE18 The rate at 0% utilization, per second, scaled by 1e18.
    /// @param slopeBelowKinkPerSecondE18 Rate added per 100% of utilization up to the kink, scaled by 1e18.
    /// @param slopeAboveKinkPerSecondE18 Rate added per 100% of utilization beyond the kink, scaled by 1e18.
    /// @param kinkE18 The utilization where the slope changes, scaled by 1e18.
    event RateModelParameters(
        uint256 baseRatePerSecondE18,
        uint256 slopeBelowKinkPerSecondE18,
        uint256 slopeAboveKinkPerSecondE18,
        uint256 kinkE18
    );

    /// @notice The highest rate any kinked model may reach: 1000% APR (simple, 365-day year) expressed per second.
    /// @return The limit, `10e18 / 365 days`, per second, scaled by 1e18.
    function MAX_RATE_PER_SECOND_E18() external view returns (uint256);

    /// @notice The rate at 0% utilization.
    /// @return The base rate per second, scaled by 1e18.
    function baseRatePerSecondE18() external view returns (uint256);

    /// @notice How fast the rate rises with utilization up to the kink.
    /// @return Rate added per 100% of utilization below the kink, per second, scaled by 1e18.
    function slopeBelowKinkPerSecondE18() external view returns (uint256);

    /// @notice How fast the rate rises with utilization beyond the kink.
    /// @return Rate added per 100% of utilization above the kink, per second, scaled by 1e18.
    function slopeAboveKinkPerSecondE18() external view returns (uint256);

    /// @notice The utilization where the slope changes.
    /// @return The kink, scaled by 1e18, strictly between 0 and 1e18.
    function kinkE18() external view returns (uint256);

    /// @notice The rate at 100% utilization, i.e. the highest rate this model ever returns.
    /// @return ratePerSecondE18 The maximum rate per second, scaled by 1e18, at most `MAX_RATE_PER_SECOND_E18`.
    function maxRatePerSecond() external view returns (uint256 ratePerSecondE18);

    /// @notice The rate for a given utilization.
    /// @dev Reverts with `UtilizationOutOfRange` when `utilizationE18 > 1e18`.
    /// @param utilizationE18 The utilization, scaled by 1e18, at most 1e18.
    /// @return ratePerSecondE18 The borrow rate per second, scaled by 1e18.
    function borrowRateAtUtilization(uint256 utilizationE18) external view returns (uint256 ratePerSecondE18);
}
