/**
 * Keeper configuration: CLI flags over environment variables over `deployments/<network>.json`, validated with zod at
 * start. Every error names the flag and the variable to set.
 */
import { Command, Option } from "commander";
import { parseUnits } from "ethers";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { deploymentPath, readDeployment } from "./deployments";
import { MAX_TRUSTED_PRICE_AGE } from "./model/poolMath";
import { DEFAULT_RECOGNITION_BATCH_SIZE, DEFAULT_RECOGNITION_THRESHOLD, isRecognitionThreshold } from "./recognition";
import {
  DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS,
  DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS,
  MAX_TRUSTED_PRICE_REFRESH_SECONDS,
} from "./trustedPrices";

/** How each setting is given: its CLI flag and environment variable. Error messages quote these. */
export const SETTINGS = {
  network: {
    flag: "--network <name>",
    env: "KEEPER_NETWORK",
    help: "network name: picks deployments/<network>.json, the default RPC URL and the state dir",
  },
  rpcUrl: { flag: "--rpc-url <url>", env: "KEEPER_RPC_URL", help: "JSON-RPC endpoint, http(s):// or ws(s)://" },
  privateKey: { flag: "(env only)", env: "KEEPER_PRIVATE_KEY", help: "signer's private key (environment only)" },
  keystore: {
    flag: "--keystore <file>",
    env: "KEEPER_KEYSTORE",
    help: "encrypted JSON keystore of the signer (password in KEEPER_KEYSTORE_PASSWORD)",
  },
  keystorePassword: {
    flag: "(env only)",
    env: "KEEPER_KEYSTORE_PASSWORD",
    help: "keystore password (environment only)",
  },
  pools: { flag: "--pools <a,b>", env: "KEEPER_POOLS", help: "comma-separated pool addresses to watch" },
  factory: { flag: "--factory <address>", env: "KEEPER_FACTORY", help: "PoolFactory whose pools are all watched" },
  lens: { flag: "--lens <address>", env: "KEEPER_LENS", help: "PoolLens address" },
  startBlock: {
    flag: "--start-block <n>",
    env: "KEEPER_START_BLOCK",
    help: "first block to index events from (the deploy block)",
  },
  confirmations: {
    flag: "--confirmations <n>",
    env: "KEEPER_CONFIRMATIONS",
    help: "blocks after which a block is final (default 3)",
  },
  pollIntervalMs: {
    flag: "--poll-interval-ms <ms>",
    env: "KEEPER_POLL_INTERVAL_MS",
    help: "how often to ask for a new block (default 1000)",
  },
  minProfit: {
    flag: "--min-profit <loan units>",
    env: "KEEPER_MIN_PROFIT",
    help: "smallest profit, bonus minus gas, worth a liquidation, in loan-asset units (default 0)",
  },
  nativePrice: {
    flag: "--native-price <loan units per native token>",
    env: "KEEPER_NATIVE_PRICE",
    help: "loan-asset units per native token, to price gas",
  },
  maxGasPriceGwei: {
    flag: "--max-gas-price-gwei <gwei>",
    env: "KEEPER_MAX_GAS_PRICE_GWEI",
    help: "cap on the max fee per gas (default 100)",
  },
  priorityFeeGwei: {
    flag: "--priority-fee-gwei <gwei>",
    env: "KEEPER_PRIORITY_FEE_GWEI",
    help: "priority fee per gas (default 1)",
  },
  maxFeeBumps: {
    flag: "--max-fee-bumps <n>",
    env: "KEEPER_MAX_FEE_BUMPS",
    help: "fee replacements of a stuck transaction (default 3)",
  },
  feeBumpPercent: {
    flag: "--fee-bump-percent <n>",
    env: "KEEPER_FEE_BUMP_PERCENT",
    help: "fee increase per replacement, at least 10 (default 15)",
  },
  bumpAfterBlocks: {
    flag: "--bump-after-blocks <n>",
    env: "KEEPER_BUMP_AFTER_BLOCKS",
    help: "blocks without a receipt before a replacement (default 2)",
  },
  receiptTimeoutBlocks: {
    flag: "--receipt-timeout-blocks <n>",
    env: "KEEPER_RECEIPT_TIMEOUT_BLOCKS",
    help: "blocks without a receipt before giving up (default 25)",
  },
  dryRun: { flag: "--dry-run", env: "KEEPER_DRY_RUN", help: "simulate and log, never send" },
  approve: {
    flag: "--approve",
    env: "KEEPER_APPROVE",
    help: "approve each pool to pull the signer's loan asset at start",
  },
  metricsHost: {
    flag: "--metrics-host <host>",
    env: "KEEPER_METRICS_HOST",
    help: "host of /metrics and /healthz (default 127.0.0.1)",
  },
  metricsPort: {
    flag: "--metrics-port <port>",
    env: "KEEPER_METRICS_PORT",
    help: "port of /metrics and /healthz (default 9464)",
  },
  healthMaxBlockAgeSeconds: {
    flag: "--health-max-block-age-seconds <s>",
    env: "KEEPER_HEALTH_MAX_BLOCK_AGE",
    help: "/healthz fails when no block was processed for this long (default 120)",
  },
  stateDir: {
    flag: "--state-dir <dir>",
    env: "KEEPER_STATE_DIR",
    help: "directory of the state file (default keeper-state/<network>)",
  },
  logRangeBlocks: {
    flag: "--log-range-blocks <n>",
    env: "KEEPER_LOG_RANGE_BLOCKS",
    help: "most blocks per eth_getLogs (default 2000)",
  },
  lensBatchSize: {
    flag: "--lens-batch-size <n>",
    env: "KEEPER_LENS_BATCH_SIZE",
    help: "accounts per PoolLens call (default 500)",
  },
  watchHealthFactor: {
    flag: "--watch-health-factor <hf>",
    env: "KEEPER_WATCH_HEALTH_FACTOR",
    help: "model health factor below which the lens confirms an account every block (default 1.05)",
  },
  fullScanEveryBlocks: {
    flag: "--full-scan-every-blocks <n>",
    env: "KEEPER_FULL_SCAN_EVERY_BLOCKS",
    help: "blocks between lens confirmations of every account (default 100)",
  },
  recognitionThreshold: {
    flag: "--recognition-threshold <loan units|Nbps>",
    env: "KEEPER_RECOGNITION_THRESHOLD",
    help:
      "refresh an account's recorded shortfall (recognizeLosses) when its live shortfall differs from it by more " +
      "than this, either way: loan-asset units (2.5) or basis points of its debt (10bps); 0 = any change " +
      `(default ${DEFAULT_RECOGNITION_THRESHOLD})`,
  },
  recognitionBatchSize: {
    flag: "--recognition-batch-size <n>",
    env: "KEEPER_RECOGNITION_BATCH_SIZE",
    help: `most accounts per recognizeLosses transaction; more are split, same block (default ${DEFAULT_RECOGNITION_BATCH_SIZE})`,
  },
  trustedPriceRefresh: {
    flag: "--trusted-price-refresh <seconds>",
    env: "KEEPER_TRUSTED_PRICE_REFRESH",
    help:
      "call the pool's refreshTrustedPrices() when a collateral's last trusted price (the fallback while its oracle " +
      `fails, usable for ${MAX_TRUSTED_PRICE_AGE} s) is this many seconds old, at most ` +
      `${MAX_TRUSTED_PRICE_REFRESH_SECONDS}; the pool re-dates an unchanged price at most every ` +
      `${DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS} s (default ${DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS})`,
  },
  trustedPriceToleranceBps: {
    flag: "--trusted-price-tolerance-bps <bps>",
    env: "KEEPER_TRUSTED_PRICE_TOLERANCE_BPS",
    help:
      "also call refreshTrustedPrices() when a collateral's live price differs from its last trusted price by more " +
      `than this, in basis points of the trusted price (default ${DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS})`,
  },
  logLevel: {
    flag: "--log-level <level>",
    env: "KEEPER_LOG_LEVEL",
    help: "trace, debug, info, warn, error or fatal (default info)",
  },
  pretty: {
    flag: "--pretty",
    env: "KEEPER_LOG_PRETTY",
    help: "human-readable logs instead of JSON lines (coloured only when stdout is a terminal and NO_COLOR is unset)",
  },
  heartbeatSeconds: {
    flag: "--heartbeat-seconds <s>",
    env: "KEEPER_HEARTBEAT_SECONDS",
    help: "log a one-line heartbeat at info every this many seconds (last block processed, pending transactions); 0 = never (default 60)",
  },
} as const;

