/**
 * JSON-RPC transport: every request the keeper makes goes through `RetryingTransport`, which counts it (metrics and
 * the benchmark's "RPC calls per scan") and retries transient failures (connection refused, timeouts, 429/5xx) with
 * exponential backoff. Reverts and other answers from the node are not retried: they are results.
 */
import { BrowserProvider, Network, WebSocketProvider, type Eip1193Provider } from "ethers";

export interface RequestArguments {
  method: string;
  params?: unknown[] | Record<string, unknown>;
}

/** The EIP-1193 `request` surface: what Hardhat's in-process provider, wallets and our HTTP client expose. */
export interface Eip1193Transport {
  request(args: RequestArguments): Promise<unknown>;
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
};

/** An error from the node that carries a JSON-RPC answer (a revert, a bad nonce…), not a transport failure. */
interface RpcAnswerError {
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

const TRANSIENT_MESSAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|network error|timeout|timed out|rate limit|too many requests|\b429\b|\b502\b|\b503\b|\b504\b/i;

/** Transient: the request may succeed if sent again. JSON-RPC answers (reverts, nonce errors) are not transient. */
export function isTransientRpcError(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, message, data } = error as RpcAnswerError;
  if (data !== undefined && data !== null) return false; // revert data: a real answer
  if (code === -32005 || code === 429) return true; // limit exceeded / rate limited
  if (typeof code === "string" && code.startsWith("E")) return true; // Node system errors: ECONNREFUSED…
  return typeof message === "string" && TRANSIENT_MESSAGE.test(message) && !/revert/i.test(message);
}

export interface TransportHooks {
  onCall?(method: string): void;
  onRetry?(method: string, attempt: number, delayMs: number, error: unknown): void;
}

export class RetryingTransport implements Eip1193Transport {
  /** Requests sent, retries included. */
  calls = 0;
  private readonly callsByMethod = new Map<string, number>();

  constructor(
    private readonly inner: Eip1193Transport,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly hooks: TransportHooks = {},
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async request(args: RequestArguments): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      this.calls++;
      this.callsByMethod.set(args.method, (this.callsByMethod.get(args.method) ?? 0) + 1);
      this.hooks.onCall?.(args.method);
      try {
        return await this.inner.request(args);
      } catch (error) {
        if (attempt >= this.policy.maxAttempts || !isTransientRpcError(error)) throw error;
        const delayMs = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
        this.hooks.onRetry?.(args.method, attempt, delayMs, error);
        await this.sleep(delayMs);
      }
    }
  }

  /** Calls per method since the transport was made (retries included). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.callsByMethod);
  }
}

/** Minimal JSON-RPC over HTTP(S) with the EIP-1193 error shape (`code`, `message`, `data`), so reverts decode. */
export class HttpJsonRpcTransport implements Eip1193Transport {
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 15_000,
  ) {}

  async request(args: RequestArguments): Promise<unknown> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: this.nextId++,
        method: args.method,
        params: args.params ?? [],
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`RPC ${this.url} answered HTTP ${response.status} to ${args.method}`);
    const body = (await response.json()) as {
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    if (body.error !== undefined) {
      throw Object.assign(new Error(body.error.message), {
        code: body.error.code,
        data: body.error.data,
      });
    }
    return body.result;
  }
}

/** The transport for an RPC URL: HTTP(S) or WebSocket. */
export function transportForUrl(url: string): Eip1193Transport {
  if (/^wss?:\/\//i.test(url)) {
    const socket = new WebSocketProvider(url);
    return {
      request: (args) => socket.send(args.method, (args.params as unknown[] | undefined) ?? []),
    };
  }
  if (/^https?:\/\//i.test(url)) return new HttpJsonRpcTransport(url);
  throw new Error(`RPC URL ${url} is neither http(s):// nor ws(s)://: set --rpc-url or KEEPER_RPC_URL`);
}

/** An ethers provider over a transport, for a known chain id, with no response cache (every block counts). */
export function providerFor(transport: Eip1193Transport, chainId: number): BrowserProvider {
  return new BrowserProvider(transport as Eip1193Provider, Network.from(chainId), {
    staticNetwork: Network.from(chainId),
    cacheTimeout: -1,
    polling: true,
  });
}
