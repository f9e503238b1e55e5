import { artifacts } from "hardhat";

/**
 * The `Pool` creation code the `PoolFactory` constructor takes: a pool is larger than one contract may embed
 * (EIP-170), so the factory keeps it in code stores of its own instead of compiling it in.
 */
export function poolCreationCode(): string {
  return artifacts.readArtifactSync("Pool").bytecode;
}
