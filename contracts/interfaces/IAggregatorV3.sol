// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title IAggregatorV3
/// @notice The subset of Chainlink's `AggregatorV3Interface` the protocol reads.
interface IAggregatorV3 {
    /// @notice Number of decimals of the feed's answers.
    /// @return The decimals of `answer` in `latestRoundData`.
    function decimals() external view returns (uint8);

    /// @notice The latest round of the feed.
    /// @return roundId The round id.
    /// @return answer The price, scaled by `10 ** decimals()`.
    /// @return startedAt When the round started.
    /// @return updatedAt When the answer was last updated (0 if the round is not complete).
    /// @return answeredInRound The round in which the answer was computed.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
