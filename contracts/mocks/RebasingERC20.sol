// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title RebasingERC20
/// @notice Test-only 18-decimal rebasing token in the style of stETH: accounts hold shares, and a balance is
///         `shares × index / 1e18` (rounded down). `setIndexE18` rebases every balance at once, up or down.
/// @dev A transfer of `amount` moves `amount × 1e18 / index` shares (rounded down), so at an index other than 1e18
///      the recipient may receive 1 wei less than `amount`. The inherited ERC20 storage holds shares; `Transfer`
///      events carry shares, not token amounts.
contract RebasingERC20 is ERC20 {
    uint256 private constant UNIT = 1e18;

    /// @notice Token units per share, scaled by 1e18.
    uint256 public indexE18 = UNIT;

    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints about `amount` tokens (the shares `amount` buys at the current index) to `to`. Anyone may call it.
    /// @param to The recipient.
    /// @param amount The amount, in token units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Rebases every balance: a balance becomes `shares × indexE18_ / 1e18`.
    /// @param indexE18_ The new index (1e18 = one token per share).
    function setIndexE18(uint256 indexE18_) external {
        indexE18 = indexE18_;
    }

    /// @notice Shares held by `account`.
    /// @param account The account.
    /// @return The shares.
    function sharesOf(address account) external view returns (uint256) {
        return super.balanceOf(account);
    }

    /// @inheritdoc ERC20
    function balanceOf(address account) public view override returns (uint256) {
        return Math.mulDiv(super.balanceOf(account), indexE18, UNIT);
    }

    /// @inheritdoc ERC20
    function totalSupply() public view override returns (uint256) {
        return Math.mulDiv(super.totalSupply(), indexE18, UNIT);
    }

    /// @dev Moves the shares `value` token units are worth, rounded down.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, Math.mulDiv(value, UNIT, indexE18));
    }
}
