/**
 * Puts a keeper together over any EIP-1193 transport: the CLI passes an HTTP or WebSocket transport, the demo and
 * the tests pass the in-process Hardhat network. Every request is counted (and transient failures retried) by a
 * `RetryingTransport`; the keeper then checks its funds and resumes its journal (`Keeper.init`).
 */
import type { BrowserProvider, Wallet } from "ethers";
import { Keeper, type KeeperSettings } from "./keeper";
import type { Logger } from "./logger";
import type { KeeperMetrics } from "./metrics";
import { RetryingTransport, providerFor, type Eip1193Transport, type RetryPolicy } from "./rpc";

export interface KeeperAssembly {
  /** The node's EIP-1193 transport, before retries and counting. */
  inner: Eip1193Transport;
  wallet: Wallet;
  settings: KeeperSettings;
  logger: Logger;
  metrics: KeeperMetrics;
  /** Retry policy of the transport (the production default when omitted). */
  retryPolicy?: RetryPolicy;
  /** Called on every retried request, after the retry metric is counted. */
  onRetry?: (method: string, attempt: number, delayMs: number, error: unknown) => void;
}

export interface AssembledKeeper {
  keeper: Keeper;
  transport: RetryingTransport;
  provider: BrowserProvider;
  chainId: bigint;
}

/** Builds the transport, provider and keeper, and runs `keeper.init()` (funds check, journal resume). */
export async function assembleKeeper(assembly: KeeperAssembly): Promise<AssembledKeeper> {
  const { inner, wallet, settings, logger, metrics } = assembly;
  const transport = new RetryingTransport(inner, assembly.retryPolicy, {
    onCall: (method) => metrics.rpcCalls.inc({ method }),
    onRetry: (method, attempt, delayMs, error) => {
      metrics.rpcErrors.inc({ method });
      assembly.onRetry?.(method, attempt, delayMs, error);
    },
  });
  const chainId = BigInt((await transport.request({ method: "eth_chainId" })) as string);
  const provider = providerFor(transport, Number(chainId));
  const keeper = new Keeper({ provider, transport, wallet, chainId, settings, logger, metrics });
  await keeper.init();
  return { keeper, transport, provider, chainId };
}
