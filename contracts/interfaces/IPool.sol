// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IPriceOracle} from "./IPriceOracle.sol";
import {IRateModel} from "./IRateModel.sol";

/// @notice Risk parameters of one collateral asset of a pool.
/// @param oracle Prices the collateral in loan-asset units (scaled by 1e36).
/// @param ltvBps Borrow limit as a share of the collateral's value, in basis points.
/// @param liquidationThresholdBps Share of the collateral's value under which debt becomes liquidatable, in bps.
/// @param liquidationBonusBps Extra collateral a liquidator receives on top of the repaid value, in bps.
/// @param supplyCap Most collateral assets the pool holds in total (in the collateral's smallest unit).
/// @param enabled Whether new collateral may be supplied. Disabled collateral still counts and can be seized.
struct CollateralParams {
    IPriceOracle oracle;
    uint16 ltvBps;
    uint16 liquidationThresholdBps;
    uint16 liquidationBonusBps;
    uint128 supplyCap;
    bool enabled;
}

/// @notice Liquidation parameters of a pool.
/// @param closeFactorBps Most of the debt one liquidation may repay while the health factor is at or above
///        `fullLiquidationHealthFactor`, in bps.
/// @param fullLiquidationHealthFactor Health factor (1e18 = 1) under which the whole debt may be repaid at once.
/// @param dustThresholdAssets Collateral value or remaining debt, in loan-asset units, at or below which a position
///        counts as dust: it may be liquidated in full, and its residual debt is realized as bad debt.
struct LiquidationParams {
    uint16 closeFactorBps;
    uint64 fullLiquidationHealthFactor;
    uint96 dustThresholdAssets;
}

/// @notice An account's position valued in loan-asset units, with interest accrued up to now.
/// @param collateralValue Value of all its collateral.
/// @param borrowLimit Most it may owe after a borrow or collateral withdrawal (collateral value × LTV).
/// @param liquidationLimit Debt above which it may be liquidated (collateral value × liquidation threshold).
/// @param debt What it owes, rounded up.
struct AccountLiquidity {
    uint256 collateralValue;
    uint256 borrowLimit;
    uint256 liquidationLimit;
    uint256 debt;
}

/// @title IPoolErrors
/// @notice Every revert a user of a pool can hit, with the offending values.
interface IPoolErrors {
    error ZeroAddress();
    error ZeroAmount();
    error ZeroShares(uint256 assets);
    error ZeroAssets(uint256 shares);
    error SharesBelowMinimum(uint256 shares, uint256 minShares);
    error SharesAboveMaximum(uint256 shares, uint256 maxShares);
    error AssetsBelowMinimum(uint256 assets, uint256 minAssets);
    error AssetsAboveMaximum(uint256 assets, uint256 maxAssets);
    error PermitFailed(address owner, uint256 allowance, uint256 assets);
    error InsufficientCash(uint256 requestedAssets, uint256 cashAssets);
    error InsufficientReserve(uint256 requestedAssets, uint256 reserveAssets);
    error InsufficientCollateral(address account, address collateral, uint256 balance, uint256 requested);
    error ExceedsBorrowLimit(address account, uint256 debt, uint256 borrowLimit);
    error RepayBelowOneShare(uint256 assets);
    error NoDebt(address account);
    error PositionHealthy(address account, uint256 healthFactor);
    error NoCollateralToSeize(address account, address collateral);
    error SeizedBelowMinimum(uint256 seizedCollateral, uint256 minSeizedCollateral);
    error CollateralAboveDust(address account, uint256 collateralValue, uint256 dustThresholdAssets);
    error CollateralCoversDebt(address account, uint256 collateralValue, uint256 debt);
    error LiquidationLeavesDust(uint256 remainingCollateralValue, uint256 dustThresholdAssets);
    error CollateralNotListed(address collateral);
    error CollateralAlreadyListed(address collateral);
    error CollateralDisabled(address collateral);
    error TooManyCollaterals(uint256 maxCollaterals);
    error SupplyCapExceeded(address collateral, uint256 totalSupplied, uint256 supplyCap);
    error ZeroPrice(address collateral);
    error InvalidCollateral(address collateral);
    error UnsupportedDecimals(address token, uint8 decimals);
    error FeeOnTransferNotSupported(address token, uint256 expected, uint256 received);
    error InvalidLtv(uint256 ltvBps, uint256 liquidationThresholdBps);
    error InvalidLiquidationThreshold(uint256 liquidationThresholdBps, uint256 maxBps);
    error InvalidLiquidationBonus(uint256 liquidationBonusBps, uint256 maxBps);
    error LiquidationDoesNotImproveHealth(uint256 liquidationThresholdBps, uint256 liquidationBonusBps);
    error InvalidReserveFactor(uint256 reserveFactorBps, uint256 maxBps);
    error InvalidCloseFactor(uint256 closeFactorBps);
    error InvalidFullLiquidationHealthFactor(uint256 fullLiquidationHealthFactor);
    error Paused();
    error NotGuardian(address caller);
    error PriceUnavailable(address collateral);
    error AccountNotInsolvent(address account, uint256 debt, uint256 recoveryValue);
    error SeizedValueBelowMinimum(uint256 seizedValue, uint256 minSeizedValue);
    error NothingToClose(address account);
    error ReserveCommittedToShortfall(uint256 requestedAssets, uint256 withdrawableAssets, uint256 totalShortfall);
}

