// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ITokenHooks
/// @notice The ERC-777-style hooks a {HookedERC20} calls on accounts that registered for them.
interface ITokenHooks {
    /// @notice Called on the sender before its balance moves.
    /// @param from The sender.
    /// @param to The recipient.
    /// @param amount The amount.
    function tokensToSend(address from, address to, uint256 amount) external;

    /// @notice Called on the recipient after its balance moved.
    /// @param from The sender.
    /// @param to The recipient.
    /// @param amount The amount.
    function tokensReceived(address from, address to, uint256 amount) external;
}

/// @title HookedERC20
/// @notice Test-only 18-decimal ERC20 with ERC-777-style transfer hooks: an account that registered gets
///         `tokensToSend` before it sends and `tokensReceived` after it receives; a hook's revert reverts the
///         transfer. Mints and burns call no hook.
contract HookedERC20 is ERC20 {
    /// @notice Whether transfers from or to an account call its hooks.
    mapping(address account => bool) public hooksRegistered;

    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` tokens to `to`. Anyone may call it.
    /// @param to The recipient.
    /// @param amount The amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Registers (or unregisters) the caller for transfer hooks.
    /// @param registered Whether the caller's hooks are called.
    function registerHooks(bool registered) external {
        hooksRegistered[msg.sender] = registered;
    }

    /// @dev The sender's hook, the transfer, then the recipient's hook.
    function _update(address from, address to, uint256 value) internal override {
        bool isTransfer = from != address(0) && to != address(0);
        if (isTransfer && hooksRegistered[from]) ITokenHooks(from).tokensToSend(from, to, value);
        super._update(from, to, value);
        if (isTransfer && hooksRegistered[to]) ITokenHooks(to).tokensReceived(from, to, value);
    }
}
