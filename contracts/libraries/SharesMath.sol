// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title SharesMath
/// @notice Conversions between borrow assets and borrow shares, each named by its rounding direction.
/// @dev Virtual shares and assets (as in Morpho Blue) make the first borrower unable to manipulate the exchange
///      rate and keep every conversion defined when the totals are zero.
library SharesMath {
    /// @dev Virtual borrow shares added to the total supply of borrow shares.
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    /// @dev Virtual borrow assets added to the total borrow assets.
    uint256 internal constant VIRTUAL_ASSETS = 1;

    /// @dev Shares worth `assets`, rounded down.
    function toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return Math.mulDiv(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS, Math.Rounding.Floor);
    }

    /// @dev Shares worth `assets`, rounded up.
    function toSharesUp(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return Math.mulDiv(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS, Math.Rounding.Ceil);
    }

    /// @dev Assets worth `shares`, rounded up.
    function toAssetsUp(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return Math.mulDiv(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES, Math.Rounding.Ceil);
    }
}
