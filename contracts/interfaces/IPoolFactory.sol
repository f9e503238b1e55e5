// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IRateModel} from "./IRateModel.sol";
import {LiquidationParams} from "./IPool.sol";

/// @notice What a new pool is created with.
/// @param loanAsset The loan asset (6 to 18 decimals).
/// @param name Name of the LP share token.
/// @param symbol Symbol of the LP share token.
/// @param owner Risk manager of the pool (Ownable2Step).
/// @param guardian May pause and unpause the pool (may be zero).
/// @param rateModel Interest rate model.
/// @param reserveFactorBps Share of interest that goes to the reserve.
/// @param liquidationParams Close factor, full-liquidation health factor, dust threshold.
struct PoolConfig {
    IERC20Metadata loanAsset;
    string name;
    string symbol;
    address owner;
    address guardian;
    IRateModel rateModel;
    uint256 reserveFactorBps;
    LiquidationParams liquidationParams;
}

/// @title IPoolFactory
/// @notice Deploys pools at deterministic addresses and keeps a registry of them.
interface IPoolFactory {
    /// @notice A pool was created.
    event PoolCreated(address indexed pool, address indexed loanAsset, address indexed owner, bytes32 salt);

    /// @notice The pool owner is the zero address.
    error ZeroOwner();

    /// @notice The factory was constructed without pool creation code.
    error EmptyPoolCreationCode();

    /// @notice A code store holding part of the pool creation code could not be deployed.
    error CodeStoreFailed();

    /// @notice A pool with this exact config and salt exists already (same CREATE2 address).
    error PoolAlreadyExists(address loanAsset, bytes32 salt);

    /// @notice Deploys a pool with CREATE2; its address depends on the config and the salt only.
    /// @dev Permissionless: anyone may create a pool they own. Registry readers should filter by owner.
    /// @param config The pool's configuration.
    /// @param salt A salt, so the same loan asset can have several pools.
    /// @return pool The new pool.
    function createPool(PoolConfig calldata config, bytes32 salt) external returns (address pool);

    /// @notice keccak256 of the pool creation code (without constructor arguments) this factory deploys: compare it
    ///         with the compiled `Pool` artifact's bytecode to check what the factory creates.
    /// @return codeHash The hash.
    function poolCreationCodeHash() external view returns (bytes32 codeHash);

    /// @notice The address `createPool(config, salt)` deploys to (or deployed to).
    /// @param config The pool's configuration.
    /// @param salt The salt.
    /// @return pool The address.
    function computePoolAddress(PoolConfig calldata config, bytes32 salt) external view returns (address pool);

    /// @notice Whether `pool` was deployed by this factory.
    /// @param pool The address.
    /// @return created True for a pool of this factory.
    function isPool(address pool) external view returns (bool created);

    /// @notice All pools of this factory, in creation order.
    /// @return pools The pools.
    function allPools() external view returns (address[] memory pools);

    /// @notice The pools of one loan asset, in creation order.
    /// @param loanAsset The loan asset.
    /// @return pools The pools.
    function poolsOf(address loanAsset) external view returns (address[] memory pools);

    /// @notice Number of pools created.
    /// @return count The number.
    function poolCount() external view returns (uint256 count);
}
