// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title PausableERC20
/// @notice Test-only token whose transfers can be stopped, like a paused or blacklisting token.
contract PausableERC20 is ERC20 {
    /// @notice Thrown by transfers while they are paused.
    error TransfersPaused();

    /// @notice Whether transfers (not mints) revert.
    bool public transfersPaused;

    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`.
    /// @param to Receiver.
    /// @param amount Amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Stops or restarts transfers.
    /// @param paused_ Whether transfers revert.
    function setTransfersPaused(bool paused_) external {
        transfersPaused = paused_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (transfersPaused && from != address(0)) revert TransfersPaused();
        super._update(from, to, value);
    }
}