/// @title IPoolEvents
/// @notice Every state change of a pool, with indexed account fields. ERC-4626 `Deposit`/`Withdraw` and ERC-20
///         events come from the standards.
interface IPoolEvents {
    /// @notice Interest accrued: `interestAssets` were added to total borrows, `reserveAssetsAdded` of them to the
    ///         reserve and the rest to LP assets.
    event InterestAccrued(uint256 borrowRatePerSecondE18, uint256 interestAssets, uint256 reserveAssetsAdded);
    event SupplyCollateral(
        address indexed caller,
        address indexed onBehalf,
        address indexed collateral,
        uint256 assets
    );
    event WithdrawCollateral(
        address indexed account,
        address indexed receiver,
        address indexed collateral,
        uint256 assets
    );
    event Borrow(address indexed account, address indexed receiver, uint256 assets, uint256 shares);
    event Repay(address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares);
    /// @notice A liquidation: `repaidAssets` of `borrower`'s debt paid by `liquidator` for `seizedCollateral`.
    ///         `badDebtAssets` > 0 when the call also realized the residual debt (see `BadDebtRealized`).
    event Liquidate(
        address indexed liquidator,
        address indexed borrower,
        address indexed collateral,
        address receiver,
        uint256 repaidAssets,
        uint256 repaidShares,
        uint256 seizedCollateral,
        uint256 badDebtAssets
    );
    /// @notice Residual debt left the books. The reserve covered `coveredByReserve`; `socializedAssets` came out of
    ///         LP assets for every LP at once. `sharePriceBefore`/`sharePriceAfter` are `sharePrice()` (the exit price,
    ///         assets per 10**decimals() shares) just before and after: when the loss was already recognized, the
    ///         exit price had fallen then, and the realization moves it little or not at all.
    event BadDebtRealized(
        address indexed borrower,
        uint256 badDebtAssets,
        uint256 coveredByReserve,
        uint256 socializedAssets,
        uint256 sharePriceBefore,
        uint256 sharePriceAfter
    );
    /// @notice Dust collateral of an account whose bad debt was realized went to `receiver`: transferred, or, when
    ///         the token refused the transfer, credited to `receiver`'s collateral balance in the pool
    ///         (`creditedInPool`), to withdraw with `withdrawCollateral`.
    event DustCollateralSwept(
        address indexed borrower,
        address indexed collateral,
        address indexed receiver,
        uint256 assets,
        bool creditedInPool
    );
    event ReserveDonated(address indexed donor, uint256 assets);
    event ReserveWithdrawn(address indexed receiver, uint256 assets);
    event CollateralListed(address indexed collateral, CollateralParams params);
    event CollateralParamsUpdated(address indexed collateral, CollateralParams oldParams, CollateralParams newParams);
    event ReserveFactorUpdated(uint256 oldReserveFactorBps, uint256 newReserveFactorBps);
    event RateModelUpdated(address indexed oldRateModel, address indexed newRateModel);
    event LiquidationParamsUpdated(LiquidationParams oldParams, LiquidationParams newParams);
    event GuardianUpdated(address indexed oldGuardian, address indexed newGuardian);
    event PausedUpdated(address indexed caller, bool oldPaused, bool newPaused);
    /// @notice An account's recognized shortfall (its debt minus what liquidating all its collateral would recover)
    ///         changed from `shortfallBefore` to `shortfallAfter`; `totalShortfall` is the pool's sum afterwards.
    ///         Exits are priced net of `totalShortfall − reserve` (when positive), so this event moves the exit price.
    event ShortfallUpdated(
        address indexed account,
        uint256 shortfallBefore,
        uint256 shortfallAfter,
        uint256 totalShortfall
    );
    /// @notice An insolvent account was closed in one call: every collateral whose oracle answered was seized (see
    ///         `CollateralSeized`), `repaidAssets` of its debt were paid by `liquidator`, and `badDebtAssets` were
    ///         realized (see `BadDebtRealized`). `seizedValue` is the seized collateral's value at the oracle prices.
    event InsolventAccountClosed(
        address indexed liquidator,
        address indexed borrower,
        address receiver,
        uint256 repaidAssets,
        uint256 repaidShares,
        uint256 seizedValue,
        uint256 badDebtAssets
    );
    /// @notice One collateral seized by `closeInsolventAccount`: `assets` went to `receiver` for `repaidAssets` of
    ///         the debt, transferred, or, when the token refused the transfer, credited to `receiver`'s collateral
    ///         balance in the pool (`creditedInPool`).
    event CollateralSeized(
        address indexed borrower,
        address indexed collateral,
        address indexed receiver,
        uint256 assets,
        uint256 repaidAssets,
        bool creditedInPool
    );
    /// @notice The price the pool falls back on while `collateral`'s oracle fails was set to `priceE36`, the
    ///         oracle's answer at this block (listing, liquidation, close, recognition or `refreshTrustedPrices`).
    event LastTrustedPriceUpdated(address indexed collateral, uint256 priceE36);
}

