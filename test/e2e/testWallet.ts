/**
 * A test EIP-1193 wallet for the browser test: `window.ethereum` in the page forwards every request to this
 * process (Playwright binding), which answers account requests itself and sends the rest to the Hardhat node, where
 * the account is unlocked: `eth_sendTransaction` and `eth_signTypedData_v4` are signed by the node, as a real
 * wallet would sign them. No key is ever in the page. The test can switch the chain or account and refuse a request.
 */
import type { BrowserContext, Page } from "playwright-core";

export interface TestWalletOptions {
  rpcUrl: string;
  account: string;
  /** Report this chain instead of the node's (to test the wrong-network refusal). */
  chainIdOverride?: number;
}

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** The test's handle on the wallet: what the page asked for, and the wallet's answers to change. */
export interface TestWallet {
  /** Every method the page called, in order. */
  methods: string[];
  /** Report this chain from now on (undefined: the node's own). Tell the page with `emitWalletEvent`. */
  setChainOverride(chainId: number | undefined): void;
  /** Answer with this account from now on (a node account). Tell the page with `emitWalletEvent`. */
  setAccount(account: string): void;
  /** Refuse the next request of `method` as a user would (EIP-1193 error 4001). */
  rejectNext(method: string): void;
}

export async function installTestWallet(context: BrowserContext, options: TestWalletOptions): Promise<TestWallet> {
  let chainOverride = options.chainIdOverride;
  let account = options.account;
  const rejections = new Set<string>();
  const wallet: TestWallet = {
    methods: [],
    setChainOverride: (chainId) => void (chainOverride = chainId),
    setAccount: (next) => void (account = next),
    rejectNext: (method) => void rejections.add(method),
  };
  let connected = false;
  let id = 0;
  await context.exposeBinding(
    "__mutualPoolsTestWallet",
    async (_source, method: string, params: unknown[]): Promise<RpcReply> => {
      wallet.methods.push(method);
      if (rejections.delete(method)) return { error: { code: 4001, message: "User rejected the request." } };
      switch (method) {
        case "eth_requestAccounts":
          connected = true;
          return { result: [account] };
        case "eth_accounts":
          return { result: connected ? [account] : [] };
        case "eth_chainId":
          if (chainOverride !== undefined) return { result: `0x${chainOverride.toString(16)}` };
          break;
        case "wallet_switchEthereumChain":
        case "wallet_addEthereumChain":
          return { error: { code: 4001, message: "The test wallet does not switch chains." } };
      }
      const response = await fetch(options.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
      });
      const body = (await response.json()) as RpcReply;
      return body.error === undefined ? { result: body.result } : { error: body.error };
    },
  );
  await context.addInitScript(() => {
    type Listener = (...args: unknown[]) => void;
    const listeners = new Map<string, Listener[]>();
    const bridge = (
      globalThis as unknown as { __mutualPoolsTestWallet: (method: string, params: unknown[]) => Promise<RpcReply> }
    ).__mutualPoolsTestWallet;
    (globalThis as unknown as { ethereum: unknown }).ethereum = {
      isMutualPoolsTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
        const reply = await bridge(method, params ?? []);
        if (reply.error !== undefined) {
          // The shape of an EIP-1193 ProviderRpcError: message, code, data.
          throw Object.assign(new Error(reply.error.message), { code: reply.error.code, data: reply.error.data });
        }
        return reply.result;
      },
      on(event: string, listener: Listener): void {
        listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      },
      removeListener(event: string, listener: Listener): void {
        listeners.set(
          event,
          (listeners.get(event) ?? []).filter((known) => known !== listener),
        );
      },
      /** Test only: fires an EIP-1193 event (chainChanged, accountsChanged) as a wallet does. */
      emit(event: string, ...args: unknown[]): void {
        for (const listener of listeners.get(event) ?? []) listener(...args);
      },
    };
  });
  return wallet;
}

/** Fires `event` from the page's test wallet, as a real wallet does when the user switches chain or account. */
export async function emitWalletEvent(page: Page, event: string, ...args: unknown[]): Promise<void> {
  await page.evaluate(
    ([name, values]) =>
      (globalThis as unknown as { ethereum: { emit(event: string, ...args: unknown[]): void } }).ethereum.emit(
        name,
        ...values,
      ),
    [event, args] as const,
  );
}
