// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferERC20
/// @notice Test-only 18-decimal ERC20 that burns `feeBps` of every transfer, so recipients get less than was sent.
/// @dev Mints and burns carry no fee. The fee rounds down.
contract FeeOnTransferERC20 is ERC20 {
    /// @notice Thrown by `setFeeBps` (and the constructor) for a fee above 100%.
    /// @param feeBps The rejected fee, in basis points.
    error FeeTooHigh(uint256 feeBps);

    uint256 private constant BPS = 10_000;

    /// @notice The fee burnt on every transfer, in basis points of the amount sent.
    uint256 public feeBps;

    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    /// @param feeBps_ The initial fee, in basis points (at most 10,000).
    constructor(string memory name_, string memory symbol_, uint256 feeBps_) ERC20(name_, symbol_) {
        _setFeeBps(feeBps_);
    }

    /// @notice Mints `amount` tokens to `to` (no fee). Anyone may call it.
    /// @param to The recipient.
    /// @param amount The amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the transfer fee.
    /// @param feeBps_ The new fee, in basis points (at most 10,000).
    function setFeeBps(uint256 feeBps_) external {
        _setFeeBps(feeBps_);
    }

    /// @dev Burns the fee from the sender, then moves the rest, on transfers (not on mints or burns).
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * feeBps) / BPS;
        if (fee != 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }

    function _setFeeBps(uint256 feeBps_) private {
        if (feeBps_ > BPS) revert FeeTooHigh(feeBps_);
        feeBps = feeBps_;
    }
}
