// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IAggregatorV3} from "../interfaces/IAggregatorV3.sol";
import {IChainlinkOracle} from "../interfaces/IChainlinkOracle.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";

/// @title ChainlinkOracle
/// @notice Prices a collateral asset in a loan asset from two Chainlink USD feeds.
/// @dev priceE36 = colAnswer * 10^(36 + loanDecimals + loanFeedDecimals)
///                 / (loanAnswer * 10^(collateralDecimals + collateralFeedDecimals)), rounded down.
///      With token decimals in 6..18 and feed decimals in 0..18 the net exponent is between 36+6+0-18-18 = 6 and
///      36+18+18-6-0 = 66, so it is always positive and `10 ** exponent < 2^256`: the whole scaling collapses to a
///      single immutable multiplier and `price` is one `mulDiv(colAnswer, scaleFactor, loanAnswer)`, whose
///      intermediate product is 512-bit and cannot overflow. Only a price that does not itself fit in a uint256
///      (about 1.2e41 loan units per collateral unit) makes `mulDiv` revert, with a Panic.
contract ChainlinkOracle is IChainlinkOracle {
    uint8 private constant MIN_TOKEN_DECIMALS = 6;
    uint8 private constant MAX_TOKEN_DECIMALS = 18;
    uint8 private constant MAX_FEED_DECIMALS = 18;

    /// @inheritdoc IChainlinkOracle
    IAggregatorV3 public immutable collateralFeed;
    /// @inheritdoc IChainlinkOracle
    IAggregatorV3 public immutable loanFeed;
    /// @inheritdoc IChainlinkOracle
    IERC20Metadata public immutable collateralToken;
    /// @inheritdoc IChainlinkOracle
    IERC20Metadata public immutable loanToken;
    /// @inheritdoc IChainlinkOracle
    uint256 public immutable maxCollateralFeedAgeSeconds;
    /// @inheritdoc IChainlinkOracle
    uint256 public immutable maxLoanFeedAgeSeconds;
    /// @inheritdoc IChainlinkOracle
    uint8 public immutable collateralDecimals;
    /// @inheritdoc IChainlinkOracle
    uint8 public immutable loanDecimals;
    /// @inheritdoc IChainlinkOracle
    uint8 public immutable collateralFeedDecimals;
    /// @inheritdoc IChainlinkOracle
    uint8 public immutable loanFeedDecimals;
    /// @inheritdoc IChainlinkOracle
    uint256 public immutable scaleFactor;

    /// @param collateralFeed_ The collateral/USD feed.
    /// @param loanFeed_ The loan/USD feed.
    /// @param collateralToken_ The collateral token; its `decimals()` must be in 6..18.
    /// @param loanToken_ The loan token; its `decimals()` must be in 6..18.
    /// @param maxCollateralFeedAgeSeconds_ The maximum age of the collateral feed's answer, non-zero.
    /// @param maxLoanFeedAgeSeconds_ The maximum age of the loan feed's answer, non-zero.
    constructor(
        IAggregatorV3 collateralFeed_,
        IAggregatorV3 loanFeed_,
        IERC20Metadata collateralToken_,
        IERC20Metadata loanToken_,
        uint256 maxCollateralFeedAgeSeconds_,
        uint256 maxLoanFeedAgeSeconds_
    ) {
        if (address(collateralFeed_) == address(0) || address(loanFeed_) == address(0)) revert ZeroFeedAddress();
        if (address(collateralToken_) == address(0) || address(loanToken_) == address(0)) revert ZeroTokenAddress();
        if (maxCollateralFeedAgeSeconds_ == 0 || maxLoanFeedAgeSeconds_ == 0) revert ZeroMaxAge();
        uint8 collateralDecimals_ = _tokenDecimals(collateralToken_);
        uint8 loanDecimals_ = _tokenDecimals(loanToken_);
        uint8 collateralFeedDecimals_ = _feedDecimals(collateralFeed_);
        uint8 loanFeedDecimals_ = _feedDecimals(loanFeed_);

        collateralFeed = collateralFeed_;
        loanFeed = loanFeed_;
        collateralToken = collateralToken_;
        loanToken = loanToken_;
        maxCollateralFeedAgeSeconds = maxCollateralFeedAgeSeconds_;
        maxLoanFeedAgeSeconds = maxLoanFeedAgeSeconds_;
        collateralDecimals = collateralDecimals_;
        loanDecimals = loanDecimals_;
        collateralFeedDecimals = collateralFeedDecimals_;
        loanFeedDecimals = loanFeedDecimals_;
        // Between 6 and 66 given the checks above (see the contract's @dev): no underflow, and 10^66 < 2^256.
        uint256 exponent =
            36 + uint256(loanDecimals_) + loanFeedDecimals_ - collateralDecimals_ - collateralFeedDecimals_;
        scaleFactor = 10 ** exponent;
    }

    /// @inheritdoc IPriceOracle
    function price() external view returns (uint256 priceE36) {
        uint256 collateralAnswer = _latestAnswer(collateralFeed, maxCollateralFeedAgeSeconds);
        uint256 loanAnswer = _latestAnswer(loanFeed, maxLoanFeedAgeSeconds);
        return Math.mulDiv(collateralAnswer, scaleFactor, loanAnswer);
    }

    /// @dev The feed's latest answer, reverting unless the round is complete, fresh and positive.
    function _latestAnswer(IAggregatorV3 feed, uint256 maxAgeSeconds) private view returns (uint256) {
        (uint80 roundId, int256 answer, , uint256 updatedAt, uint80 answeredInRound) = feed.latestRoundData();
        if (updatedAt == 0 || answeredInRound < roundId) {
            revert IncompleteRound(address(feed), roundId, answeredInRound);
        }
        // An `updatedAt` in the future counts as fresh (age 0) instead of underflowing.
        if (updatedAt < block.timestamp && block.timestamp - updatedAt > maxAgeSeconds) {
            revert StalePrice(address(feed), updatedAt, maxAgeSeconds);
        }
        if (answer <= 0) revert NonPositivePrice(address(feed), answer);
        return uint256(answer);
    }

    /// @dev The token's decimals, reverting unless they are in 6..18.
    function _tokenDecimals(IERC20Metadata token) private view returns (uint8 decimals) {
        decimals = token.decimals();
        if (decimals < MIN_TOKEN_DECIMALS || decimals > MAX_TOKEN_DECIMALS) revert InvalidDecimals(decimals);
    }

    /// @dev The feed's decimals, reverting if above 18.
    function _feedDecimals(IAggregatorV3 feed) private view returns (uint8 decimals) {
        decimals = feed.decimals();
        if (decimals > MAX_FEED_DECIMALS) revert InvalidFeedDecimals(address(feed), decimals);
    }
}
