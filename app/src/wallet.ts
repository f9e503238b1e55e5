/**
 * The injected EIP-1193 wallet (MetaMask, Rabby, Frame, … or a test provider): connecting, reading its account and
 * chain, and asking it to switch chain. The app never holds a key: every signature is the wallet's.
 */
import { parseChainId } from "./lib/chains";

export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] | Record<string, unknown> }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

export interface WalletView {
  accounts: string[];
  chainId: number;
}

export function injectedWallet(): Eip1193Provider | undefined {
  return window.ethereum;
}

function asAccounts(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new Error(`The wallet answered with ${JSON.stringify(value)} instead of a list of accounts.`);
  }
  return value;
}

/** The wallet's accounts (empty until the user connects) and chain, without a prompt. */
export async function readWallet(wallet: Eip1193Provider): Promise<WalletView> {
  const [accounts, chainId] = await Promise.all([
    wallet.request({ method: "eth_accounts" }),
    wallet.request({ method: "eth_chainId" }),
  ]);
  return { accounts: asAccounts(accounts), chainId: parseChainId(chainId) };
}

/** Asks the user to connect (the wallet's prompt). */
export async function connectWallet(wallet: Eip1193Provider): Promise<WalletView> {
  const accounts = asAccounts(await wallet.request({ method: "eth_requestAccounts" }));
  return { accounts, chainId: parseChainId(await wallet.request({ method: "eth_chainId" })) };
}

/** The local node's settings, for a wallet that does not know chain 31337 yet (EIP-3085). */
const LOCAL_CHAIN = {
  chainId: "0x7a69",
  chainName: "Hardhat local node",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: ["http://127.0.0.1:8545"],
};

/** Asks the wallet to switch to `chainId` (EIP-3326); for the local node, offers to add it first if unknown. */
export async function switchChain(wallet: Eip1193Provider, chainId: number): Promise<void> {
  const hex = `0x${chainId.toString(16)}`;
  try {
    await wallet.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hex }] });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 4902 && chainId === 31_337) {
      await wallet.request({ method: "wallet_addEthereumChain", params: [LOCAL_CHAIN] });
      return;
    }
    throw error;
  }
}
