/** Chain names for messages, and the wrong-network check every write goes through. */

const CHAIN_NAMES: Record<number, string> = {
  1: "Ethereum mainnet",
  10: "OP Mainnet",
  137: "Polygon",
  8453: "Base",
  42161: "Arbitrum One",
  11155111: "Sepolia",
  31337: "Hardhat local node",
};

/** "Sepolia (chain 11155111)", or "chain 5" for a chain without a name here. */
export function chainLabel(chainId: number): string {
  const name = CHAIN_NAMES[chainId];
  return name === undefined ? `chain ${chainId}` : `${name} (chain ${chainId})`;
}

/** Why the wallet's chain cannot be used with this deployment, or null when it is the right one. */
export function wrongChainMessage(walletChainId: number, deploymentChainId: number): string | null {
  if (walletChainId === deploymentChainId) return null;
  return (
    `Wrong network: your wallet is on ${chainLabel(walletChainId)}, but this pool is on ${chainLabel(deploymentChainId)}. ` +
    `Switch your wallet to ${chainLabel(deploymentChainId)}; nothing can be sent until you do.`
  );
}

/** An EIP-1193 chain id (hex string, as `eth_chainId` returns it) as a number. */
export function parseChainId(value: unknown): number {
  if (typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value)) return Number.parseInt(value, 16);
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  throw new Error(`The wallet answered eth_chainId with ${JSON.stringify(value)}, not a chain id.`);
}
