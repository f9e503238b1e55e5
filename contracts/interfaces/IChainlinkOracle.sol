// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IAggregatorV3} from "./IAggregatorV3.sol";
import {IPriceOracle} from "./IPriceOracle.sol";

/// @title IChainlinkOracle
/// @notice Prices a collateral asset in a loan asset by composing two Chainlink USD feeds
///         (collateral/USD and loan/USD), rejecting stale, non-positive and incomplete answers.
interface IChainlinkOracle is IPriceOracle {
    /// @notice Thrown by the constructor when a feed address is zero.
    error ZeroFeedAddress();

    /// @notice Thrown by the constructor when a token address is zero.
    error ZeroTokenAddress();

    /// @notice Thrown by the constructor when a maximum feed age is zero.
    error ZeroMaxAge();

    /// @notice Thrown by the constructor when a token's `decimals()` is outside 6..18.
    /// @param decimals The rejected decimals, as the token reported them.
    error InvalidDecimals(uint8 decimals);

    /// @notice Thrown by the constructor when a feed reports more than 18 decimals.
    /// @param feed The feed.
    /// @param decimals The decimals it reports.
    error InvalidFeedDecimals(address feed, uint8 decimals);

    /// @notice Thrown by `price` when a feed's latest answer is older than its maximum age.
    /// @param feed The stale feed.
    /// @param updatedAt When its latest answer was updated.
    /// @param maxAgeSeconds The maximum age allowed for that feed.
    error StalePrice(address feed, uint256 updatedAt, uint256 maxAgeSeconds);

    /// @notice Thrown by `price` when a feed's latest answer is zero or negative.
    /// @param feed The feed.
    /// @param answer The answer it returned.
    error NonPositivePrice(address feed, int256 answer);

    /// @notice Thrown by `price` when a feed's latest round is not complete
    ///         (`updatedAt == 0` or `answeredInRound < roundId`).
    /// @param feed The feed.
    /// @param roundId The latest round id.
    /// @param answeredInRound The round in which its answer was computed.
    error IncompleteRound(address feed, uint80 roundId, uint80 answeredInRound);

    /// @notice The collateral/USD feed.
    /// @return The feed.
    function collateralFeed() external view returns (IAggregatorV3);

    /// @notice The loan/USD feed.
    /// @return The feed.
    function loanFeed() external view returns (IAggregatorV3);

    /// @notice The collateral token, whose `decimals()` the oracle read at construction.
    /// @return The token.
    function collateralToken() external view returns (IERC20Metadata);

    /// @notice The loan token, whose `decimals()` the oracle read at construction.
    /// @return The token.
    function loanToken() external view returns (IERC20Metadata);

    /// @notice The maximum age of the collateral feed's answer before `price` reverts.
    /// @return The maximum age in seconds.
    function maxCollateralFeedAgeSeconds() external view returns (uint256);

    /// @notice The maximum age of the loan feed's answer before `price` reverts.
    /// @return The maximum age in seconds.
    function maxLoanFeedAgeSeconds() external view returns (uint256);

    /// @notice The decimals of the collateral token, read once from `collateralToken` at construction.
    /// @return The decimals, in 6..18.
    function collateralDecimals() external view returns (uint8);

    /// @notice The decimals of the loan token, read once from `loanToken` at construction.
    /// @return The decimals, in 6..18.
    function loanDecimals() external view returns (uint8);

    /// @notice The decimals of the collateral feed, read once at construction.
    /// @return The decimals, at most 18.
    function collateralFeedDecimals() external view returns (uint8);

    /// @notice The decimals of the loan feed, read once at construction.
    /// @return The decimals, at most 18.
    function loanFeedDecimals() external view returns (uint8);

    /// @notice The factor `price` multiplies the collateral answer by before dividing by the loan answer.
    /// @return `10 ** (36 + loanDecimals + loanFeedDecimals - collateralDecimals - collateralFeedDecimals)`,
    ///         between 1e6 and 1e66.
    function scaleFactor() external view returns (uint256);
}
