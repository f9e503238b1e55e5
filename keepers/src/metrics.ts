/** Prometheus metrics (prom-client, one registry per keeper) and the `/metrics` + `/healthz` HTTP endpoints. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Outcome of one liquidation, close, socialization, recognition or trusted-price refresh attempt: the `result` label
 * of `keeper_liquidations_total`, `keeper_recognitions_total` and `keeper_trusted_price_refreshes_total`.
 */
export type AttemptResult =
  | "sent"
  | "included"
  | "reverted"
  | "dry_run"
  | "skipped_unprofitable"
  | "skipped_balance"
  | "skipped_no_quote"
  | "skipped_unpriced"
  | "skipped_simulation_reverted"
  | "skipped_in_flight"
  | "skipped_fee_cap"
  | "dropped"
  | "timed_out";

export class KeeperMetrics {
  readonly registry = new Registry();
  readonly accountsTracked = new Gauge({
    name: "keeper_accounts_tracked",
    help: "Accounts with (possible) debt the keeper watches, per pool",
    labelNames: ["pool"] as const,
    registers: [this.registry],
  });
  readonly unhealthyAccounts = new Gauge({
    name: "keeper_unhealthy_accounts",
    help: "Accounts below health factor 1 at the last scan, per pool",
    labelNames: ["pool"] as const,
    registers: [this.registry],
  });
  readonly liquidations = new Counter({
    name: "keeper_liquidations_total",
    help: "Liquidation, close and socialization attempts by action (liquidate, close, socialize) and result",
    labelNames: ["pool", "action", "result"] as const,
    registers: [this.registry],
  });
  readonly recognitions = new Counter({
    name: "keeper_recognitions_total",
    help: "recognizeLosses transactions by result (one per pool per block, more when the batch is split)",
    labelNames: ["pool", "result"] as const,
    registers: [this.registry],
  });
  readonly trustedPriceRefreshes = new Counter({
    name: "keeper_trusted_price_refreshes_total",
    help: "refreshTrustedPrices transactions by result (at most one per pool per block)",
    labelNames: ["pool", "result"] as const,
    registers: [this.registry],
  });
  readonly trustedPriceAge = new Gauge({
    name: "keeper_trusted_price_age_seconds",
    help: "Age of each listed collateral's last trusted price at the last scan; past MAX_TRUSTED_PRICE_AGE (21600 s) it no longer stands in for a failing oracle",
    labelNames: ["pool", "collateral"] as const,
    registers: [this.registry],
  });
  readonly unpricedAccounts = new Gauge({
    name: "keeper_unpriced_accounts",
    help: "Tracked accounts holding a collateral whose oracle fails and whose last trusted price expired: nobody can liquidate, close or socialize them; their shortfall counts that collateral at 0",
    labelNames: ["pool"] as const,
    registers: [this.registry],
  });
  readonly recognizedAccounts = new Counter({
    name: "keeper_recognized_accounts_total",
    help: "Accounts whose recorded shortfall the keeper's included recognitions raised (recognized) or lowered (released)",
    labelNames: ["pool", "direction"] as const,
    registers: [this.registry],
  });
  readonly staleShortfallAccounts = new Gauge({
    name: "keeper_stale_shortfall_accounts",
    help: "Accounts whose live shortfall differed from the recorded one by more than --recognition-threshold at the last scan",
    labelNames: ["pool"] as const,
    registers: [this.registry],
  });
  readonly shortfallAssets = new Gauge({
    name: "keeper_shortfall_assets",
    help: "Sum over tracked accounts of the live shortfall (kind=live, model) and the recorded one (kind=recognized), in the loan asset's smallest unit",
    labelNames: ["pool", "kind"] as const,
    registers: [this.registry],
  });
  readonly badDebtRealizedAssets = new Counter({
    name: "keeper_bad_debt_realized_assets_total",
    help: "Bad debt realized by the keeper's transactions, in the loan asset's smallest unit",
    labelNames: ["pool"] as const,
    registers: [this.registry],
  });
  readonly verificationFailures = new Counter({
    name: "keeper_verification_failures_total",
    help: "Realizations (BadDebtRealized) and recognitions (ShortfallUpdated) of the keeper's transactions that did not match its model (alert on any increase)",
    labelNames: ["pool", "kind"] as const,
    registers: [this.registry],
  });
  readonly modelDivergence = new Counter({
    name: "keeper_model_divergence_total",
    help: "Accounts whose indexed position, valued by the model, differed from the lens; re-read from the pool",
    labelNames: ["pool"] as const,
    registers: [this.registry],
  });
  readonly scanDuration = new Histogram({
    name: "keeper_scan_duration_seconds",
    help: "Wall time of one full scan: discovery, health, strategy and sends",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly rpcCalls = new Counter({
    name: "keeper_rpc_calls_total",
    help: "JSON-RPC requests sent, by method",
    labelNames: ["method"] as const,
    registers: [this.registry],
  });
  readonly rpcErrors = new Counter({
    name: "keeper_rpc_errors_total",
    help: "JSON-RPC requests that failed with a transient error and were retried, by method",
    labelNames: ["method"] as const,
    registers: [this.registry],
  });
  readonly lastProcessedBlock = new Gauge({
    name: "keeper_last_processed_block",
    help: "Latest block the keeper scanned",
    registers: [this.registry],
  });
  readonly blocksToInclusion = new Histogram({
    name: "keeper_blocks_detection_to_inclusion",
    help: "Blocks from the scan that found an account to act on (or a shortfall to recognize) to the block that included the keeper's transaction, by action",
    labelNames: ["action"] as const,
    buckets: [1, 2, 3, 5, 10, 20],
    registers: [this.registry],
  });

  /** Wall-clock time (ms) the last block was processed; /healthz compares it with the allowed age. */
  lastProcessedAtMs: number | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts one attempt: recognitions in `keeper_recognitions_total`, refreshes in
   * `keeper_trusted_price_refreshes_total`, the other actions in `keeper_liquidations_total`.
   */
  countAttempt(pool: string, action: string, result: AttemptResult): void {
    if (action === "recognize") this.recognitions.inc({ pool, result });
    else if (action === "refresh") this.trustedPriceRefreshes.inc({ pool, result });
    else this.liquidations.inc({ pool, action, result });
  }

  recordBlockProcessed(blockNumber: number, nowMs = Date.now()): void {
    this.lastProcessedBlock.set(blockNumber);
    this.lastProcessedAtMs = nowMs;
  }

  /** Healthy when a block was processed within `maxAgeSeconds`. */
  health(maxAgeSeconds: number, nowMs = Date.now()): { healthy: boolean; secondsSinceLastBlock: number | null } {
    if (this.lastProcessedAtMs === undefined) return { healthy: false, secondsSinceLastBlock: null };
    const secondsSinceLastBlock = (nowMs - this.lastProcessedAtMs) / 1000;
    return {
      healthy: secondsSinceLastBlock <= maxAgeSeconds,
      secondsSinceLastBlock,
    };
  }

  /** A sample value by metric name and labels, for tests and the benchmark. */
  async valueOf(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (metric === undefined) throw new Error(`no metric named ${name}`);
    const { values } = await metric.get();
    return values
      .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
      .filter((sample) => ("metricName" in sample ? sample.metricName : name) === name) // a histogram's _count, _sum, _bucket differ
      .reduce((sum, sample) => sum + sample.value, 0);
  }
}

/** Serves `/metrics` (Prometheus text) and `/healthz` (200 or 503 with JSON). Resolves once listening. */
export async function startMetricsServer(
  metrics: KeeperMetrics,
  options: { host: string; port: number; healthMaxBlockAgeSeconds: number },
): Promise<Server> {
  const server = createServer((request, response) => {
    void (async () => {
      if (request.url === "/metrics") {
        response.writeHead(200, {
          "content-type": metrics.registry.contentType,
        });
        response.end(await metrics.registry.metrics());
      } else if (request.url === "/healthz") {
        const health = metrics.health(options.healthMaxBlockAgeSeconds);
        response.writeHead(health.healthy ? 200 : 503, {
          "content-type": "application/json",
        });
        response.end(JSON.stringify(health));
      } else {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end("not found: try /metrics or /healthz\n");
      }
    })().catch((error: unknown) => {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES" || error.code === "EADDRNOTAVAIL") {
        reject(new MetricsListenError(options.host, options.port, error.code));
      } else {
        reject(error);
      }
    });
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}

/** The metrics server cannot listen where it was told to: a message that says which flag to change, no stack. */
export class MetricsListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string,
  ) {
    const why =
      code === "EADDRINUSE"
        ? `${host}:${port} is already in use (another keeper?)`
        : code === "EACCES"
          ? `${host}:${port} needs privileges to listen on`
          : `${host} is not an address of this machine`;
    const fix =
      code === "EADDRNOTAVAIL"
        ? "Pass --metrics-host <host> (or set KEEPER_METRICS_HOST)"
        : "Pass --metrics-port <port> (or set KEEPER_METRICS_PORT); --metrics-port 0 picks a free port";
    super(`Cannot serve /metrics and /healthz: ${why} (${code}). ${fix}.`);
    this.name = "MetricsListenError";
  }
}

/** What the keeper's periodic heartbeat line reports, read from its metrics. */
export interface Heartbeat {
  lastProcessedBlock: number | null;
  secondsSinceLastBlock: number | null;
  accountsTracked: number;
  pendingTransactions: number;
}

/**
 * Logs a one-line heartbeat at info every `intervalMs` (so a quiet keeper still shows it is alive), until the
 * returned function is called. `intervalMs` 0 logs nothing.
 */
export function startHeartbeat(
  metrics: KeeperMetrics,
  logger: { info(object: object, message: string): void },
  intervalMs: number,
  pendingTransactions: () => number,
): () => void {
  if (intervalMs <= 0) return () => undefined;
  const timer = setInterval(() => {
    void (async () => {
      const health = metrics.health(Number.POSITIVE_INFINITY);
      const heartbeat: Heartbeat = {
        lastProcessedBlock: health.secondsSinceLastBlock === null ? null : await metrics.valueOf("keeper_last_processed_block"),
        secondsSinceLastBlock: health.secondsSinceLastBlock === null ? null : Math.round(health.secondsSinceLastBlock),
        accountsTracked: await metrics.valueOf("keeper_accounts_tracked"),
        pendingTransactions: pendingTransactions(),
      };
      logger.info(heartbeat, "heartbeat");
    })();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
