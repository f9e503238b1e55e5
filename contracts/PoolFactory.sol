// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {IPoolFactory, PoolConfig} from "./interfaces/IPoolFactory.sol";
import {Pool} from "./Pool.sol";

/// @title PoolFactory
/// @notice Deploys pools with CREATE2 and keeps a registry. See {IPoolFactory}.
contract PoolFactory is IPoolFactory {
    address[] internal _allPools;
    mapping(address pool => bool) internal _isPool;
    mapping(address loanAsset => address[]) internal _poolsOf;

    /// @inheritdoc IPoolFactory
    function createPool(PoolConfig calldata config, bytes32 salt) external returns (address pool) {
        if (config.owner == address(0)) revert ZeroOwner();
        bytes memory initCode = _initCode(config);
        bytes32 create2Salt = _salt(config, salt);
        if (Create2.computeAddress(create2Salt, keccak256(initCode)).code.length > 0) {
            revert PoolAlreadyExists(address(config.loanAsset), salt);
        }
        // A constructor's own custom error (e.g. UnsupportedDecimals) is passed on unchanged.
        pool = Create2.deploy(0, create2Salt, initCode);
        _allPools.push(pool);
        _isPool[pool] = true;
        _poolsOf[address(config.loanAsset)].push(pool);
        emit PoolCreated(pool, address(config.loanAsset), config.owner, salt);
    }

    /// @inheritdoc IPoolFactory
    function computePoolAddress(PoolConfig calldata config, bytes32 salt) external view returns (address) {
        return Create2.computeAddress(_salt(config, salt), keccak256(_initCode(config)));
    }

    /// @inheritdoc IPoolFactory
    function isPool(address pool) external view returns (bool) {
        return _isPool[pool];
    }

    /// @inheritdoc IPoolFactory
    function allPools() external view returns (address[] memory) {
        return _allPools;
    }

    /// @inheritdoc IPoolFactory
    function poolsOf(address loanAsset) external view returns (address[] memory) {
        return _poolsOf[loanAsset];
    }

    /// @inheritdoc IPoolFactory
    function poolCount() external view returns (uint256) {
        return _allPools.length;
    }

    /// @dev Pool creation code followed by its ABI-encoded constructor arguments.
    function _initCode(PoolConfig calldata config) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                type(Pool).creationCode,
                abi.encode(
                    config.loanAsset,
                    config.name,
                    config.symbol,
                    config.owner,
                    config.guardian,
                    config.rateModel,
                    config.reserveFactorBps,
                    config.liquidationParams
                )
            );
    }

    /// @dev The CREATE2 salt binds the loan asset and the caller's salt, so one salt serves every loan asset.
    function _salt(PoolConfig calldata config, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(config.loanAsset, salt));
    }
}
