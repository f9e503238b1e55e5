// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IPool, AccountLiquidity} from "../interfaces/IPool.sol";
import {IPoolLens, AccountView, PoolStateView} from "../interfaces/IPoolLens.sol";

/// @title PoolLens
/// @notice Read-only batch views of pools. See {IPoolLens}.
contract PoolLens is IPoolLens {
    /// @inheritdoc IPoolLens
    function accounts(IPool pool, address[] calldata accountList) external view returns (AccountView[] memory views) {
        views = new AccountView[](accountList.length);
        for (uint256 i; i < accountList.length; ++i) {
            address account = accountList[i];
            AccountView memory entry = views[i];
            entry.account = account;
            try pool.accountLiquidity(account) returns (AccountLiquidity memory liquidity) {
                entry.debt = liquidity.debt;
                entry.collateralValue = liquidity.collateralValue;
                entry.liquidationLimit = liquidity.liquidationLimit;
                entry.healthFactor =
                    liquidity.debt == 0
                        ? type(uint256).max
                        : Math.mulDiv(liquidity.liquidationLimit, 1e18, liquidity.debt);
                entry.liquidatable = liquidity.liquidationLimit < liquidity.debt;
                entry.insolvent = liquidity.collateralValue < liquidity.debt;
                entry.priced = true;
            } catch {
                entry.debt = pool.debtOf(account);
            }
            (entry.shortfall, , entry.recoveryValue) = pool.accountShortfall(account);
            entry.recognizedShortfall = pool.recognizedShortfall(account);
        }
    }

    /// @inheritdoc IPoolLens
    function poolState(IPool pool) external view returns (PoolStateView memory state) {
        state.totalAssets = pool.totalAssets();
        state.entryTotalAssets = pool.entryTotalAssets();
        state.totalShortfall = pool.totalRecognizedShortfall();
        state.entrySharePrice = pool.entrySharePrice();
        state.totalSupply = pool.totalSupply();
        state.cash = pool.cash();
        state.totalBorrowAssets = pool.totalBorrowAssets();
        state.reserveAssets = pool.reserveAssets();
        state.sharePrice = pool.sharePrice();
        state.reserveFactorBps = pool.reserveFactorBps();
        state.paused = pool.paused();
        state.utilizationE18 = pool.rateModel().utilization(state.cash, state.totalBorrowAssets);
        state.borrowRatePerSecondE18 = pool.borrowRatePerSecond();
        // Suppliers earn the borrow rate on the borrowed share of LP assets, less the reserve's cut.
        if (state.totalAssets > 0) {
            uint256 lpInterestRate = Math.mulDiv(state.borrowRatePerSecondE18, 1e4 - state.reserveFactorBps, 1e4);
            state.supplyRatePerSecondE18 = Math.mulDiv(lpInterestRate, state.totalBorrowAssets, state.totalAssets);
        }
    }
}
