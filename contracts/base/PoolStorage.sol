// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IPool, CollateralParams, LiquidationParams} from "../interfaces/IPool.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IRateModel} from "../interfaces/IRateModel.sol";
import {RiskMath} from "../libraries/RiskMath.sol";

/// @title PoolStorage
/// @notice A pool's state, its risk parameters with their on-chain bounds, and the getters that only read them.
/// @dev The logic that moves assets lives in {Pool}; this base keeps the core readable.
abstract contract PoolStorage is IPool {
    /// @notice Most collateral assets a pool lists.
    uint256 public constant MAX_COLLATERALS = 8;
    /// @notice Highest liquidation threshold, in bps.
    uint256 public constant MAX_LIQUIDATION_THRESHOLD_BPS = 9_500;
    /// @notice Highest liquidation bonus, in bps.
    uint256 public constant MAX_LIQUIDATION_BONUS_BPS = 2_000;
    /// @notice Highest reserve factor, in bps.
    uint256 public constant MAX_RESERVE_FACTOR_BPS = 5_000;
    /// @notice Highest borrow rate a pool charges, whatever its rate model returns: 1000% APR, per second.
    uint256 public constant MAX_BORROW_RATE_PER_SECOND_E18 = 10e18 / uint256(365 days);
    /// @notice Virtual shares offset (10**6 virtual shares) against the first-depositor inflation attack.
    uint8 public constant DECIMALS_OFFSET = 6;
    /// @notice Longest a collateral's last trusted price may stand in for its failing oracle: older, the collateral
    ///         counts as unpriced: nothing that acts against its holder (liquidation, close, write-off) proceeds, and
    ///         loss recognition values it at 0.
    uint256 public constant MAX_TRUSTED_PRICE_AGE = 6 hours;

    /// @dev Per-collateral configuration (three slots). Listed ⟺ it has an oracle (never zero once listed).
    ///      `lastTrustedPriceE36` is the last price its oracle returned to a listing, a liquidation, a close, a
    ///      recognition or `refreshTrustedPrices`, at `lastTrustedAt`: it values the collateral while the oracle
    ///      fails, for at most `MAX_TRUSTED_PRICE_AGE`, and is read only then.
    struct Collateral {
        IPriceOracle oracle;
        uint16 ltvBps;
        uint16 liquidationThresholdBps;
        uint16 liquidationBonusBps;
        bool enabled;
        uint128 supplyCap;
        uint128 totalSupplied;
        uint192 lastTrustedPriceE36;
        uint64 lastTrustedAt;
    }

    /// @dev A borrower's debt and its recognized shortfall share one slot, so refreshing the shortfall costs no
    ///      extra read in the calls that already load the borrow shares.
    struct Position {
        uint128 borrowShares;
        uint128 shortfallAssets; // recognized: debt − what liquidating all its collateral recovers, as last refreshed
    }

    // Storage is packed by access: the first slot is read by every call (accrual clock, pause) and written by
    // every deposit and withdrawal; the liquidation parameters share slots with what each accrual reads anyway.
    uint128 internal _totalLpAssets; // totalAssets() as of the last accrual
    uint64 internal _lastAccrualTimestamp;
    uint16 internal _reserveFactorBps;
    uint8 internal _collateralCount;
    bool internal _paused;

    uint128 internal _totalBorrowAssets;
    uint128 internal _totalBorrowShares;

    // Every exit reads the reserve and the recognized shortfall together: exits are priced net of the shortfall the
    // reserve does not cover.
    uint128 internal _reserveAssets;
    uint112 internal _totalShortfallAssets; // Σ recognized shortfalls (≤ total borrows)
    uint16 internal _closeFactorBps; // never 0, so this slot is never cleared and a first reserve costs no new slot

    IRateModel internal _rateModel;
    uint96 internal _dustThresholdAssets;

    address internal _guardian;
    uint64 internal _fullLiquidationHealthFactor;
    address[MAX_COLLATERALS] internal _collateralList;
    mapping(address collateral => Collateral) internal _collaterals;
    mapping(address account => Position) internal _positions;
    mapping(address account => mapping(address collateral => uint256)) internal _collateralBalances;

    modifier whenNotPaused() {
        if (_paused) revert Paused();
        _;
    }

    // =================================================================== Getters

    /// @inheritdoc IPool
    function collateralOf(address account, address collateral) external view returns (uint256) {
        return _collateralBalances[account][collateral];
    }

    /// @inheritdoc IPool
    function borrowSharesOf(address account) external view returns (uint256) {
        return _positions[account].borrowShares;
    }

    /// @inheritdoc IPool
    function recognizedShortfall(address account) external view returns (uint256) {
        return _positions[account].shortfallAssets;
    }

    /// @inheritdoc IPool
    function totalRecognizedShortfall() external view returns (uint256) {
        return _totalShortfallAssets;
    }

    /// @inheritdoc IPool
    function lastTrustedPrice(address collateral) external view returns (uint256 priceE36, uint256 updatedAt) {
        Collateral storage config = _collaterals[collateral];
        return (config.lastTrustedPriceE36, config.lastTrustedAt);
    }

    /// @inheritdoc IPool
    function totalBorrowShares() external view returns (uint256) {
        return _totalBorrowShares;
    }

    /// @inheritdoc IPool
    function lastAccrualTimestamp() external view returns (uint256) {
        return _lastAccrualTimestamp;
    }

    /// @inheritdoc IPool
    function collaterals() external view returns (address[] memory) {
        uint256 count = _collateralCount;
        address[] memory list = new address[](count);
        for (uint256 i; i < count; ++i) list[i] = _collateralList[i];
        return list;
    }

    /// @inheritdoc IPool
    function collateralParams(address collateral) public view returns (CollateralParams memory) {
        Collateral storage config = _collaterals[collateral];
        return
            CollateralParams({
                oracle: config.oracle,
                ltvBps: config.ltvBps,
                liquidationThresholdBps: config.liquidationThresholdBps,
                liquidationBonusBps: config.liquidationBonusBps,
                supplyCap: config.supplyCap,
                enabled: config.enabled
            });
    }

    /// @inheritdoc IPool
    function totalCollateral(address collateral) external view returns (uint256) {
        return _collaterals[collateral].totalSupplied;
    }

    /// @inheritdoc IPool
    function liquidationParams() external view returns (LiquidationParams memory) {
        return _liquidationParamsView();
    }

    /// @inheritdoc IPool
    function reserveFactorBps() external view returns (uint256) {
        return _reserveFactorBps;
    }

    /// @inheritdoc IPool
    function rateModel() external view returns (IRateModel) {
        return _rateModel;
    }

    /// @inheritdoc IPool
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc IPool
    function paused() external view returns (bool) {
        return _paused;
    }

    // =================================================================== Parameters (validated, with events)

    function _validateCollateralParams(CollateralParams calldata params) internal pure {
        if (address(params.oracle) == address(0)) revert ZeroAddress();
        if (params.liquidationThresholdBps > MAX_LIQUIDATION_THRESHOLD_BPS) {
            revert InvalidLiquidationThreshold(params.liquidationThresholdBps, MAX_LIQUIDATION_THRESHOLD_BPS);
        }
        if (params.ltvBps >= params.liquidationThresholdBps) {
            revert InvalidLtv(params.ltvBps, params.liquidationThresholdBps);
        }
        if (params.liquidationBonusBps > MAX_LIQUIDATION_BONUS_BPS) {
            revert InvalidLiquidationBonus(params.liquidationBonusBps, MAX_LIQUIDATION_BONUS_BPS);
        }
        // threshold × (1 + bonus) < 100%: liquidating a just-unhealthy position improves its health.
        if (
            uint256(params.liquidationThresholdBps) * (RiskMath.BPS + params.liquidationBonusBps) >=
            RiskMath.BPS * RiskMath.BPS
        ) {
            revert LiquidationDoesNotImproveHealth(params.liquidationThresholdBps, params.liquidationBonusBps);
        }
    }

    function _storeCollateralParams(Collateral storage config, CollateralParams calldata params) internal {
        config.oracle = params.oracle;
        config.ltvBps = params.ltvBps;
        config.liquidationThresholdBps = params.liquidationThresholdBps;
        config.liquidationBonusBps = params.liquidationBonusBps;
        config.enabled = params.enabled;
        config.supplyCap = params.supplyCap;
    }

    function _setReserveFactor(uint256 reserveFactorBps_) internal {
        if (reserveFactorBps_ > MAX_RESERVE_FACTOR_BPS) {
            revert InvalidReserveFactor(reserveFactorBps_, MAX_RESERVE_FACTOR_BPS);
        }
        emit ReserveFactorUpdated(_reserveFactorBps, reserveFactorBps_);
        _reserveFactorBps = uint16(reserveFactorBps_);
    }

    function _setLiquidationParams(LiquidationParams memory params) internal {
        if (params.closeFactorBps == 0 || params.closeFactorBps > RiskMath.BPS) {
            revert InvalidCloseFactor(params.closeFactorBps);
        }
        if (params.fullLiquidationHealthFactor > RiskMath.WAD) {
            revert InvalidFullLiquidationHealthFactor(params.fullLiquidationHealthFactor);
        }
        emit LiquidationParamsUpdated(_liquidationParamsView(), params);
        _closeFactorBps = params.closeFactorBps;
        _fullLiquidationHealthFactor = params.fullLiquidationHealthFactor;
        _dustThresholdAssets = params.dustThresholdAssets;
    }

    function _liquidationParamsView() internal view returns (LiquidationParams memory) {
        return LiquidationParams(_closeFactorBps, _fullLiquidationHealthFactor, _dustThresholdAssets);
    }

    function _setGuardian(address guardian_) internal {
        emit GuardianUpdated(_guardian, guardian_);
        _guardian = guardian_;
    }

    function _isListed(Collateral storage config) internal view returns (bool) {
        return address(config.oracle) != address(0);
    }

    function _checkDecimals(address token) internal view {
        uint8 tokenDecimals = IERC20Metadata(token).decimals();
        if (tokenDecimals < 6 || tokenDecimals > 18) revert UnsupportedDecimals(token, tokenDecimals);
    }

    function _zeroFloorSub(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : 0;
    }
}
