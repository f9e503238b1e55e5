// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IPool} from "./IPool.sol";

/// @notice One account of a pool as bots and UIs need it, with interest accrued up to now.
/// @param account The account.
/// @param debt Debt in loan-asset units, rounded up.
/// @param collateralValue Value of all its collateral in loan-asset units, rounded down.
/// @param liquidationLimit Collateral value weighted by liquidation thresholds.
/// @param healthFactor Liquidation limit / debt, 1e18 = at the threshold; `type(uint256).max` without debt.
/// @param liquidatable Health factor below 1e18.
/// @param insolvent Collateral value below debt: a liquidation will leave bad debt.
/// @param priced False when an oracle of its collateral reverted; the other figures are then zero but `debt` and the
///        three shortfall figures.
/// @param recoveryValue What liquidating all its collateral would repay (failed oracles at their last trusted price
///        while recent, else 0).
/// @param shortfall `max(0, debt − recoveryValue)`: what a refresh (`recognizeLosses`) would record now.
/// @param recognizedShortfall The shortfall the pool has recorded for it (deducted from exits).
struct AccountView {
    address account;
    uint256 debt;
    uint256 collateralValue;
    uint256 liquidationLimit;
    uint256 healthFactor;
    bool liquidatable;
    bool insolvent;
    bool priced;
    uint256 recoveryValue;
    uint256 shortfall;
    uint256 recognizedShortfall;
}

/// @notice A pool's aggregate state, with interest accrued up to now. `borrowRatePerSecondE18` is the rate the next
///         accrual charges (from the borrows stored at the last accrual); `utilizationE18` uses borrows accrued to now.
///         `totalAssets`/`sharePrice` are the exit figures (net of the recognized shortfall the reserve does not
///         cover); `entryTotalAssets`/`entrySharePrice` what deposits are priced at.
struct PoolStateView {
    uint256 totalAssets;
    uint256 entryTotalAssets;
    uint256 totalShortfall;
    uint256 entrySharePrice;
    uint256 totalSupply;
    uint256 cash;
    uint256 totalBorrowAssets;
    uint256 reserveAssets;
    uint256 sharePrice;
    uint256 utilizationE18;
    uint256 borrowRatePerSecondE18;
    uint256 supplyRatePerSecondE18;
    uint256 reserveFactorBps;
    bool paused;
}

/// @title IPoolLens
/// @notice Read-only batch views of pools for bots and UIs. One eth_call serves hundreds of accounts.
interface IPoolLens {
    /// @notice Debt, collateral value, health and liquidation flags of many accounts of one pool.
    /// @dev An account whose collateral cannot be priced is returned with `priced = false` instead of reverting
    ///      the whole batch.
    /// @param pool The pool.
    /// @param accounts The accounts.
    /// @return views One entry per account, in the same order.
    function accounts(IPool pool, address[] calldata accounts) external view returns (AccountView[] memory views);

    /// @notice Cash, borrows, reserve, share price, utilization and rates of a pool.
    /// @param pool The pool.
    /// @return state The state.
    function poolState(IPool pool) external view returns (PoolStateView memory state);
}