/// @title IPool
/// @notice A lending pool for one loan asset whose LPs mutualize bad debt.
/// @dev LPs hold ERC-4626 shares. Borrowers post up to 8 collateral assets and owe borrow shares over an accruing
///      index. A liquidation that leaves debt with collateral worth at most the dust threshold realizes that debt
///      as bad debt: the reserve covers it first, the rest lowers the share price for all LPs at once.
///      `totalAssets()` = cash + total borrows (interest accrued to now) − reserve − max(0, total recognized
///      shortfall − reserve): the exit figure. Withdrawals, redemptions, `convertTo*` and `maxWithdraw`/`maxRedeem`
///      use it; deposits and mints are priced at `entryTotalAssets()` (without the shortfall deduction).
interface IPool is IERC4626, IERC20Permit, IPoolErrors, IPoolEvents {
    // ---------------------------------------------------------------- LP side (slippage-bounded ERC-4626)

    /// @notice `deposit`, reverting unless at least `minShares` are minted.
    /// @param assets Loan assets to deposit.
    /// @param receiver Receives the shares.
    /// @param minShares Fewest shares the caller accepts.
    /// @return shares Shares minted.
    function depositWithMinShares(
        uint256 assets,
        address receiver,
        uint256 minShares
    ) external returns (uint256 shares);

    /// @notice `depositWithMinShares` in one transaction with an EIP-2612 permit of the loan asset, so a wallet
    ///         deposits without a separate approval. A permit that fails (already used by someone who saw it in
    ///         the mempool, or a loan asset without permit) is ignored if the pool's allowance still covers
    ///         `assets`; otherwise the call reverts with `PermitFailed`.
    /// @param assets Loan assets to deposit; also the permit's value.
    /// @param receiver Receives the shares.
    /// @param minShares Fewest shares the caller accepts.
    /// @param deadline The permit's deadline (unix seconds).
    /// @param v The permit signature's recovery id.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return shares Shares minted.
    function depositWithPermit(
        uint256 assets,
        address receiver,
        uint256 minShares,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 shares);

