/**
 * Typed contract handles for the app. Each factory is imported from its own file, not the typechain barrel, so the
 * bundle carries the ABIs the app uses and not every contract's bytecode.
 */
export { ERC20Permit__factory } from "../../../typechain-types/factories/@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit__factory";
export { IERC20Metadata__factory } from "../../../typechain-types/factories/@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata__factory";
export { IPriceOracle__factory } from "../../../typechain-types/factories/contracts/interfaces/IPriceOracle__factory";
export { PoolLens__factory } from "../../../typechain-types/factories/contracts/periphery/PoolLens__factory";
export { Pool__factory } from "../../../typechain-types/factories/contracts/Pool__factory";
export type { Pool } from "../../../typechain-types/contracts/Pool";
export type { ERC20Permit } from "../../../typechain-types/@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit";
