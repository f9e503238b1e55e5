// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantERC20
/// @notice Test-only 18-decimal ERC20 that, once armed, makes one arbitrary call from inside a transfer, to check
///         that the contract moving the tokens rejects reentrancy.
/// @dev The hook runs on transfers (not mints or burns), after balances are updated. It disarms itself before the
///      call, never bubbles the call's revert, and records the outcome in `lastReentryReverted` and
///      `lastReentryRevertData`.
contract ReentrantERC20 is ERC20 {
    /// @notice Emitted after each reentrant call.
    /// @param target The contract called.
    /// @param reverted Whether the call reverted.
    /// @param returnOrRevertData What the call returned, or its revert data.
    event ReentryAttempted(address indexed target, bool reverted, bytes returnOrRevertData);

    /// @notice The contract the armed reentrant call targets (zero when disarmed).
    address public reentryTarget;
    /// @notice The calldata of the armed reentrant call.
    bytes public reentryData;
    /// @notice How many reentrant calls were made so far.
    uint256 public reentryCount;
    /// @notice Whether the last reentrant call reverted.
    bool public lastReentryReverted;
    /// @notice The revert data of the last reentrant call (empty if it succeeded).
    bytes public lastReentryRevertData;

    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` tokens to `to`. Anyone may call it.
    /// @param to The recipient.
    /// @param amount The amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms a single call of `target` with `data` on the next transfer. A zero `target` disarms.
    /// @param target The contract to call.
    /// @param data The calldata.
    function setReentryCall(address target, bytes calldata data) external {
        reentryTarget = target;
        reentryData = data;
    }

    /// @dev Performs the transfer, then the armed call, if any.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = reentryTarget;
        if (target == address(0) || from == address(0) || to == address(0)) return;

        bytes memory data = reentryData;
        delete reentryTarget;
        delete reentryData;
        ++reentryCount;

        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory result) = target.call(data);
        lastReentryReverted = !success;
        lastReentryRevertData = success ? bytes("") : result;
        emit ReentryAttempted(target, !success, result);
    }
}
