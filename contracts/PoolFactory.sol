// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPoolFactory, PoolConfig} from "./interfaces/IPoolFactory.sol";

/// @title PoolFactory
/// @notice Deploys pools with CREATE2 and keeps a registry. See {IPoolFactory}.
/// @dev A pool's creation code is larger than one contract may be (EIP-170, 24,576 bytes), so the factory cannot embed
///      it: it receives it once at construction and keeps it in two code stores, contracts whose code is a STOP byte
///      followed by one half of it (so calling them does nothing). `poolCreationCodeHash` lets anyone check it
///      against the compiled `Pool` artifact.
contract PoolFactory is IPoolFactory {
    /// @inheritdoc IPoolFactory
    bytes32 public immutable poolCreationCodeHash;
    address internal immutable _codeStoreLow;
    address internal immutable _codeStoreHigh;

    address[] internal _allPools;
    mapping(address pool => bool) internal _isPool;
    mapping(address loanAsset => address[]) internal _poolsOf;

    /// @param poolCreationCode The `Pool` contract's creation code (without constructor arguments).
    constructor(bytes memory poolCreationCode) {
        if (poolCreationCode.length == 0) revert EmptyPoolCreationCode();
        uint256 half = poolCreationCode.length / 2;
        _codeStoreLow = _storeCode(poolCreationCode, 0, half);
        _codeStoreHigh = _storeCode(poolCreationCode, half, poolCreationCode.length - half);
        poolCreationCodeHash = keccak256(poolCreationCode);
    }

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
    function _initCode(PoolConfig calldata config) internal view returns (bytes memory) {
        return
            abi.encodePacked(
                _readCode(_codeStoreLow),
                _readCode(_codeStoreHigh),
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

    /// @dev Deploys a code store holding `length` bytes of `code` from `offset`: its init code copies the runtime that
    ///      follows it (PUSH2 size, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN) and the runtime
    ///      is a STOP byte then the bytes.
    function _storeCode(bytes memory code, uint256 offset, uint256 length) internal returns (address store) {
        bytes memory part = new bytes(length);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mcopy(add(part, 0x20), add(add(code, 0x20), offset), length)
        }
        bytes memory initCode = abi.encodePacked(
            hex"61",
            SafeCast.toUint16(length + 1), // PUSH2 takes the size: a store holds at most 65,534 bytes
            hex"80600a3d393df3",
            hex"00",
            part
        );
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            store := create(0, add(initCode, 0x20), mload(initCode))
        }
        if (store == address(0)) revert CodeStoreFailed();
    }

    /// @dev The bytes a code store holds (its code without the leading STOP byte).
    function _readCode(address store) internal view returns (bytes memory code) {
        uint256 length = store.code.length - 1;
        code = new bytes(length);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            extcodecopy(store, add(code, 0x20), 1, length)
        }
    }

    /// @dev The CREATE2 salt binds the loan asset and the caller's salt, so one salt serves every loan asset.
    function _salt(PoolConfig calldata config, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(config.loanAsset, salt));
    }
}
