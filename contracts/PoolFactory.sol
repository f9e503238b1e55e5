// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

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
        try
            new Pool{salt: _salt(config, salt)}(
                config.loanAsset,
                config.name,
                config.symbol,
                config.owner,
                config.guardian,
                config.rateModel,
                config.reserveFactorBps,
                config.liquidationParams
            )
        returns (Pool created) {
            pool = address(created);
        } catch (bytes memory reason) {
            // CREATE2 to an occupied address fails without data; a constructor's own error is passed on.
            if (reason.length == 0) revert PoolAlreadyExists(address(config.loanAsset), salt);
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
        _allPools.push(pool);
        _isPool[pool] = true;
        _poolsOf[address(config.loanAsset)].push(pool);
        emit PoolCreated(pool, address(config.loanAsset), config.owner, salt);
    }

    /// @inheritdoc IPoolFactory
    function computePoolAddress(PoolConfig calldata config, bytes32 salt) external view returns (address) {
        bytes memory initCode = abi.encodePacked(
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
        bytes32 hash = keccak256(
            abi.encodePacked(bytes1(0xff), address(this), _salt(config, salt), keccak256(initCode))
        );
        return address(uint160(uint256(hash)));
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

    /// @dev The CREATE2 salt binds the loan asset and the caller's salt, so one salt serves every loan asset.
    function _salt(PoolConfig calldata config, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(config.loanAsset, salt));
    }
}
