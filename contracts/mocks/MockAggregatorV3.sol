// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IAggregatorV3} from "../interfaces/IAggregatorV3.sol";

/// @title MockAggregatorV3
/// @notice Test-only Chainlink feed whose decimals and latest round are set directly.
contract MockAggregatorV3 is IAggregatorV3 {
    /// @inheritdoc IAggregatorV3
    uint8 public decimals;

    uint80 private _roundId;
    int256 private _answer;
    uint256 private _startedAt;
    uint256 private _updatedAt;
    uint80 private _answeredInRound;

    /// @param decimals_ The feed's decimals.
    /// @param initialAnswer The first answer, published as round 1 at the deployment timestamp.
    constructor(uint8 decimals_, int256 initialAnswer) {
        decimals = decimals_;
        setAnswer(initialAnswer);
    }

    /// @notice Sets the feed's decimals.
    /// @param decimals_ The new decimals.
    function setDecimals(uint8 decimals_) external {
        decimals = decimals_;
    }

    /// @notice Sets every field `latestRoundData` returns.
    /// @param roundId The round id.
    /// @param answer The answer.
    /// @param startedAt When the round started.
    /// @param updatedAt When the answer was updated.
    /// @param answeredInRound The round in which the answer was computed.
    function setRoundData(
        uint80 roundId,
        int256 answer,
        uint256 startedAt,
        uint256 updatedAt,
        uint80 answeredInRound
    ) external {
        _roundId = roundId;
        _answer = answer;
        _startedAt = startedAt;
        _updatedAt = updatedAt;
        _answeredInRound = answeredInRound;
    }

    /// @notice Publishes `answer` as a new, complete round updated at the current block's timestamp.
    /// @param answer The answer.
    function setAnswer(int256 answer) public {
        uint80 roundId = _roundId + 1;
        _roundId = roundId;
        _answer = answer;
        _startedAt = block.timestamp;
        _updatedAt = block.timestamp;
        _answeredInRound = roundId;
    }

    /// @inheritdoc IAggregatorV3
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return (_roundId, _answer, _startedAt, _updatedAt, _answeredInRound);
    }
}