    /// @notice `mint`, reverting if more than `maxAssets` would be pulled.
    /// @param shares Shares to mint.
    /// @param receiver Receives the shares.
    /// @param maxAssets Most loan assets the caller pays.
    /// @return assets Loan assets pulled.
    function mintWithMaxAssets(uint256 shares, address receiver, uint256 maxAssets) external returns (uint256 assets);

    /// @notice `withdraw`, reverting if more than `maxShares` would be burned.
    /// @param assets Loan assets to withdraw.
    /// @param receiver Receives the assets.
    /// @param owner Owner of the shares burned.
    /// @param maxShares Most shares the caller accepts to burn.
    /// @return shares Shares burned.
    function withdrawWithMaxShares(
        uint256 assets,
        address receiver,
        address owner,
        uint256 maxShares
    ) external returns (uint256 shares);

    /// @notice `redeem`, reverting unless at least `minAssets` are paid out.
    /// @param shares Shares to redeem.
    /// @param receiver Receives the assets.
    /// @param owner Owner of the shares burned.
    /// @param minAssets Fewest loan assets the caller accepts.
    /// @return assets Loan assets paid out.
    function redeemWithMinAssets(
        uint256 shares,
        address receiver,
        address owner,
        uint256 minAssets
    ) external returns (uint256 assets);

    // ---------------------------------------------------------------- Borrower side

    /// @notice Adds collateral to `onBehalf`'s position. Pausable. Refused while the collateral's oracle cannot
    ///         price it (reverts, or `ZeroPrice`), so no account can be made unliquidatable by unpriceable collateral.
    /// @param collateral A listed, enabled collateral asset.
    /// @param assets Amount, in the collateral's smallest unit.
    /// @param onBehalf Account credited.
    function supplyCollateral(address collateral, uint256 assets, address onBehalf) external;

    /// @notice Removes the caller's collateral; with debt, the position must stay within its borrow limit (LTV).
    ///         Never paused.
    /// @param collateral The collateral asset.
    /// @param assets Amount to withdraw.
    /// @param receiver Receives the collateral.
    function withdrawCollateral(address collateral, uint256 assets, address receiver) external;

    /// @notice Borrows loan assets against the caller's collateral; the position must stay within its borrow
    ///         limit. Pausable.
    /// @param assets Loan assets to borrow.
    /// @param receiver Receives the loan assets.
    /// @return shares Borrow shares added to the caller's debt (rounded up).
    function borrow(uint256 assets, address receiver) external returns (uint256 shares);

    /// @notice Repays `onBehalf`'s debt. An amount at or above the debt (e.g. `type(uint256).max`) repays it all,
    ///         pulling only what is owed. Never paused.
    /// @param assets Loan assets to repay.
    /// @param onBehalf Account whose debt is repaid.
    /// @return repaidAssets Loan assets pulled from the caller.
    /// @return repaidShares Borrow shares burned.
    function repay(uint256 assets, address onBehalf) external returns (uint256 repaidAssets, uint256 repaidShares);

