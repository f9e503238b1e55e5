// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title IRateModel
/// @notice Borrow interest rate of a pool as a function of its utilization.
interface IRateModel {
    /// @notice The per-second borrow rate, scaled by 1e18, for a pool with these balances.
    /// @dev Must be a pure function of its inputs (no state changes) so pools can also call it in views.
    /// @param cashAssets Idle loan assets held by the pool.
    /// @param borrowAssets Loan assets owed by borrowers, interest included.
    /// @return ratePerSecondE18 The borrow rate per second, scaled by 1e18.
    function borrowRatePerSecond(
        uint256 cashAssets,
        uint256 borrowAssets
    ) external view returns (uint256 ratePerSecondE18);

    /// @notice Utilization = borrowAssets / (cashAssets + borrowAssets), scaled by 1e18 (0 when both are 0).
    /// @param cashAssets Idle loan assets held by the pool.
    /// @param borrowAssets Loan assets owed by borrowers, interest included.
    /// @return utilizationE18 The utilization, scaled by 1e18, at most 1e18.
    function utilization(uint256 cashAssets, uint256 borrowAssets) external pure returns (uint256 utilizationE18);
}