export type SettingName = keyof typeof SETTINGS;
type RawSettings = Partial<Record<SettingName, string | boolean>>;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
const integer = (minimum: number) => z.coerce.number().int().min(minimum);
const decimal = z.string().regex(/^\d+(\.\d+)?$/, "must be a non-negative decimal number");
const flag = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")]);

const configSchema = z.object({
  network: z.string().min(1),
  rpcUrl: z.string().regex(/^(https?|wss?):\/\/.+/i, "must be an http(s):// or ws(s):// URL"),
  privateKey: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be a 32-byte hex private key")
    .optional(),
  keystore: z.string().min(1).optional(),
  keystorePassword: z.string().optional(),
  pools: z.array(address),
  factory: address.optional(),
  lens: address,
  startBlock: integer(0),
  confirmations: integer(0).default(3),
  pollIntervalMs: integer(10).default(1_000),
  minProfit: decimal.default("0"),
  nativePrice: decimal,
  maxGasPriceGwei: decimal.default("100"),
  priorityFeeGwei: decimal.default("1"),
  maxFeeBumps: integer(0).default(3),
  feeBumpPercent: integer(10).default(15),
  bumpAfterBlocks: integer(1).default(2),
  receiptTimeoutBlocks: integer(1).default(25),
  dryRun: flag.default(false),
  approve: flag.default(false),
  metricsHost: z.string().min(1).default("127.0.0.1"),
  metricsPort: integer(0).default(9464),
  healthMaxBlockAgeSeconds: integer(1).default(120),
  stateDir: z.string().min(1),
  logRangeBlocks: integer(1).default(2_000),
  lensBatchSize: integer(1).default(500),
  watchHealthFactor: decimal.default("1.05"),
  fullScanEveryBlocks: integer(1).default(100),
  recognitionThreshold: z
    .string()
    .trim()
    .refine(isRecognitionThreshold, "must be loan-asset units (2.5) or basis points of the debt (10bps)")
    .default(DEFAULT_RECOGNITION_THRESHOLD),
  recognitionBatchSize: integer(1).default(DEFAULT_RECOGNITION_BATCH_SIZE),
  trustedPriceRefresh: integer(0)
    .max(
      MAX_TRUSTED_PRICE_REFRESH_SECONDS,
      `must be below ${MAX_TRUSTED_PRICE_AGE} (MAX_TRUSTED_PRICE_AGE): an older trusted price no longer stands in ` +
        "for a failing oracle",
    )
    .default(DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS),
  trustedPriceToleranceBps: integer(0).default(DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  pretty: flag.default(false),
  heartbeatSeconds: integer(0).default(60),
});

type ParsedConfig = z.infer<typeof configSchema>;

/** The validated configuration, with amounts already in exact units. */
export interface KeeperConfig extends Omit<
  ParsedConfig,
  "maxGasPriceGwei" | "priorityFeeGwei" | "nativePrice" | "watchHealthFactor" | "trustedPriceRefresh"
> {
  /** `--trusted-price-refresh`: refresh a collateral's trusted price at least this old (seconds). */
  trustedPriceRefreshSeconds: number;
  /** Model health factor (×1e18) under which an account is confirmed through the lens every block. */
  watchHealthFactorE18: bigint;
  maxGasPriceWei: bigint;
  priorityFeeWei: bigint;
  /** Whole loan-asset units per whole native token, scaled by 1e18. */
  nativePriceE18: bigint;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Keeper configuration is incomplete or invalid:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** Networks with a default RPC URL, and the environment variable that holds it (as the operator scripts read it). */
const DEFAULT_RPC_ENV: Record<string, string> = { localhost: "LOCALHOST_RPC_URL", sepolia: "SEPOLIA_RPC_URL" };

/** Default RPC URL per network name (as the operator scripts resolve it); other networks need --rpc-url. */
function defaultRpcUrl(network: string, env: NodeJS.ProcessEnv): string | undefined {
  if (network === "localhost") return env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545";
  if (network === "sepolia") return env.SEPOLIA_RPC_URL;
  return undefined;
}

/** Levenshtein distance, for "did you mean" suggestions of network names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The problem when `deployments/<network>.json` does not exist: names the file and, when another network's file is
 * close in name (a typo such as `local` for `localhost`), suggests it; else says how to deploy.
 */
export function missingDeploymentProblem(network: string, cwd: string): string {
  const file = path.relative(cwd, deploymentPath(network, cwd));
  const directory = path.join(cwd, "deployments");
  const known = existsSync(directory)
    ? readdirSync(directory)
        .filter((entry) => entry.endsWith(".json"))
        .map((entry) => entry.slice(0, -".json".length))
    : [];
  const wanted = network.toLowerCase();
  const close = [...new Set([...known, ...Object.keys(DEFAULT_RPC_ENV)])].filter((name) => {
    const candidate = name.toLowerCase();
    if (candidate === wanted) return false;
    return candidate.startsWith(wanted) || wanted.startsWith(candidate) || editDistance(candidate, wanted) <= 2;
  });
  const existing = known.length > 0 ? ` (deployments/ has: ${known.join(", ")})` : "";
  if (close.length > 0) return `${file} does not exist; did you mean ${close.join(" or ")}?${existing}`;
  const deploy =
    network === "localhost" || network === "sepolia"
      ? `npm run deploy:${network === "localhost" ? "local" : network}`
      : `npx hardhat run scripts/deploy.ts --network ${network}`;
  return `${file} does not exist${existing}: deploy first (${deploy}), or give the addresses and start block as flags`;
}

/** Resolves flags > env > deployments file > defaults, then validates. Throws `ConfigError` naming what to set. */
export function resolveConfig(flags: RawSettings, env: NodeJS.ProcessEnv, cwd = process.cwd()): KeeperConfig {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const value = flags[name] ?? env[SETTINGS[name].env];
    if (value !== undefined && value !== "") raw[name] = value;
  }
  const network = typeof raw.network === "string" ? raw.network : undefined;
  const problems: string[] = [];
  let deployment: ReturnType<typeof readDeployment>;
  try {
    deployment = network === undefined ? undefined : readDeployment(network, cwd);
  } catch (error) {
    problems.push((error as Error).message);
  }
  // A network without a deployments file (often a typo) would otherwise show up only as several "missing" settings.
  const fromFileMissing =
    (raw.pools === undefined && raw.factory === undefined) || raw.lens === undefined || raw.startBlock === undefined;
  if (network !== undefined && deployment === undefined && problems.length === 0 && fromFileMissing) {
    problems.push(missingDeploymentProblem(network, cwd));
  }
  raw.rpcUrl ??= network === undefined ? undefined : defaultRpcUrl(network, env);
  raw.pools =
    typeof raw.pools === "string"
      ? raw.pools
          .split(",")
          .map((entry) => entry.trim())
          .filter((entry) => entry !== "")
      : (deployment?.pools.map((pool) => pool.address) ?? []);
  raw.factory ??= deployment?.contracts.PoolFactory;
  raw.lens ??= deployment?.contracts.PoolLens;
  raw.startBlock ??= deployment?.deployBlock;
  raw.stateDir ??= network === undefined ? undefined : path.join(cwd, "keeper-state", network);

  const parsed = configSchema.safeParse(raw);
  // Settings that depend on each other, checked whether or not the fields parsed.
  if ((raw.privateKey === undefined) === (raw.keystore === undefined)) {
    problems.push(
      `signer: give exactly one of a private key (set ${SETTINGS.privateKey.env}) or a keystore ` +
        `(set ${SETTINGS.keystore.flag} or ${SETTINGS.keystore.env}, with ${SETTINGS.keystorePassword.env})`,
    );
  } else if (raw.keystore !== undefined && raw.keystorePassword === undefined) {
    problems.push(`keystorePassword: the keystore needs its password (set ${SETTINGS.keystorePassword.env})`);
  }
  if ((raw.pools as string[]).length === 0 && raw.factory === undefined) {
    problems.push(
      `pools: no pool to watch (set ${SETTINGS.pools.flag} or ${SETTINGS.pools.env}, or ${SETTINGS.factory.flag} ` +
        `or ${SETTINGS.factory.env}, or deploy so that deployments/<network>.json exists)`,
    );
  }
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path[0] as SettingName | undefined;
      const setting = name === undefined ? undefined : SETTINGS[name];
      const how =
        setting === undefined
          ? ""
          : ` (set ${setting.flag === "(env only)" ? "" : `${setting.flag} or `}${setting.env})`;
      const missing = name !== undefined && raw[name] === undefined;
      problems.push(`${name ?? "config"}: ${missing ? "missing" : issue.message}${how}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const { maxGasPriceGwei, priorityFeeGwei, nativePrice, watchHealthFactor, trustedPriceRefresh, ...rest } =
    parsed.data;
  return {
    ...rest,
    trustedPriceRefreshSeconds: trustedPriceRefresh,
    maxGasPriceWei: parseUnits(maxGasPriceGwei, "gwei"),
    priorityFeeWei: parseUnits(priorityFeeGwei, "gwei"),
    nativePriceE18: parseUnits(nativePrice, 18),
    watchHealthFactorE18: parseUnits(watchHealthFactor, 18),
  };
}

/** The command line: every setting as a flag, with its env var in the help. */
export function commandLine(): Command {
  const command = new Command("keeper")
    .description(
      "Mutual Pools keeper: finds unhealthy accounts, liquidates them profitably, closes insolvent ones in one call, " +
        "socializes residual bad debt, recognizes every material change of an account's shortfall the next block, " +
        "and keeps each pool's trusted (fallback) prices fresh.",
    )
    .allowExcessArguments(false)
    .showHelpAfterError();
  for (const setting of Object.values(SETTINGS)) {
    if (setting.flag === "(env only)") continue;
    const option = new Option(setting.flag, setting.help).env(setting.env);
    command.addOption(option);
  }
  return command;
}

/** Parses argv (without node and script) into raw settings; env is read by `resolveConfig`. */
export function parseCommandLine(argv: readonly string[]): RawSettings {
  const command = commandLine();
  command.parse([...argv], { from: "user" });
  const options = command.opts<Record<string, string | boolean>>();
  const flags: RawSettings = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    if (options[name] !== undefined) flags[name] = options[name];
  }
  return flags;
}

/** The config as safe to log: no key, no password. */
export function redactedConfig(config: KeeperConfig): Record<string, unknown> {
  const { privateKey, keystorePassword, ...rest } = config;
  return {
    ...rest,
    privateKey: privateKey === undefined ? undefined : "<set>",
    keystorePassword: keystorePassword && "<set>",
  };
}