    /// @notice Liquidates an account whose health factor is below 1: repays part of its debt and seizes
    ///         collateral worth the repaid value plus the collateral's bonus. If afterwards its collateral is worth
    ///         at most the dust threshold and less than the debt that remains, that residual debt is realized as bad
    ///         debt in this call and the dust collateral goes to `receiver`. Never paused; needs no idle cash.
    /// @dev `repayAssets` above the close factor, or above what the borrower's collateral covers, is capped. A
    ///      partial seizure that would leave debt and collateral worth at most the dust threshold reverts with
    ///      `LiquidationLeavesDust`: repay more (the close factor lifts) to seize the whole balance. Health counts a
    ///      collateral whose oracle fails at its last trusted price while at most `MAX_TRUSTED_PRICE_AGE` old (older:
    ///      `PriceUnavailable`); the seized collateral needs a live price (`PriceUnavailable`). The account's
    ///      recognized shortfall is refreshed afterwards, and the live prices read are stored as trusted.
    /// @param borrower The account liquidated.
    /// @param collateral The collateral seized.
    /// @param repayAssets Most loan assets the caller repays.
    /// @param minSeizedCollateral Fewest collateral assets the caller accepts.
    /// @param receiver Receives the seized collateral.
    /// @return repaidAssets Loan assets pulled from the caller.
    /// @return seizedCollateral Collateral sent to `receiver`.
    /// @return badDebtAssets Residual debt realized as bad debt (0 if none).
    function liquidate(
        address borrower,
        address collateral,
        uint256 repayAssets,
        uint256 minSeizedCollateral,
        address receiver
    ) external returns (uint256 repaidAssets, uint256 seizedCollateral, uint256 badDebtAssets);

    /// @notice Realizes the debt of an account whose collateral is worth at most the dust threshold and less than
    ///         its debt. Its dust collateral goes to the caller. Permissionless; never paused. Valued like
    ///         `liquidate` (a failing oracle at its recent trusted price, else `PriceUnavailable`).
    /// @param borrower The account.
    /// @return badDebtAssets The debt realized.
    function socializeBadDebt(address borrower) external returns (uint256 badDebtAssets);

    /// @notice Closes an insolvent account in one call: for an account whose collateral would recover less than
    ///         its debt if all of it were liquidated (a recognized or unrecognized shortfall), seizes every
    ///         collateral it holds at that collateral's bonus, repays what they cover and realizes the rest as bad
    ///         debt, all in this transaction. Collateral planted on the account is seized with the rest. A
    ///         collateral whose oracle fails is not seized: it stays escrowed for the account, valued at its last
    ///         trusted price, and the debt it backs stays; if it is worth at most the dust threshold, the residual
    ///         is realized anyway and that dust goes to `receiver`. Permissionless; never paused; needs no idle cash.
    /// @param borrower The insolvent account.
    /// @param minSeizedValue Fewest loan-asset units of collateral value (at the oracle prices) the caller accepts.
    /// @param receiver Receives the seized collateral.
    /// @return repaidAssets Loan assets pulled from the caller.
    /// @return seizedValue Value of the collateral seized, in loan-asset units (rounded down).
    /// @return badDebtAssets Residual debt realized as bad debt (0 if none).
    function closeInsolventAccount(
        address borrower,
        uint256 minSeizedValue,
        address receiver
    ) external returns (uint256 repaidAssets, uint256 seizedValue, uint256 badDebtAssets);

    /// @notice Recognizes losses: refreshes each account's recorded shortfall, `max(0, debt − Σ value_c / (1 +
    ///         bonus_c))`, in both directions (a recovered price releases it), so that exits are priced net of it from
    ///         this block on. Permissionless; never paused. An oracle that fails values its collateral at the last
    ///         trusted price while that is at most `MAX_TRUSTED_PRICE_AGE` old, and at 0 after (the pool's side: an
    ///         unpriceable collateral is not counted on to cover a loss).
    /// @param accounts The accounts to refresh (any; accounts without debt get a shortfall of 0).
    /// @return totalShortfall The pool's total recognized shortfall afterwards.
    function recognizeLosses(address[] calldata accounts) external returns (uint256 totalShortfall);

    /// @notice Stores every listed collateral's live oracle price as its last trusted price (the fallback while an
    ///         oracle fails, usable for `MAX_TRUSTED_PRICE_AGE`). Permissionless; keepers call it periodically.
    function refreshTrustedPrices() external;

    // ---------------------------------------------------------------- Reserve

    /// @notice Adds loan assets to the reserve, the first-loss buffer. Permissionless.
    /// @param assets Loan assets pulled from the caller.
    function donateToReserve(uint256 assets) external;

