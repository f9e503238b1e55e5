// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IPriceOracle} from "../interfaces/IPriceOracle.sol";

/// @title MockPriceOracle
/// @notice Test-only oracle whose price is set directly and which can be made to revert.
contract MockPriceOracle is IPriceOracle {
    /// @notice Thrown by `price` while the oracle is set to revert.
    error OracleDown();

    /// @notice Thrown by `setPrice` for a price above `type(uint248).max`.
    error PriceTooLarge(uint256 priceE36);

    // One slot, like a production oracle's single read, so gas figures measured with this mock compare fairly.
    /// @notice The price `price` returns, scaled by 1e36.
    uint248 public priceE36;
    /// @notice Whether `price` reverts with `OracleDown`.
    bool public reverting;

    /// @notice Sets the price.
    /// @param priceE36_ The new price, scaled by 1e36 (at most `type(uint248).max`).
    function setPrice(uint256 priceE36_) external {
        if (priceE36_ > type(uint248).max) revert PriceTooLarge(priceE36_);
        priceE36 = uint248(priceE36_);
    }

    /// @notice Makes `price` revert with `OracleDown` (or stop reverting).
    /// @param reverting_ Whether `price` should revert.
    function setReverting(bool reverting_) external {
        reverting = reverting_;
    }

    /// @inheritdoc IPriceOracle
    function price() external view returns (uint256) {
        if (reverting) revert OracleDown();
        return priceE36;
    }
}
