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
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {IRateModel} from "./interfaces/IRateModel.sol";
import {SharesMath} from "./libraries/SharesMath.sol";
import {RiskMath} from "./libraries/RiskMath.sol";
import {PoolStorage} from "./base/PoolStorage.sol";

/// @title Pool
/// @notice A lending pool for one loan asset whose LPs mutualize bad debt. See {IPool} and docs/design.md.
/// @dev Accounting: `totalLpAssets` is `entryTotalAssets()` as of the last accrual; idle cash is derived as
///      `totalLpAssets + reserve − totalBorrowAssets`, so tokens sent to the pool without a call are ignored. Exits
///      are priced at `totalLpAssets − max(0, totalShortfall − reserve)` (`totalAssets()`), entries at `totalLpAssets`.
contract Pool is PoolStorage, ERC4626, ERC20Permit, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SharesMath for uint256;

    /// @dev The collateral prices one call has read, by listing index: an oracle is called at most once per call;
    ///      one that fails (reverts, returns 0 or no price) is replaced by its last trusted price (bit in `failed`),
    ///      or, when that is older than `MAX_TRUSTED_PRICE_AGE`, by none (bit in `expired` too, price 0).
    struct PriceBook {
        uint256[MAX_COLLATERALS] pricesE36;
        uint256 loaded;
        uint256 failed;
        uint256 expired;
    }

    /// @dev An account's collateral valued with a price book, in loan-asset units (each term rounded down).
    struct Valuation {
        uint256 collateralValue;
        uint256 liquidationLimit;
        uint256 recoveryValue; // Σ value_c / (1 + bonus_c): what liquidating all of it repays
        address unpricedCollateral; // a collateral it holds with neither a live nor a recent trusted price
    }

    /// @dev What `closeInsolventAccount` seizes, by listing index, and the totals (before the cap at the debt).
    struct Seizure {
        uint256[MAX_COLLATERALS] collateralAssets;
        uint256[MAX_COLLATERALS] repaidAssets;
        uint256 totalRepaidAssets;
        uint256 seizedValue;
        uint256 seizedRecovery;
    }

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

    /// @notice The exit figure: cash + total borrows (interest accrued up to now) − reserve, less the recognized
    ///         shortfall the reserve does not cover. Withdrawals, redemptions and `convertTo*` use it.
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        (uint256 lpAssets, uint256 reserve, ) = _accruedTotals();
        return _exitLpAssets(lpAssets, reserve, _totalShortfallAssets);
    }

    /// @inheritdoc IPool
    function entryTotalAssets() public view returns (uint256) {
        (uint256 lpAssets, , ) = _accruedTotals();
        return lpAssets;
    }

    /// @notice Shares a deposit of `assets` mints now, at the entry price (rounded down).
    function previewDeposit(uint256 assets) public view override(ERC4626, IERC4626) returns (uint256) {
        return _sharesAt(assets, entryTotalAssets(), Math.Rounding.Floor);
    }

    /// @notice Loan assets a mint of `shares` pulls now, at the entry price (rounded up).
    function previewMint(uint256 shares) public view override(ERC4626, IERC4626) returns (uint256) {
        return _assetsAt(shares, entryTotalAssets(), Math.Rounding.Ceil);
    }

    /// @notice 0 while paused; otherwise what the uint128 accounting can still hold.
    function maxDeposit(address) public view override(ERC4626, IERC4626) returns (uint256) {
        if (_paused) return 0;
        (uint256 lpAssets, uint256 reserve, ) = _accruedTotals();
        return _zeroFloorSub(type(uint128).max, lpAssets + reserve);
    }

    /// @notice 0 while paused; otherwise the shares `maxDeposit` buys at the entry price.
    function maxMint(address receiver) public view override(ERC4626, IERC4626) returns (uint256) {
        return _sharesAt(maxDeposit(receiver), entryTotalAssets(), Math.Rounding.Floor);
    }

    /// @notice The owner's assets at the exit price, limited by the idle cash. Never limited by a pause.
    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(_convertToAssets(balanceOf(owner), Math.Rounding.Floor), _cash());
    }

    /// @notice The owner's shares, limited by the idle cash (at the exit price). Never limited by a pause.
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

    /// @inheritdoc IPool
    function entrySharePrice() external view returns (uint256) {
        return _assetsAt(10 ** decimals(), entryTotalAssets(), Math.Rounding.Floor);
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
        // More collateral lowers a shortfall: re-value the account where one is recognized, so it is released now.
        if (_positions[onBehalf].shortfallAssets > 0) _recognizeLoss(onBehalf);
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
        Position memory position = _positions[msg.sender];
        if (position.borrowShares > 0) _requireWithinBorrowLimit(msg.sender);
        // Within its borrow limit an account has no shortfall (LTV < 1 / (1 + bonus)): release any recorded one.
        if (position.shortfallAssets > 0) _setShortfall(msg.sender, position.shortfallAssets, 0);
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
        Position storage position = _positions[msg.sender];
        position.borrowShares = (position.borrowShares + shares).toUint128();
        _totalBorrowShares = (totalShares + shares).toUint128();
        _totalBorrowAssets = (totalBorrow + assets).toUint128();
        _requireWithinBorrowLimit(msg.sender);
        // Within its borrow limit an account has no shortfall (LTV < 1 / (1 + bonus)): release any recorded one.
        uint256 shortfall = position.shortfallAssets;
        if (shortfall > 0) _setShortfall(msg.sender, shortfall, 0);
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
        Position memory position = _positions[onBehalf];
        uint256 accountShares = position.borrowShares;
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
        // Repaying lowers a shortfall: re-value the account where one is recognized, so it is released now.
        if (position.shortfallAssets > 0) _recognizeLoss(onBehalf);
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

        PriceBook memory book;
        Valuation memory valuation = _valuePricedAccount(borrower, book);
        uint256 priceE36 = _livePrice(book, collateral);
        uint256 accountShares = _positions[borrower].borrowShares;
        uint256 debt = accountShares.toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
        bool realizesBadDebt;
        (repaidAssets, seizedCollateral, realizesBadDebt) = _liquidationAmounts(
            borrower,
            collateral,
            collateralBalance,
            repayAssets,
            valuation,
            debt,
            priceE36
        );
        if (seizedCollateral < minSeizedCollateral) revert SeizedBelowMinimum(seizedCollateral, minSeizedCollateral);

        // Effects: burn the repaid debt, move the seized collateral out of the position, refresh the shortfall.
        uint256 repaidShares =
            repaidAssets >= debt ? accountShares : repaidAssets.toSharesDown(_totalBorrowAssets, _totalBorrowShares);
        if (repaidShares == 0) revert RepayBelowOneShare(repaidAssets);
        _burnDebt(borrower, accountShares, repaidShares, repaidAssets);
        _collateralBalances[borrower][collateral] = collateralBalance - seizedCollateral;
        _collaterals[collateral].totalSupplied -= uint128(seizedCollateral);
        _recordTrustedPrices(book);
        if (realizesBadDebt) badDebtAssets = _realizeBadDebt(borrower);
        else
            _refreshShortfall(
                borrower,
                _recoveryAfterSeizure(valuation, collateral, collateralBalance, seizedCollateral, priceE36)
            );
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
    function closeInsolventAccount(
        address borrower,
        uint256 minSeizedValue,
        address receiver
    ) external nonReentrant returns (uint256 repaidAssets, uint256 seizedValue, uint256 badDebtAssets) {
        if (receiver == address(0)) revert ZeroAddress();
        (uint256 accountShares, uint256 debt, PriceBook memory book, Valuation memory valuation) = _loadDebtor(
            borrower
        );
        if (valuation.recoveryValue >= debt) revert AccountNotInsolvent(borrower, debt, valuation.recoveryValue);

        Seizure memory seizure = _seizePricedCollateral(borrower, book);
        seizedValue = seizure.seizedValue;
        if (seizedValue < minSeizedValue) revert SeizedValueBelowMinimum(seizedValue, minSeizedValue);

        // Effects: repay what the seized collateral covers (never more than the debt), then realize the residual
        // unless escrowed collateral worth more than dust still backs it (its shortfall then stays recognized).
        repaidAssets = Math.min(seizure.totalRepaidAssets, debt);
        uint256 repaidShares =
            repaidAssets == debt ? accountShares : repaidAssets.toSharesDown(_totalBorrowAssets, _totalBorrowShares);
        _burnDebt(borrower, accountShares, repaidShares, repaidAssets);
        _recordTrustedPrices(book);
        uint256 debtLeft = (accountShares - repaidShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
        uint256 escrowedValue = valuation.collateralValue - seizedValue;
        if (debtLeft > 0 && escrowedValue <= _dustThresholdAssets && escrowedValue < debtLeft) {
            badDebtAssets = _realizeBadDebt(borrower);
        } else {
            if (repaidShares == 0) revert NothingToClose(borrower);
            _refreshShortfall(borrower, valuation.recoveryValue - seizure.seizedRecovery);
        }
        emit InsolventAccountClosed(
            msg.sender,
            borrower,
            receiver,
            repaidAssets,
            repaidShares,
            seizedValue,
            badDebtAssets
        );

        // Interactions: the repayment first, then any escrowed dust, then the seized collateral (a token that refuses
        // the transfer is credited to `receiver` in the pool, so no collateral can block the close).
        if (repaidAssets > 0) _pullExact(IERC20(asset()), msg.sender, repaidAssets);
        if (badDebtAssets > 0) _sweepDustCollateral(borrower, receiver);
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            uint256 assets = seizure.collateralAssets[i];
            if (assets == 0) continue;
            address collateral = _collateralList[i];
            bool creditedInPool = _sendCollateral(collateral, receiver, assets);
            emit CollateralSeized(borrower, collateral, receiver, assets, seizure.repaidAssets[i], creditedInPool);
        }
    }

    /// @inheritdoc IPool
    function socializeBadDebt(address borrower) external nonReentrant returns (uint256 badDebtAssets) {
        (, uint256 debt, PriceBook memory book, Valuation memory valuation) = _loadDebtor(borrower);
        uint256 dust = _dustThresholdAssets;
        if (valuation.collateralValue > dust) revert CollateralAboveDust(borrower, valuation.collateralValue, dust);
        // Only debt its collateral cannot cover is bad: otherwise a borrower could write off a small solvent loan.
        if (valuation.collateralValue >= debt) revert CollateralCoversDebt(borrower, valuation.collateralValue, debt);

        _recordTrustedPrices(book);
        badDebtAssets = _realizeBadDebt(borrower);
        _sweepDustCollateral(borrower, msg.sender);
    }

    /// @inheritdoc IPool
    function recognizeLosses(address[] calldata accounts) external nonReentrant returns (uint256 totalShortfall) {
        _accrueInterest();
        PriceBook memory book;
        for (uint256 i; i < accounts.length; ++i) {
            address account = accounts[i];
            Position memory position = _positions[account];
            if (position.borrowShares == 0) {
                if (position.shortfallAssets > 0) _setShortfall(account, position.shortfallAssets, 0);
                continue;
            }
            Valuation memory valuation = _valueAccount(account, book); // an unpriced collateral counts 0 here
            uint256 debt = uint256(position.borrowShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
            _setShortfall(account, position.shortfallAssets, _zeroFloorSub(debt, valuation.recoveryValue));
        }
        _recordTrustedPrices(book);
        return _totalShortfallAssets;
    }

    /// @inheritdoc IPool
    function refreshTrustedPrices() external nonReentrant {
        PriceBook memory book;
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) _bookPrice(book, i, _collaterals[_collateralList[i]]);
        _recordTrustedPrices(book);
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
        // The reserve is the first loss of the recognized shortfall: that part of it cannot be withdrawn.
        uint256 totalShortfall = _totalShortfallAssets;
        uint256 withdrawable = _zeroFloorSub(reserve, totalShortfall);
        if (assets > withdrawable) revert ReserveCommittedToShortfall(assets, withdrawable, totalShortfall);
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
        // The listing price is the first trusted price, the fallback should the oracle fail later.
        (uint256 priceE36, bool live) = _tryPrice(params.oracle);
        if (!live) revert PriceUnavailable(collateral);
        _collateralList[count] = collateral;
        _collateralCount = uint8(count + 1);
        Collateral storage config = _collaterals[collateral];
        _storeCollateralParams(config, params);
        emit CollateralListed(collateral, params);
        _setTrustedPrice(config, collateral, priceE36);
    }

    /// @inheritdoc IPool
    function setCollateralParams(address collateral, CollateralParams calldata params) external onlyOwner {
        Collateral storage config = _collaterals[collateral];
        if (!_isListed(config)) revert CollateralNotListed(collateral);
        _validateCollateralParams(params);
        CollateralParams memory oldParams = collateralParams(collateral);
        _storeCollateralParams(config, params);
        emit CollateralParamsUpdated(collateral, oldParams, params);
        // A new oracle that answers refreshes the fallback price; one that fails keeps the last trusted price.
        (uint256 priceE36, bool live) = _tryPrice(params.oracle);
        if (live) _setTrustedPrice(config, collateral, priceE36);
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
        return uint256(_positions[account].borrowShares).toAssetsUp(borrowAssets, _totalBorrowShares);
    }

    /// @inheritdoc IPool
    function healthFactor(address account) external view returns (uint256) {
        AccountLiquidity memory liquidity = accountLiquidity(account);
        return RiskMath.healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
    }

    /// @inheritdoc IPool
    function accountLiquidity(address account) public view returns (AccountLiquidity memory liquidity) {
        (, , uint256 borrowAssets) = _accruedTotals();
        liquidity = _collateralLiquidity(account);
        liquidity.debt = uint256(_positions[account].borrowShares).toAssetsUp(borrowAssets, _totalBorrowShares);
    }

    /// @inheritdoc IPool
    function accountShortfall(
        address account
    ) external view returns (uint256 shortfallAssets, uint256 debtAssets, uint256 recoveryValue) {
        (, , uint256 borrowAssets) = _accruedTotals();
        debtAssets = uint256(_positions[account].borrowShares).toAssetsUp(borrowAssets, _totalBorrowShares);
        PriceBook memory book;
        recoveryValue = _valueAccount(account, book).recoveryValue;
        shortfallAssets = _zeroFloorSub(debtAssets, recoveryValue);
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
        _positions[account].borrowShares = uint128(accountShares - repaidShares);
        _totalBorrowShares -= uint128(repaidShares);
        _totalBorrowAssets = uint128(_zeroFloorSub(_totalBorrowAssets, repaidAssets));
    }

    /// @dev The loss waterfall: the debt leaves the books with its recognized shortfall, the reserve covers what it
    ///      can, the rest lowers LP assets for every LP at once. The only path that lowers LP assets.
    function _realizeBadDebt(address borrower) internal returns (uint256 badDebtAssets) {
        Position memory position = _positions[borrower];
        uint256 totalBorrow = _totalBorrowAssets;
        badDebtAssets = Math.min(
            uint256(position.borrowShares).toAssetsUp(totalBorrow, _totalBorrowShares),
            totalBorrow
        );

        uint256 reserve = _reserveAssets;
        uint256 totalShortfall = _totalShortfallAssets;
        uint256 lpAssetsBefore = _totalLpAssets;
        uint256 sharePriceBefore = _sharePriceAt(_exitLpAssets(lpAssetsBefore, reserve, totalShortfall));

        delete _positions[borrower];
        _totalBorrowShares -= position.borrowShares;
        _totalBorrowAssets = uint128(totalBorrow - badDebtAssets);
        if (position.shortfallAssets > 0) {
            totalShortfall -= position.shortfallAssets;
            _totalShortfallAssets = uint112(totalShortfall);
            emit ShortfallUpdated(borrower, position.shortfallAssets, 0, totalShortfall);
        }

        uint256 coveredByReserve = Math.min(reserve, badDebtAssets);
        uint256 socializedAssets = badDebtAssets - coveredByReserve;
        reserve -= coveredByReserve;
        _reserveAssets = uint128(reserve);
        uint256 lpAssetsAfter = lpAssetsBefore - socializedAssets;
        _totalLpAssets = uint128(lpAssetsAfter);
        emit BadDebtRealized(
            borrower,
            badDebtAssets,
            coveredByReserve,
            socializedAssets,
            sharePriceBefore,
            _sharePriceAt(_exitLpAssets(lpAssetsAfter, reserve, totalShortfall))
        );
    }

    /// @dev The account's recovery value once `seizedCollateral` of its `collateralBalance` is gone.
    function _recoveryAfterSeizure(
        Valuation memory valuation,
        address collateral,
        uint256 collateralBalance,
        uint256 seizedCollateral,
        uint256 priceE36
    ) internal view returns (uint256) {
        uint256 bonusBps = _collaterals[collateral].liquidationBonusBps;
        return
            valuation.recoveryValue -
            RiskMath.repaidForSeizedDown(collateralBalance, bonusBps, priceE36) +
            RiskMath.repaidForSeizedDown(collateralBalance - seizedCollateral, bonusBps, priceE36);
    }

    /// @dev Records `account`'s shortfall from its current debt and `recoveryValue` (state must be accrued).
    function _refreshShortfall(address account, uint256 recoveryValue) internal {
        Position memory position = _positions[account];
        uint256 debt = uint256(position.borrowShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
        _setShortfall(account, position.shortfallAssets, _zeroFloorSub(debt, recoveryValue));
    }

    /// @dev Values `account` at the oracles' prices now and records its shortfall (accrues first).
    function _recognizeLoss(address account) internal {
        _accrueInterest();
        PriceBook memory book;
        uint256 recoveryValue = _valueAccount(account, book).recoveryValue; // an unpriced collateral counts 0 here
        _recordTrustedPrices(book);
        _refreshShortfall(account, recoveryValue);
    }

    /// @dev Sets `account`'s recognized shortfall from `shortfallBefore` to `shortfallAfter` and the pool's total.
    function _setShortfall(address account, uint256 shortfallBefore, uint256 shortfallAfter) internal {
        if (shortfallAfter == shortfallBefore) return;
        _positions[account].shortfallAssets = shortfallAfter.toUint128();
        uint256 totalShortfall = uint256(_totalShortfallAssets) + shortfallAfter - shortfallBefore;
        _totalShortfallAssets = totalShortfall.toUint112();
        emit ShortfallUpdated(account, shortfallBefore, shortfallAfter, totalShortfall);
    }

    /// @dev Takes every collateral of `borrower` whose oracle answered out of its position (each at its own bonus);
    ///      one whose oracle failed stays escrowed in the account.
    function _seizePricedCollateral(address borrower, PriceBook memory book) internal returns (Seizure memory seizure) {
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            if (book.failed & (1 << i) != 0) continue;
            address collateral = _collateralList[i];
            uint256 balance = _collateralBalances[borrower][collateral];
            if (balance == 0) continue;
            (uint256 priceE36, uint256 bonusBps) = (book.pricesE36[i], _collaterals[collateral].liquidationBonusBps);
            _collateralBalances[borrower][collateral] = 0;
            seizure.collateralAssets[i] = balance;
            seizure.repaidAssets[i] = RiskMath.repaidForSeizedUp(balance, bonusBps, priceE36);
            seizure.totalRepaidAssets += seizure.repaidAssets[i];
            seizure.seizedRecovery += RiskMath.repaidForSeizedDown(balance, bonusBps, priceE36);
            seizure.seizedValue += RiskMath.valueDown(balance, priceE36);
        }
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
            bool creditedInPool = _sendCollateral(collateral, receiver, balance);
            emit DustCollateralSwept(borrower, collateral, receiver, balance, creditedInPool);
        }
    }

    /// @dev Sends `assets` of a collateral already taken out of an account to `receiver`. A token that refuses the
    ///      transfer (paused, blacklist) must not block a liquidation: the assets are then credited to `receiver`'s
    ///      collateral balance in the pool, to withdraw later.
    function _sendCollateral(address collateral, address receiver, uint256 assets) internal returns (bool credited) {
        credited = !IERC20(collateral).trySafeTransfer(receiver, assets);
        if (credited) _collateralBalances[receiver][collateral] += assets;
        else _collaterals[collateral].totalSupplied -= uint128(assets);
    }

    /// @dev Repaid and seized amounts of a liquidation (state must be accrued) and whether the call realizes the
    ///      residual debt. Reverts unless the borrower is liquidatable.
    function _liquidationAmounts(
        address borrower,
        address collateral,
        uint256 collateralBalance,
        uint256 repayAssets,
        Valuation memory valuation,
        uint256 debt,
        uint256 priceE36
    ) internal view returns (uint256 repaidAssets, uint256 seizedCollateral, bool realizesBadDebt) {
        uint256 health = RiskMath.healthFactorDown(valuation.liquidationLimit, debt);
        if (health >= RiskMath.WAD) revert PositionHealthy(borrower, health);

        uint256 bonusBps = _collaterals[collateral].liquidationBonusBps;
        uint256 seizableValue = RiskMath.valueDown(collateralBalance, priceE36);
        LiquidationParams memory params = _liquidationParamsView();
        uint256 maxRepay = RiskMath.maxRepayUp(
            debt,
            health,
            valuation.collateralValue,
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
        if (repaidAssets >= debt) return (repaidAssets, seizedCollateral, false);
        uint256 remainingCollateralValue =
            valuation.collateralValue -
                seizableValue +
                RiskMath.valueDown(collateralBalance - seizedCollateral, priceE36);
        if (remainingCollateralValue > params.dustThresholdAssets) return (repaidAssets, seizedCollateral, false);
        // Debt remains behind collateral worth at most dust. A partial seizure may not leave that state: it would hand
        // the dust to the liquidator and the debt it could still cover to the LPs; repaying more (the close factor
        // lifts here) seizes it all. After a full seizure the residual debt is realized now (atomic mutualization),
        // unless the dust left still covers it, in which case it waits for the next liquidation.
        if (seizedCollateral < collateralBalance) {
            revert LiquidationLeavesDust(remainingCollateralValue, params.dustThresholdAssets);
        }
        realizesBadDebt = remainingCollateralValue < debt - repaidAssets;
    }

    /// @dev Values every collateral `account` holds with the prices of `book` (loading each at most once per call).
    function _valueAccount(address account, PriceBook memory book) internal view returns (Valuation memory valuation) {
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            address collateral = _collateralList[i];
            uint256 balance = _collateralBalances[account][collateral];
            if (balance == 0) continue;
            Collateral storage config = _collaterals[collateral];
            uint256 priceE36 = _bookPrice(book, i, config);
            if (book.expired & (1 << i) != 0) valuation.unpricedCollateral = collateral;
            uint256 value = RiskMath.valueDown(balance, priceE36);
            valuation.collateralValue += value;
            valuation.liquidationLimit += RiskMath.bpsDown(value, config.liquidationThresholdBps);
            valuation.recoveryValue += RiskMath.repaidForSeizedDown(balance, config.liquidationBonusBps, priceE36);
        }
    }

    /// @dev Accrues, then loads what a decision against `borrower` needs: its borrow shares and debt (`NoDebt`
    ///      without) and its valuation (`PriceUnavailable` while a collateral it holds is unpriced).
    function _loadDebtor(
        address borrower
    ) internal returns (uint256 accountShares, uint256 debt, PriceBook memory book, Valuation memory valuation) {
        _accrueInterest();
        accountShares = _positions[borrower].borrowShares;
        if (accountShares == 0) revert NoDebt(borrower);
        valuation = _valuePricedAccount(borrower, book);
        debt = accountShares.toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
    }

    /// @dev `_valueAccount` for a decision that acts against the account: reverts unless every collateral it holds
    ///      has a live price or a recent trusted one.
    function _valuePricedAccount(
        address account,
        PriceBook memory book
    ) internal view returns (Valuation memory valuation) {
        valuation = _valueAccount(account, book);
        if (valuation.unpricedCollateral != address(0)) revert PriceUnavailable(valuation.unpricedCollateral);
    }

    /// @dev The price of the collateral at listing index `index`: the oracle's, or its last trusted price if the
    ///      oracle fails and that price is at most `MAX_TRUSTED_PRICE_AGE` old (a healthy account is never made
    ///      liquidatable by a broken feed, nor priced below a recent trusted value); else 0, marked `expired`.
    function _bookPrice(
        PriceBook memory book,
        uint256 index,
        Collateral storage config
    ) internal view returns (uint256) {
        uint256 bit = 1 << index;
        if (book.loaded & bit == 0) {
            (uint256 priceE36, bool live) = _tryPrice(config.oracle);
            if (!live) {
                book.failed |= bit;
                if (block.timestamp - config.lastTrustedAt <= MAX_TRUSTED_PRICE_AGE)
                    priceE36 = config.lastTrustedPriceE36;
                else book.expired |= bit;
            }
            book.pricesE36[index] = priceE36;
            book.loaded |= bit;
        }
        return book.pricesE36[index];
    }

    /// @dev The oracle's live price of `collateral` from `book`; reverts if the account does not hold it priced live.
    function _livePrice(PriceBook memory book, address collateral) internal view returns (uint256) {
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            if (_collateralList[i] != collateral) continue;
            if (book.failed & (1 << i) != 0) revert PriceUnavailable(collateral);
            return book.pricesE36[i];
        }
        revert CollateralNotListed(collateral);
    }

    /// @dev Stores every live price of `book` as last trusted price, when it differs from the stored one or that is
    ///      a quarter of `MAX_TRUSTED_PRICE_AGE` old (so an unchanged price is re-dated a few times a day, not every
    ///      block).
    function _recordTrustedPrices(PriceBook memory book) internal {
        uint256 live = book.loaded & ~book.failed;
        for (uint256 i; live != 0; ++i) {
            if (live & (1 << i) == 0) continue;
            live &= ~(1 << i);
            address collateral = _collateralList[i];
            Collateral storage config = _collaterals[collateral];
            bool recent = block.timestamp - config.lastTrustedAt < MAX_TRUSTED_PRICE_AGE / 4;
            if (config.lastTrustedPriceE36 == book.pricesE36[i] && recent) continue;
            _setTrustedPrice(config, collateral, book.pricesE36[i]);
        }
    }

    /// @dev Stores `priceE36` (a live oracle answer) as `collateral`'s last trusted price, dated now.
    function _setTrustedPrice(Collateral storage config, address collateral, uint256 priceE36) internal {
        config.lastTrustedPriceE36 = uint192(priceE36); // _tryPrice answers at most type(uint192).max
        config.lastTrustedAt = uint64(block.timestamp);
        emit LastTrustedPriceUpdated(collateral, priceE36);
    }

    /// @dev The oracle's price, and whether it gave one: a revert, a short answer, 0 or above 2^192 count as none.
    ///      Reads 32 bytes at most, so an oracle cannot make the pool copy a large return.
    function _tryPrice(IPriceOracle oracle) internal view returns (uint256 priceE36, bool live) {
        bytes4 selector = IPriceOracle.price.selector;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, selector)
            let success := staticcall(gas(), oracle, 0x00, 0x04, 0x00, 0x20)
            if and(success, gt(returndatasize(), 0x1f)) {
                priceE36 := mload(0x00)
            }
        }
        // A price beyond 2^192 (6e57) is no answer either: no real collateral has one, and the pool stores 192 bits.
        if (priceE36 > type(uint192).max) priceE36 = 0;
        live = priceE36 != 0;
    }

    /// @dev Values every collateral the account holds at live prices (rounded down); reverts if an oracle fails.
    function _collateralLiquidity(address account) internal view returns (AccountLiquidity memory liquidity) {
        uint256 count = _collateralCount;
        for (uint256 i; i < count; ++i) {
            address collateral = _collateralList[i];
            uint256 balance = _collateralBalances[account][collateral];
            if (balance == 0) continue;
            Collateral storage config = _collaterals[collateral];
            uint256 priceE36 = config.oracle.price();
            if (priceE36 == 0) revert ZeroPrice(collateral);
            uint256 value = RiskMath.valueDown(balance, priceE36);
            liquidity.collateralValue += value;
            liquidity.borrowLimit += RiskMath.bpsDown(value, config.ltvBps);
            liquidity.liquidationLimit += RiskMath.bpsDown(value, config.liquidationThresholdBps);
        }
    }

    /// @dev Reverts unless `account`'s debt (state must be accrued) is within its borrow limit at live prices.
    function _requireWithinBorrowLimit(address account) internal view {
        AccountLiquidity memory liquidity = _collateralLiquidity(account);
        uint256 debt = uint256(_positions[account].borrowShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
        if (debt > liquidity.borrowLimit) revert ExceedsBorrowLimit(account, debt, liquidity.borrowLimit);
    }

    /// @dev LP assets net of the recognized shortfall the reserve does not cover: the exit figure.
    function _exitLpAssets(uint256 lpAssets, uint256 reserve, uint256 totalShortfall) internal pure returns (uint256) {
        return _zeroFloorSub(lpAssets, _zeroFloorSub(totalShortfall, reserve));
    }

    /// @dev Shares worth `assets` when LPs own `lpAssets` (OpenZeppelin's virtual-offset formula).
    function _sharesAt(uint256 assets, uint256 lpAssets, Math.Rounding rounding) internal view returns (uint256) {
        return Math.mulDiv(assets, totalSupply() + 10 ** DECIMALS_OFFSET, lpAssets + 1, rounding);
    }

    /// @dev Assets worth `shares` when LPs own `lpAssets`.
    function _assetsAt(uint256 shares, uint256 lpAssets, Math.Rounding rounding) internal view returns (uint256) {
        return Math.mulDiv(shares, lpAssets + 1, totalSupply() + 10 ** DECIMALS_OFFSET, rounding);
    }

    /// @dev Assets per 10**decimals() shares when LPs own `lpAssets`, rounded down, as `sharePrice()` computes it.
    function _sharePriceAt(uint256 lpAssets) internal view returns (uint256) {
        return _assetsAt(10 ** decimals(), lpAssets, Math.Rounding.Floor);
    }

    /// @dev Pulls exactly `assets` of `token`, rejecting fee-on-transfer behaviour.
    function _pullExact(IERC20 token, address from, uint256 assets) internal {
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), assets);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != assets) revert FeeOnTransferNotSupported(address(token), assets, received);
    }
}
