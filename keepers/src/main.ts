/**
 * `npm run keeper -- --network <name> [flags]`: the long-running keeper service. See keepers/README.md.
 * Exit codes: 0 after SIGINT/SIGTERM with state saved, 1 on a startup error (message says what to fix).
 */
import { Wallet } from "ethers";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { ConfigError, parseCommandLine, redactedConfig, resolveConfig, type KeeperConfig } from "./config";
import { assembleKeeper } from "./assemble";
import type { Keeper } from "./keeper";
import { createLogger, type Logger } from "./logger";
import { KeeperMetrics, MetricsListenError, startHeartbeat, startMetricsServer } from "./metrics";
import { transportForUrl } from "./rpc";

async function signerFor(config: KeeperConfig): Promise<Wallet> {
  if (config.privateKey !== undefined) return new Wallet(config.privateKey);
  const keystore = readFileSync(config.keystore as string, "utf8");
  return (await Wallet.fromEncryptedJson(keystore, config.keystorePassword as string)) as Wallet;
}

export async function runKeeper(
  config: KeeperConfig,
  logger: Logger,
): Promise<{ keeper: Keeper; server: Server; stopHeartbeat: () => void }> {
  const metrics = new KeeperMetrics({ defaultMetrics: true });
  const wallet = await signerFor(config);
  logger.info({ config: redactedConfig(config), signer: wallet.address }, "keeper starting");
  // The port first: a second keeper started by mistake stops here, before it touches the chain or resumes a journal.
  // Port 0 picks a free port; the log says which.
  const server = await startMetricsServer(metrics, {
    host: config.metricsHost,
    port: config.metricsPort,
    healthMaxBlockAgeSeconds: config.healthMaxBlockAgeSeconds,
  });
  const assembled = await assembleKeeper({
    inner: transportForUrl(config.rpcUrl),
    wallet,
    settings: config,
    logger,
    metrics,
    onRetry: (method, attempt, delayMs, error) =>
      logger.warn({ method, attempt, delayMs, err: error }, "RPC request failed; retrying with backoff"),
  }).catch((error: unknown) => {
    server.close();
    throw error;
  });
  const { keeper, chainId } = assembled;
  logger.info({ chainId }, "connected");
  logger.info({ address: server.address() }, "serving /metrics and /healthz");
  keeper.start();
  const stopHeartbeat = startHeartbeat(metrics, logger, config.heartbeatSeconds * 1000, () => keeper.executor.pending().length);
  return { keeper, server, stopHeartbeat };
}

async function main(): Promise<void> {
  let config: KeeperConfig;
  try {
    config = resolveConfig(parseCommandLine(process.argv.slice(2)), process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({
    level: config.logLevel,
    pretty: config.pretty,
  });
  let running: Awaited<ReturnType<typeof runKeeper>>;
  try {
    running = await runKeeper(config, logger);
  } catch (error) {
    // A failure the operator fixes with a flag is one line that says which; anything else keeps its stack.
    if (error instanceof MetricsListenError) logger.fatal(`keeper could not start: ${error.message}`);
    else logger.fatal({ err: error }, "keeper could not start");
    logger.flush();
    process.exit(1);
  }
  let shuttingDown = false;
  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, "stopping: finishing the current block; in-flight transactions stay journaled");
    void (async () => {
      running.stopHeartbeat();
      await running.keeper.stop();
      await new Promise<void>((resolve) => running.server.close(() => resolve()));
      logger.info({ pending: running.keeper.executor.pending().length }, "state saved; exiting");
      logger.flush();
      process.exit(0);
    })();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

if (require.main === module) void main();
