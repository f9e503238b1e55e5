// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ITokenHooks} from "./HookedERC20.sol";

/// @title ReentrancyAttacker
/// @notice Test-only attacker contract: it calls a pool (or anything) through `execute`, and from inside a
///         {HookedERC20} transfer hook re-enters its target once with an armed calldata.
/// @dev `execute` bubbles any revert. The re-entry is one-shot; its outcome is recorded, and bubbled when armed
///      with `bubble`, so the whole attack reverts with the target's own error.
contract ReentrancyAttacker is ITokenHooks {
    /// @notice The contract the hook re-enters.
    address public reentryTarget;
    /// @notice How many re-entries the hooks attempted.
    uint256 public reentryAttempts;
    /// @notice Whether the last re-entry reverted.
    bool public lastReentryReverted;
    /// @notice The revert data of the last re-entry (empty if it succeeded).
    bytes public lastReentryRevertData;

    bytes private _reentryData;
    bool private _bubble;

    /// @notice Arms one re-entry of `target` with `data` from the next hook.
    /// @param target The contract to re-enter.
    /// @param data The calldata.
    /// @param bubble Whether a reverting re-entry reverts the hook (and so the transfer and the attack).
    function arm(address target, bytes calldata data, bool bubble) external {
        reentryTarget = target;
        _reentryData = data;
        _bubble = bubble;
    }

    /// @notice Calls `target` with `data` as this contract, bubbling a revert.
    /// @param target The contract called.
    /// @param data The calldata.
    /// @return result What the call returned.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        bool success;
        // solhint-disable-next-line avoid-low-level-calls
        (success, result) = target.call(data);
        if (!success) _revertWith(result);
    }

    /// @inheritdoc ITokenHooks
    function tokensToSend(address, address, uint256) external {
        _reenter();
    }

    /// @inheritdoc ITokenHooks
    function tokensReceived(address, address, uint256) external {
        _reenter();
    }

    function _reenter() private {
        address target = reentryTarget;
        if (target == address(0)) return;
        bytes memory data = _reentryData;
        delete reentryTarget;
        delete _reentryData;
        ++reentryAttempts;
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory result) = target.call(data);
        lastReentryReverted = !success;
        lastReentryRevertData = success ? bytes("") : result;
        if (!success && _bubble) _revertWith(result);
    }

    function _revertWith(bytes memory data) private pure {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            revert(add(data, 32), mload(data))
        }
    }
}
