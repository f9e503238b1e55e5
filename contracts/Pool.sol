// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20, IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IPool, CollateralParams, LiquidationParams, AccountLiquidity} from "./interfaces/IPool.sol";
import {IRateModel} from "./interfaces/IRateModel.sol";
import {SharesMath} from "./libraries/SharesMath.sol";
import {RiskMath} from "./libraries/RiskMath.sol";
import {PoolStorage} from "./base/PoolStorage.sol";

/// @title Pool
/// @notice A lending pool for one loan asset whose LPs mutualize bad debt. See {IPool} and docs/design.md.
/// @dev Accounting: `totalLpAssets` is `totalAssets()` as of the last accrual; idle cash is derived as
///      `totalLpAssets + reserve − totalBorrowAssets`, so tokens sent to the pool without a call are ignored.
contract Pool is PoolStorage, ERC4626, ERC20Permit, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SharesMath for uint256;

    /// @param loanAsset_ The loan asset (6 to 18 decimals).
    /// @param name_ Name of the LP share token.
    /// @param symbol_ Symbol of the LP share token.
    /// @param owner_ Risk manager (Ownable2Step).
    /// @param guardian_ May pause and unpause (may be zero).
    /// @param rateModel_ Interest rate model.
    /// @param reserveFactorBps_ Share of interest to the reserve.
    /// @param liquidationParams_ Close factor, full-liquidation health factor, dust threshold.
    constructor(
        IERC20Metadata loanAsset_,
        string memory name_,
        string memory symbol_,
        address owner_,
        address guardian_,
        IRateModel rateModel_,
        uint256 reserveFactorBps_,
        LiquidationParams memory liquidationParams_
    ) ERC20(name_, symbol_) ERC20Permit(name_) ERC4626(loanAsset_) Ownable(owner_) {
        _checkDecimals(address(loanAsset_));
        if (address(rateModel_) == address(0)) revert ZeroAddress();
        _rateModel = rateModel_;
        _lastAccrualTimestamp = uint64(block.timestamp);
        _setReserveFactor(reserveFactorBps_);
        _setLiquidationParams(liquidationParams_);
        _setGuardian(guardian_);
    }

    // =================================================================== LP side (ERC-4626)

    /// @inheritdoc ERC4626
    function deposit(
        uint256 assets,
        address receiver
    ) public override(ERC4626, IERC4626) nonReentrant whenNotPaused returns (uint256) {
        return _depositAssets(assets, receiver, 0);
    }

    /// @inheritdoc IPool
    function depositWithMinShares(
        uint256 assets,
        address receiver,
        uint256 minShares
    ) external nonReentrant whenNotPaused returns (uint256) {
        return _depositAssets(assets, receiver, minShares);
    }

    /// @inheritdoc IPool
    function depositWithPermit(
        uint256 assets,
        address receiver,
        uint256 minShares,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant whenNotPaused returns (uint256) {
        address owner = _msgSender();
        // A permit front-run with the same signature reverts here but has already set the allowance: go on then.
        try IERC20Permit(asset()).permit(owner, address(this), assets, deadline, v, r, s) {} catch {
            uint256 allowance = IERC20(asset()).allowance(owner, address(this));
            if (allowance < assets) revert PermitFailed(owner, allowance, assets);
        }
        return _depositAssets(assets, receiver, minShares);
    }

    /// @inheritdoc ERC4626
    function mint(
        uint256 shares,
        address receiver
    ) public override(ERC4626, IERC4626) nonReentrant whenNotPaused returns (uint256) {
        return _mintShares(shares, receiver, type(uint256).max);
    }

    /// @inheritdoc IPool
    function mintWithMaxAssets(
        uint256 shares,
        address receiver,
        uint256 maxAssets
    ) external nonReentrant whenNotPaused returns (uint256) {
        return _mintShares(shares, receiver, maxAssets);
    }

    /// @inheritdoc ERC4626
    function withdraw(
        uint256 assets,
        address receiver,
        address owner
    ) public override(ERC4626, IERC4626) nonReentrant returns (uint256) {
        return _withdrawAssets(assets, receiver, owner, type(uint256).max);
    }

    /// @inheritdoc IPool
    function withdrawWithMaxShares(
        uint256 assets,
        address receiver,
        address owner,
        uint256 maxShares
    ) external nonReentrant returns (uint256) {
        return _withdrawAssets(assets, receiver, owner, maxShares);
    }

    /// @inheritdoc ERC4626
    function redeem(
        uint256 shares,
        address receiver,
        address owner
    ) public override(ERC4626, IERC4626) nonReentrant returns (uint256) {
        return _redeemShares(shares, receiver, owner, 0);
    }

    /// @inheritdoc IPool
    function redeemWithMinAssets(
        uint256 shares,
        address receiver,
        address owner,
        uint256 minAssets
    ) external nonReentrant returns (uint256) {
        return _redeemShares(shares, receiver, owner, minAssets);
    }

    /// @notice Cash + total borrows (interest accrued up to now) − reserve.
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        (uint256 lpAssets, , ) = _accruedTotals();
        return lpAssets;
    }

    /// @notice 0 while paused; otherwise what the uint128 accounting can still hold.
    function maxDeposit(address) public view override(ERC4626, IERC4626) returns (uint256) {
        if (_paused) return 0;
        (uint256 lpAssets, uint256 reserve, ) = _accruedTotals();
        return _zeroFloorSub(type(uint128).max, lpAssets + reserve);
    }

    /// @notice 0 while paused; otherwise the shares `maxDeposit` buys.
    function maxMint(address receiver) public view override(ERC4626, IERC4626) returns (uint256) {
        return _convertToShares(maxDeposit(receiver), Math.Rounding.Floor);
    }

    /// @notice The owner's assets, limited by the idle cash. Never limited by a pause.
    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(_convertToAssets(balanceOf(owner), Math.Rounding.Floor), _cash());
    }

    /// @notice The owner's shares, limited by the idle cash. Never limited by a pause.
    function maxRedeem(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        uint256 shares = balanceOf(owner);
        uint256 cashAssets = _cash();
        // Every share redeemable when the cash covers them all (converting cash back to shares could round below
        // the balance of the last LP and strand its final fraction of a wei).
        uint256 assets = _convertToAssets(shares, Math.Rounding.Floor);
        if (assets == 0) return 0; // redeeming would pay nothing (ZeroAssets)
        if (assets <= cashAssets) return shares;
        return _convertToShares(cashAssets, Math.Rounding.Floor);
    }

    /// @inheritdoc ERC4626
    function decimals() public view override(ERC20, ERC4626, IERC20Metadata) returns (uint8) {
        return super.decimals();
    }

    /// @inheritdoc IPool
    function sharePrice() public view returns (uint256) {
        return _convertToAssets(10 ** decimals(), Math.Rounding.Floor);
    }

    // =================================================================== Borrower side

    /// @inheritdoc IPool
    function supplyCollateral(
        address collateral,
        uint256 assets,
        address onBehalf
    ) external nonReentrant whenNotPaused {
        if (assets == 0) revert ZeroAmount();
        if (onBehalf == address(0)) revert ZeroAddress();
        Collateral storage config = _collaterals[collateral];
        if (!_isListed(config)) revert CollateralNotListed(collateral);
        if (!config.enabled) revert CollateralDisabled(collateral);
        uint256 totalSupplied = config.totalSupplied + assets;
        if (totalSupplied > config.supplyCap) revert SupplyCapExceeded(collateral, totalSupplied, config.supplyCap);
        // Collateral its oracle cannot price would block every liquidation of the account: refuse it up front.
        if (config.oracle.price() == 0) revert ZeroPrice(collateral);

        config.totalSupplied = totalSupplied.toUint128();
        _collateralBalances[onBehalf][collateral] += assets;
        emit SupplyCollateral(msg.sender, onBehalf, collateral, assets);

        _pullExact(IERC20(collateral), msg.sender, assets);
    }

    /// @inheritdoc IPool
    function withdrawCollateral(address collateral, uint256 assets, address receiver) external nonReentrant {
        if (assets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        uint256 balance = _collateralBalances[msg.sender][collateral];
        if (assets > balance) revert InsufficientCollateral(msg.sender, collateral, balance, assets);
        _accrueInterest();

        _collateralBalances[msg.sender][collateral] = balance - assets;
        _collaterals[collateral].totalSupplied -= uint128(assets);
        if (_borrowShares[msg.sender] > 0) _requireWithinBorrowLimit(msg.sender);
        emit WithdrawCollateral(msg.sender, receiver, collateral, assets);

        IERC20(collateral).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IPool
    function borrow(uint256 assets, address receiver) external nonReentrant whenNotPaused returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        _accrueInterest();
        uint256 cashAssets = _cash();
        if (assets > cashAssets) revert InsufficientCash(assets, cashAssets);

        uint256 totalBorrow = _totalBorrowAssets;
        uint256 totalShares = _totalBorrowShares;
        shares = assets.toSharesUp(totalBorrow, totalShares);
        _borrowShares[msg.sender] += shares;
        _totalBorrowShares = (totalShares + shares).toUint128();
        _totalBorrowAssets = (totalBorrow + assets).toUint128();
        _requireWithinBorrowLimit(msg.sender);
        emit Borrow(msg.sender, receiver, assets, shares);

        IERC20(asset()).safeTransfer(receiver, assets);
    }

    /// @inheritdoc IPool
    function repay(
        uint256 assets,
        address onBehalf
    ) external nonReentrant returns (uint256 repaidAssets, uint256 repaidShares) {
        if (assets == 0) revert ZeroAmount();
        _accrueInterest();
        uint256 accountShares = _borrowShares[onBehalf];
        if (accountShares == 0) revert NoDebt(onBehalf);
        uint256 totalBorrow = _totalBorrowAssets;
        uint256 totalShares = _totalBorrowShares;
        uint256 debt = accountShares.toAssetsUp(totalBorrow, totalShares);
        if (assets >= debt) {
            (repaidAssets, repaidShares) = (debt, accountShares);
        } else {
            (repaidAssets, repaidShares) = (assets, assets.toSharesDown(totalBorrow, totalShares));
            if (repaidShares == 0) revert RepayBelowOneShare(assets);
        }

        _burnDebt(onBehalf, accountShares, repaidShares, repaidAssets);
        emit Repay(msg.sender, onBehalf, repaidAssets, repaidShares);

        _pullExact(IERC20(asset()), msg.sender, repaidAssets);
    }

    /// @inheritdoc IPool
    function liquidate(
        address borrower,
        address collateral,
        uint256 repayAssets,
        uint256 minSeizedCollateral,
        address receiver
    ) external nonReentrant returns (uint256 repaidAssets, uint256 seizedCollateral, uint256 badDebtAssets) {
        if (repayAssets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        uint256 collateralBalance = _collateralBalances[borrower][collateral];
        if (collateralBalance == 0) revert NoCollateralToSeize(borrower, collateral);
        _accrueInterest();

        uint256 debt;
        bool realizesBadDebt;
        (repaidAssets, seizedCollateral, debt, realizesBadDebt) = _liquidationAmounts(
            borrower,
            collateral,
            collateralBalance,
            repayAssets
        );
        if (seizedCollateral < minSeizedCollateral) revert SeizedBelowMinimum(seizedCollateral, minSeizedCollateral);

        // Effects: burn the repaid debt and move the seized collateral out of the position.
        uint256 accountShares = _borrowShares[borrower];
        uint256 repaidShares =
            repaidAssets >= debt ? accountShares : repaidAssets.toSharesDown(_totalBorrowAssets, _totalBorrowShares);
        if (repaidShares == 0) revert RepayBelowOneShare(repaidAssets);
        _burnDebt(borrower, accountShares, repaidShares, repaidAssets);
        _collateralBalances[borrower][collateral] = collateralBalance - seizedCollateral;
        _collaterals[collateral].totalSupplied -= uint128(seizedCollateral);
        if (realizesBadDebt) badDebtAssets = _realizeBadDebt(borrower);
        emit Liquidate(
            msg.sender,
            borrower,
            collateral,
            receiver,
            repaidAssets,
            repaidShares,
            seizedCollateral,
            badDebtAssets
        );

        // Interactions: the repayment comes in before any collateral goes out, so no token hook sees a pool that
        // counts a payment it has not received.
        _pullExact(IERC20(asset()), msg.sender, repaidAssets);
        IERC20(collateral).safeTransfer(receiver, seizedCollateral);
        if (badDebtAssets > 0) _sweepDustCollateral(borrower, receiver);
    }

    /// @inheritdoc IPool
    function socializeBadDebt(address borrower) external nonReentrant returns (uint256 badDebtAssets) {
        _accrueInterest();
        if (_borrowShares[borrower] == 0) revert NoDebt(borrower);
        (AccountLiquidity memory liquidity, ) = _accountLiquidity(borrower, address(0));
        uint256 dust = _dustThresholdAssets;
        if (liquidity.collateralValue > dust) revert CollateralAboveDust(borrower, liquidity.collateralValue, dust);
        // Only debt its collateral cannot cover is bad: otherwise a borrower could write off a small solvent loan.
        if (liquidity.collateralValue >= liquidity.debt) {
            revert CollateralCoversDebt(borrower, liquidity.collateralValue, liquidity.debt);
        }

        badDebtAssets = _realizeBadDebt(borrower);
        _sweepDustCollateral(borrower, msg.sender);
    }

    // =================================================================== Reserve

    /// @inheritdoc IPool
    function donateToReserve(uint256 assets) external nonReentrant {
        if (assets == 0) revert ZeroAmount();
        _accrueInterest();
        _reserveAssets = (uint256(_reserveAssets) + assets).toUint128();
        emit ReserveDonated(msg.sender, assets);
        _pullExact(IERC20(asset()), msg.sender, assets);
    }

    /// @inheritdoc IPool
    function withdrawReserve(uint256 assets, address receiver) external nonReentrant onlyOwner {
        if (assets == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        _accrueInterest();
        uint256 reserve = _reserveAssets;
        if (assets > reserve) revert InsufficientReserve(assets, reserve);
        uint256 cashAssets = _cash();
        if (assets > cashAssets) revert InsufficientCash(assets, cashAssets);
        _reserveAssets = uint128(reserve - assets);
        emit ReserveWithdrawn(receiver, assets);
        IERC20(asset()).safeTransfer(receiver, assets);
    }

    // =================================================================== Admin

    /// @inheritdoc IPool
    function listCollateral(address collateral, CollateralParams calldata params) external onlyOwner {
        if (collateral == address(0)) revert ZeroAddress();
        if (collateral == asset() || collateral == address(this)) revert InvalidCollateral(collateral);
        if (_isListed(_collaterals[collateral])) revert CollateralAlreadyListed(collateral);
        uint256 count = _collateralCount;
        if (count >= MAX_COLLATERALS) revert TooManyCollaterals(MAX_COLLATERALS);
        _checkDecimals(collateral);
        _validateCollateralParams(params);
        _collateralList[count] = collateral;
        _collateralCount = uint8(count + 1);
        _storeCollateralParams(_collaterals[collateral], params);
        emit CollateralListed(collateral, params);
    }

    /// @inheritdoc IPool
    function setCollateralParams(address collateral, CollateralParams calldata params) external onlyOwner {
        Collateral storage config = _collaterals[collateral];
        if (!_isListed(config)) revert CollateralNotListed(collateral);
        _validateCollateralParams(params);
        CollateralParams memory oldParams = collateralParams(collateral);
        _storeCollateralParams(config, params);
        emit CollateralParamsUpdated(collateral, oldParams, params);
    }

    /// @inheritdoc IPool
    function setReserveFactor(uint256 reserveFactorBps_) external onlyOwner {
        _accrueInterest();
        _setReserveFactor(reserveFactorBps_);
    }

    /// @inheritdoc IPool
    function setRateModel(IRateModel rateModel_) external onlyOwner {
        if (address(rateModel_) == address(0)) revert ZeroAddress();
        _accrueInterest();
        emit RateModelUpdated(address(_rateModel), address(rateModel_));
        _rateModel = rateModel_;
    }

    /// @inheritdoc IPool
    function setLiquidationParams(LiquidationParams calldata params) external onlyOwner {
        _setLiquidationParams(params);
    }

    /// @inheritdoc IPool
    function setGuardian(address guardian_) external onlyOwner {
        _setGuardian(guardian_);
    }

    /// @inheritdoc IPool
    function setPaused(bool paused_) external {
        if (msg.sender != _guardian && msg.sender != owner()) revert NotGuardian(msg.sender);
        emit PausedUpdated(msg.sender, _paused, paused_);
        _paused = paused_;
    }

    /// @inheritdoc IPool
    function accrueInterest() external {
        _accrueInterest();
    }

    // =================================================================== Views

    /// @inheritdoc IPool
    function debtOf(address account) external view returns (uint256) {
        (, , uint256 borrowAssets) = _accruedTotals();
        return _borrowShares[account].toAssetsUp(borrowAssets, _totalBorrowShares);
    }

    /// @inheritdoc IPool
    function healthFactor(address account) external view returns (uint256) {
        AccountLiquidity memory liquidity = accountLiquidity(account);
        return RiskMath.healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
    }

    /// @inheritdoc IPool
    function accountLiquidity(address account) public view returns (AccountLiquidity memory liquidity) {
        (, , uint256 borrowAssets) = _accruedTotals();
        (liquidity, ) = _collateralLiquidity(account, address(0));
        liquidity.debt = _borrowShares[account].toAssetsUp(borrowAssets, _totalBorrowShares);
    }

    /// @inheritdoc IPool
    function cash() external view returns (uint256) {
        return _cash();
    }

    /// @inheritdoc IPool
    function totalBorrowAssets() external view returns (uint256) {
        (, , uint256 borrowAssets) = _accruedTotals();
        return borrowAssets;
    }

    /// @inheritdoc IPool
    function reserveAssets() external view returns (uint256) {
        (, uint256 reserve, ) = _accruedTotals();
        return reserve;
    }

    /// @inheritdoc IPool
    function borrowRatePerSecond() external view returns (uint256) {
        return _borrowRate(_totalBorrowAssets);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }

    // =================================================================== Internal: ERC-4626 flows

    function _depositAssets(uint256 assets, address receiver, uint256 minShares) internal returns (uint256 shares) {
        _accrueInterest();
        uint256 maxAssets = maxDeposit(receiver);
        if (assets > maxAssets) revert ERC4626ExceededMaxDeposit(receiver, assets, maxAssets);
        shares = previewDeposit(assets);
        if (shares == 0) revert ZeroShares(assets);
        if (shares < minShares) revert SharesBelowMinimum(shares, minShares);
        _deposit(_msgSender(), receiver, assets, shares);
    }

    function _mintShares(uint256 shares, address receiver, uint256 maxAssets) internal returns (uint256 assets) {
        _accrueInterest();
        uint256 maxShares = maxMint(receiver);
        if (shares > maxShares) revert ERC4626ExceededMaxMint(receiver, shares, maxShares);
        assets = previewMint(shares);
        if (assets == 0) revert ZeroAssets(shares);
        if (assets > maxAssets) revert AssetsAboveMaximum(assets, maxAssets);
        _deposit(_msgSender(), receiver, assets, shares);
    }

    function _withdrawAssets(
        uint256 assets,
        address receiver,
        address owner,
        uint256 maxShares
    ) internal returns (uint256 shares) {
        _accrueInterest();
        uint256 maxAssets = maxWithdraw(owner);
        if (assets > maxAssets) revert ERC4626ExceededMaxWithdraw(owner, assets, maxAssets);
        shares = previewWithdraw(assets);
        if (shares == 0) revert ZeroShares(assets);
        if (shares > maxShares) revert SharesAboveMaximum(shares, maxShares);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
    }

    function _redeemShares(
        uint256 shares,
        address receiver,
        address owner,
        uint256 minAssets
    ) internal returns (uint256 assets) {
        _accrueInterest();
        uint256 maxShares = maxRedeem(owner);
        if (shares > maxShares) revert ERC4626ExceededMaxRedeem(owner, shares, maxShares);
        assets = previewRedeem(shares);
        if (assets == 0) revert ZeroAssets(shares);
        if (assets < minAssets) revert AssetsBelowMinimum(assets, minAssets);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
    }

    /// @dev Books the assets and mints the shares before pulling the tokens (checks-effects-interactions), so a
    ///      token hook never observes assets without their shares; rejects fee-on-transfer tokens.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (receiver == address(0)) revert ZeroAddress();
        _totalLpAssets = (_totalLpAssets + assets).toUint128();
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
        _pullExact(IERC20(asset()), caller, assets);
    }

    /// @dev Books the withdrawal before OpenZeppelin's burn-then-transfer flow.
    function _withdraw(
        address caller,
        address receiver,
        address owner,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (receiver == address(0)) revert ZeroAddress();
        _totalLpAssets -= uint128(assets);
        super._withdraw(caller, receiver, owner, assets, shares);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    // =================================================================== Internal: accounting

    /// @dev Accrues interest up to now: borrows grow by the interest, the reserve by its share, LP assets by the
    ///      rest. Linear over the elapsed time (compounding happens at every accrual).
    function _accrueInterest() internal {
        uint256 elapsed = block.timestamp - _lastAccrualTimestamp;
        if (elapsed == 0) return;
        _lastAccrualTimestamp = uint64(block.timestamp);
        uint256 borrowAssets = _totalBorrowAssets;
        if (borrowAssets == 0) return;

        uint256 ratePerSecond = _borrowRate(borrowAssets);
        (uint256 interest, uint256 reserveShare) = _interest(borrowAssets, ratePerSecond, elapsed);
        if (interest == 0) return;
        _totalBorrowAssets = (borrowAssets + interest).toUint128();
        _totalLpAssets = (_totalLpAssets + interest - reserveShare).toUint128();
        _reserveAssets = (uint256(_reserveAssets) + reserveShare).toUint128();
        emit InterestAccrued(ratePerSecond, interest, reserveShare);
    }

    /// @dev (LP assets, reserve, borrows) with interest accrued up to now, without writing.
    function _accruedTotals() internal view returns (uint256 lpAssets, uint256 reserve, uint256 borrowAssets) {
        (lpAssets, reserve, borrowAssets) = (_totalLpAssets, _reserveAssets, _totalBorrowAssets);
        uint256 elapsed = block.timestamp - _lastAccrualTimestamp;
        if (elapsed == 0 || borrowAssets == 0) return (lpAssets, reserve, borrowAssets);
        uint256 ratePerSecond = _borrowRate(borrowAssets);
        (uint256 interest, uint256 reserveShare) = _interest(borrowAssets, ratePerSecond, elapsed);
        return (lpAssets + interest - reserveShare, reserve + reserveShare, borrowAssets + interest);
    }

    /// @dev The rate model's borrow rate, capped so a faulty model cannot overflow the accrual.
    function _borrowRate(uint256 borrowAssets) internal view returns (uint256) {
        return Math.min(_rateModel.borrowRatePerSecond(_cash(), borrowAssets), MAX_BORROW_RATE_PER_SECOND_E18);
    }

    /// @dev Interest on `borrowAssets` (rounded down) and the reserve's share of it (rounded down).
    function _interest(
        uint256 borrowAssets,
        uint256 ratePerSecond,
        uint256 elapsed
    ) internal view returns (uint256 interest, uint256 reserveShare) {
        interest = Math.mulDiv(borrowAssets, ratePerSecond * elapsed, RiskMath.WAD, Math.Rounding.Floor);
        reserveShare = RiskMath.bpsDown(interest, _reserveFactorBps);
    }

    /// @dev Idle loan assets: LP assets + reserve − borrows. Interest accrual does not change it.
    function _cash() internal view returns (uint256) {
        return _zeroFloorSub(uint256(_totalLpAssets) + _reserveAssets, _totalBorrowAssets);
    }

    /// @dev Burns `repaidShares` of `account`'s borrow shares against `repaidAssets` paid in.
    function _burnDebt(address account, uint256 accountShares, uint256 repaidShares, uint256 repaidAssets) internal {
        _borrowShares[account] = accountShares - repaidShares;
        _totalBorrowShares -= uint128(repaidShares);
        _totalBorrowAssets = uint128(_zeroFloorSub(_totalBorrowAssets, repaidAssets));
    }

    /// @dev The loss waterfall: the debt leaves the books, the reserve covers what it can, the rest lowers
    ///      `totalAssets()` (and so the share price) for every LP at once. The only path that lowers the share price.
    function _realizeBadDebt(address borrower) internal returns (uint256 badDebtAssets) {
        uint256 shares = _borrowShares[borrower];
        uint256 totalBorrow = _totalBorrowAssets;
        badDebtAssets = Math.min(shares.toAssetsUp(totalBorrow, _totalBorrowShares), totalBorrow);

        _borrowShares[borrower] = 0;
        _totalBorrowShares -= uint128(shares);
        _totalBorrowAssets = uint128(totalBorrow - badDebtAssets);

        uint256 reserve = _reserveAssets;
        uint256 coveredByReserve = Math.min(reserve, badDebtAssets);
        uint256 socializedAssets = badDebtAssets - coveredByReserve;
        _reserveAssets = uint128(reserve - coveredByReserve);
        uint256 lpAssetsBefore = _totalLpAssets;
        _totalLpAssets = uint128(lpAssetsBefore - socializedAssets);

        // Share price = assets per 10**decimals() shares (rounded down), as `sharePrice()` computes it.
        uint256 shareUnit = 10 ** decimals();
        uint256 supplyPlusVirtual = totalSupply() + 10 ** DECIMALS_OFFSET;
        emit BadDebtRealized(
            borrower,
            badDebtAssets,
            coveredByReserve,
            socializedAssets,
            Math.mulDiv(shareUnit, lpAssetsBefore + 1, supplyPlusVirtual),
            Math.mulDiv(shareUnit, lpAssetsBefore - socializedAssets + 1, supplyPlusVirtual)
        );
    }

    /// @dev Sends every remaining collateral balance of `borrower` (worth at most dust) to `receiver`, or credits it
    ///      to `receiver`'s balance in the pool when the token refuses the transfer.
    function _sweepDustCollateral(address borrower, address receiver) internal {
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            address collateral = _collateralList[i];
            uint256 balance = _collateralBalances[borrower][collateral];
            if (balance == 0) continue;
            _collateralBalances[borrower][collateral] = 0;
            // A token that refuses the transfer (paused, blacklist) must not block the realization: the dust is then
            // credited to the receiver's collateral balance in the pool, to withdraw later.
            bool transferred = IERC20(collateral).trySafeTransfer(receiver, balance);
            if (transferred) _collaterals[collateral].totalSupplied -= uint128(balance);
            else _collateralBalances[receiver][collateral] += balance;
            emit DustCollateralSwept(borrower, collateral, receiver, balance, !transferred);
        }
    }

    /// @dev Repaid and seized amounts of a liquidation (state must be accrued), the borrower's debt before it, and
    ///      whether the call realizes the residual debt. Reverts unless the borrower is liquidatable.
    function _liquidationAmounts(
        address borrower,
        address collateral,
        uint256 collateralBalance,
        uint256 repayAssets
    ) internal view returns (uint256 repaidAssets, uint256 seizedCollateral, uint256 debt, bool realizesBadDebt) {
        (AccountLiquidity memory liquidity, uint256 priceE36) = _accountLiquidity(borrower, collateral);
        debt = liquidity.debt;
        uint256 health = RiskMath.healthFactorDown(liquidity.liquidationLimit, debt);
        if (health >= RiskMath.WAD) revert PositionHealthy(borrower, health);

        uint256 bonusBps = _collaterals[collateral].liquidationBonusBps;
        uint256 seizableValue = RiskMath.valueDown(collateralBalance, priceE36);
        LiquidationParams memory params = _liquidationParamsView();
        uint256 maxRepay = RiskMath.maxRepayUp(
            debt,
            health,
            liquidity.collateralValue,
            seizableValue,
            bonusBps,
            params.closeFactorBps,
            params.fullLiquidationHealthFactor,
            params.dustThresholdAssets
        );
        repaidAssets = Math.min(repayAssets, maxRepay);
        seizedCollateral = RiskMath.seizedCollateralDown(repaidAssets, bonusBps, priceE36);
        if (seizedCollateral >= collateralBalance) {
            seizedCollateral = collateralBalance;
            repaidAssets = Math.min(repaidAssets, RiskMath.repaidForSeizedUp(collateralBalance, bonusBps, priceE36));
        }
        if (repaidAssets >= debt) return (repaidAssets, seizedCollateral, debt, false);
        uint256 remainingCollateralValue =
            liquidity.collateralValue -
                seizableValue +
                RiskMath.valueDown(collateralBalance - seizedCollateral, priceE36);
        if (remainingCollateralValue > params.dustThresholdAssets) return (repaidAssets, seizedCollateral, debt, false);
        // Debt remains behind collateral worth at most dust. A partial seizure may not leave that state: it would hand
        // the dust to the liquidator and the debt it could still cover to the LPs; repaying more (the close factor
        // lifts here) seizes it all. After a full seizure the residual debt is realized now (atomic mutualization),
        // unless the dust left still covers it, in which case it waits for the next liquidation.
        if (seizedCollateral < collateralBalance) {
            revert LiquidationLeavesDust(remainingCollateralValue, params.dustThresholdAssets);
        }
        realizesBadDebt = remainingCollateralValue < debt - repaidAssets;
    }

    /// @dev The account's liquidity with interest accrued (state must be accrued) and the price of `focus`.
    function _accountLiquidity(
        address account,
        address focus
    ) internal view returns (AccountLiquidity memory liquidity, uint256 focusPriceE36) {
        (liquidity, focusPriceE36) = _collateralLiquidity(account, focus);
        liquidity.debt = _borrowShares[account].toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
    }

    /// @dev Values every collateral the account holds (down) and returns the price of `focus` if it holds it.
    function _collateralLiquidity(
        address account,
        address focus
    ) internal view returns (AccountLiquidity memory liquidity, uint256 focusPriceE36) {
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            address collateral = _collateralList[i];
            uint256 balance = _collateralBalances[account][collateral];
            if (balance == 0) continue;
            Collateral storage config = _collaterals[collateral];
            uint256 priceE36 = config.oracle.price();
            if (priceE36 == 0) revert ZeroPrice(collateral);
            if (collateral == focus) focusPriceE36 = priceE36;
            uint256 value = RiskMath.valueDown(balance, priceE36);
            liquidity.collateralValue += value;
            liquidity.borrowLimit += RiskMath.bpsDown(value, config.ltvBps);
            liquidity.liquidationLimit += RiskMath.bpsDown(value, config.liquidationThresholdBps);
        }
    }

    function _requireWithinBorrowLimit(address account) internal view {
        (AccountLiquidity memory liquidity, ) = _accountLiquidity(account, address(0));
        if (liquidity.debt > liquidity.borrowLimit) {
            revert ExceedsBorrowLimit(account, liquidity.debt, liquidity.borrowLimit);
        }
    }

    /// @dev Pulls exactly `assets` of `token`, rejecting fee-on-transfer behaviour.
    function _pullExact(IERC20 token, address from, uint256 assets) internal {
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), assets);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != assets) revert FeeOnTransferNotSupported(address(token), assets, received);
    }
}