    /// @notice Withdraws reserve assets. Owner only. Cannot touch LP assets or collateral, nor the part of the
    ///         reserve that the recognized shortfall needs (`ReserveCommittedToShortfall`).
    /// @param assets Loan assets to withdraw, at most the reserve less the recognized shortfall, and the idle cash.
    /// @param receiver Receives the assets.
    function withdrawReserve(uint256 assets, address receiver) external;

    // ---------------------------------------------------------------- Admin

    /// @notice Lists a new collateral asset (at most 8). Owner only.
    /// @param collateral The collateral token (6 to 18 decimals, not the loan asset).
    /// @param params Its risk parameters.
    function listCollateral(address collateral, CollateralParams calldata params) external;

    /// @notice Replaces the risk parameters of a listed collateral. Owner only.
    /// @param collateral The collateral token.
    /// @param params Its new risk parameters.
    function setCollateralParams(address collateral, CollateralParams calldata params) external;

    /// @notice Sets the share of interest that goes to the reserve (at most 50%). Owner only; accrues first.
    /// @param reserveFactorBps The new reserve factor, in bps.
    function setReserveFactor(uint256 reserveFactorBps) external;

    /// @notice Replaces the interest rate model. Owner only; accrues first at the old rate.
    /// @param rateModel The new model.
    function setRateModel(IRateModel rateModel) external;

    /// @notice Sets the close factor, the full-liquidation health factor and the dust threshold. Owner only.
    /// @param params The new parameters.
    function setLiquidationParams(LiquidationParams calldata params) external;

    /// @notice Sets the guardian, who may pause and unpause. Owner only.
    /// @param guardian The new guardian (may be zero to have none).
    function setGuardian(address guardian) external;

    /// @notice Pauses or unpauses deposits, mints, borrows and collateral supply. Guardian or owner. Repay,
    ///         liquidate, socialize, withdraw, redeem and withdrawCollateral are never paused.
    /// @param paused Whether to pause.
    function setPaused(bool paused) external;

    // ---------------------------------------------------------------- Views

    /// @notice The account's debt in loan-asset units, with interest accrued up to now, rounded up.
    /// @param account The account.
    /// @return debtAssets The debt.
    function debtOf(address account) external view returns (uint256 debtAssets);

    /// @notice The account's balance of one collateral.
    /// @param account The account.
    /// @param collateral The collateral asset.
    /// @return collateralAssets The balance.
    function collateralOf(address account, address collateral) external view returns (uint256 collateralAssets);

    /// @notice Liquidation limit / debt, scaled by 1e18 (below 1e18 = liquidatable); `type(uint256).max` without
    ///         debt. Reverts if an oracle of a collateral the account holds cannot price it.
    /// @param account The account.
    /// @return healthFactorE18 The health factor, rounded down.
    function healthFactor(address account) external view returns (uint256 healthFactorE18);

    /// @notice Collateral value, borrow limit, liquidation limit and debt of an account, in loan-asset units.
    /// @param account The account.
    /// @return liquidity The figures.
    function accountLiquidity(address account) external view returns (AccountLiquidity memory liquidity);

    /// @notice Borrow shares owed by an account.
    /// @param account The account.
    /// @return shares Its borrow shares.
    function borrowSharesOf(address account) external view returns (uint256 shares);

    /// @notice Loan assets held by the pool and not lent out (LP assets + reserve − borrows).
    /// @return cashAssets The idle cash.
    function cash() external view returns (uint256 cashAssets);

    /// @notice Total debt of all borrowers, with interest accrued up to now.
    /// @return borrowAssets The total borrows.
    function totalBorrowAssets() external view returns (uint256 borrowAssets);

    /// @notice Total borrow shares.
    /// @return shares The total borrow shares.
    function totalBorrowShares() external view returns (uint256 shares);

    /// @notice The reserve (first-loss buffer), with interest accrued up to now.
    /// @return reserveAssets The reserve.
    function reserveAssets() external view returns (uint256 reserveAssets);

    /// @notice The exit price: loan assets per 10**decimals() shares, rounded down, with interest accrued up to now
    ///         and net of the recognized shortfall the reserve does not cover.
    /// @return assetsPerShareUnit The share price.
    function sharePrice() external view returns (uint256 assetsPerShareUnit);

    /// @notice The current per-second borrow rate, scaled by 1e18: the rate model's answer, capped at 1000% APR.
    /// @return ratePerSecondE18 The rate.
    function borrowRatePerSecond() external view returns (uint256 ratePerSecondE18);

    /// @notice The timestamp of the last interest accrual.
    /// @return timestamp The timestamp.
    function lastAccrualTimestamp() external view returns (uint256 timestamp);

    /// @notice Accrues interest up to now. Permissionless.
    function accrueInterest() external;

    /// @notice The collateral assets listed, in listing order.
    /// @return collaterals The list.
    function collaterals() external view returns (address[] memory collaterals);

    /// @notice A collateral's risk parameters.
    /// @param collateral The collateral asset.
    /// @return params Its parameters (zero oracle when not listed).
    function collateralParams(address collateral) external view returns (CollateralParams memory params);

    /// @notice Total amount of a collateral held by the pool for all accounts.
    /// @param collateral The collateral asset.
    /// @return assets The total.
    function totalCollateral(address collateral) external view returns (uint256 assets);

    /// @notice The liquidation parameters.
    /// @return params The parameters.
    function liquidationParams() external view returns (LiquidationParams memory params);

    /// @notice The share of interest that goes to the reserve, in bps.
    /// @return reserveFactorBps The reserve factor.
    function reserveFactorBps() external view returns (uint256 reserveFactorBps);

    /// @notice The interest rate model.
    /// @return rateModel The model.
    function rateModel() external view returns (IRateModel rateModel);

    /// @notice The guardian.
    /// @return guardian The guardian.
    function guardian() external view returns (address guardian);

    /// @notice Whether deposits, mints, borrows and collateral supply are paused.
    /// @return isPaused The pause state.
    function paused() external view returns (bool isPaused);

    // ---------------------------------------------------------------- Loss recognition

    /// @notice An account's recognized shortfall, as last refreshed.
    /// @param account The account.
    /// @return shortfallAssets Its debt minus what liquidating all its collateral recovers (0 if none), in loan-asset
    ///         units.
    function recognizedShortfall(address account) external view returns (uint256 shortfallAssets);

    /// @notice The sum of all recognized shortfalls. The part the reserve does not cover is deducted from every exit.
    /// @return shortfallAssets The total.
    function totalRecognizedShortfall() external view returns (uint256 shortfallAssets);

    /// @notice The shortfall a refresh of `account` would record now, with the figures it comes from.
    /// @param account The account.
    /// @return shortfallAssets `max(0, debt − recoveryValue)`.
    /// @return debtAssets Its debt, rounded up.
    /// @return recoveryValue What liquidating all its collateral would repay, rounded down (collateral whose oracle
    ///         fails at its last trusted price while at most `MAX_TRUSTED_PRICE_AGE` old, else 0).
    function accountShortfall(
        address account
    ) external view returns (uint256 shortfallAssets, uint256 debtAssets, uint256 recoveryValue);

    /// @notice The price the pool uses for a collateral while its oracle fails (reverts or returns 0), for at most
    ///         `MAX_TRUSTED_PRICE_AGE` after `updatedAt`.
    /// @param collateral The collateral asset.
    /// @return priceE36 Its last trusted price, scaled by 1e36.
    /// @return updatedAt When the pool last read it from the oracle (unix seconds).
    function lastTrustedPrice(address collateral) external view returns (uint256 priceE36, uint256 updatedAt);

    /// @notice LP assets before the recognized shortfall: what entries (`deposit`, `mint` and their previews) are
    ///         priced at, so nobody buys shares cheap from a loss that may still be released.
    /// @return lpAssets Cash + borrows (interest to now) − reserve.
    function entryTotalAssets() external view returns (uint256 lpAssets);

    /// @notice Loan assets one whole share (10**decimals()) costs to mint, rounded down: the entry price.
    /// @return assetsPerShareUnit The entry share price.
    function entrySharePrice() external view returns (uint256 assetsPerShareUnit);
}
