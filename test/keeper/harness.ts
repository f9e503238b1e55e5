/**
 * Runs the real keeper modules in-process against the Hardhat network: the keeper signs with a Hardhat account's key
 * and talks to the node through the same `RetryingTransport` + ethers provider as in production. Logs are captured as
 * parsed JSON lines.
 */
import { ethers, network } from "hardhat";
import { HDNodeWallet, Wallet } from "ethers";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { assembleKeeper } from "../../keepers/src/assemble";
import type { Keeper, KeeperSettings } from "../../keepers/src/keeper";
import { createLogger } from "../../keepers/src/logger";
import { KeeperMetrics } from "../../keepers/src/metrics";
import type { Eip1193Transport, RetryingTransport } from "../../keepers/src/rpc";
import { deployPool, units, type PoolFixture } from "../helpers/fixtures";

const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of Hardhat's default account `index`. */
export function hardhatWallet(index: number): Wallet {
  const node = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
  return new Wallet(node.privateKey);
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface TestKeeper {
  keeper: Keeper;
  metrics: KeeperMetrics;
  transport: RetryingTransport;
  logs: LogLine[];
  /** Backoff delays of every retried RPC request, in order. */
  retryDelaysMs: number[];
  wallet: Wallet;
  stateDir: string;
}

export interface TestKeeperOptions {
  pool?: string;
  lens: string;
  walletIndex?: number;
  settings?: Partial<KeeperSettings>;
  /** Wraps the node's EIP-1193 provider, e.g. to inject failures. */
  wrapTransport?: (inner: Eip1193Transport) => Eip1193Transport;
  stateDir?: string;
}

export const KEEPER_WALLET_INDEX = 12;

export function newStateDir(): string {
  return mkdtempSync(path.join(tmpdir(), "keeper-test-"));
}

export async function createTestKeeper(options: TestKeeperOptions): Promise<TestKeeper> {
  const wallet = hardhatWallet(options.walletIndex ?? KEEPER_WALLET_INDEX);
  const logs: LogLine[] = [];
  const logger = createLogger({
    level: "debug",
    pretty: false,
    destination: {
      write: (line: string) => void logs.push(JSON.parse(line) as LogLine),
    },
  });
  const metrics = new KeeperMetrics();
  const retryDelaysMs: number[] = [];
  const inner = network.provider as unknown as Eip1193Transport;
  const stateDir = options.stateDir ?? newStateDir();
  const settings: KeeperSettings = {
    pools: options.pool === undefined ? [] : [options.pool],
    lens: options.lens,
    startBlock: 0,
    confirmations: 2,
    pollIntervalMs: 20,
    minProfit: "0",
    nativePriceE18: ethers.parseUnits("3000", 18),
    maxGasPriceWei: ethers.parseUnits("100", "gwei"),
    priorityFeeWei: ethers.parseUnits("1", "gwei"),
    maxFeeBumps: 3,
    feeBumpPercent: 15,
    bumpAfterBlocks: 2,
    receiptTimeoutBlocks: 25,
    dryRun: false,
    approve: false,
    stateDir,
    logRangeBlocks: 2_000,
    lensBatchSize: 500,
    watchHealthFactorE18: ethers.parseUnits("1.05", 18),
    fullScanEveryBlocks: 100,
    ...options.settings,
  };
  const { keeper, transport } = await assembleKeeper({
    inner: options.wrapTransport ? options.wrapTransport(inner) : inner,
    wallet,
    settings,
    logger,
    metrics,
    retryPolicy: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50 },
    onRetry: (_method, _attempt, delayMs) => retryDelaysMs.push(delayMs),
  });
  return { keeper, metrics, transport, logs, retryDelaysMs, wallet, stateDir };
}

/** Funds a keeper wallet with the pool's loan asset and approves the pool, from the Hardhat account itself. */
export async function fundKeeper(fx: PoolFixture, wallet: Wallet, wholeLoanAssets: bigint): Promise<void> {
  const signer = await ethers.getSigner(wallet.address);
  await fx.loanToken.mint(wallet.address, wholeLoanAssets * 10n ** BigInt(fx.loanDecimals));
  await fx.loanToken.connect(signer).approve(await fx.pool.getAddress(), ethers.MaxUint256);
}

/** A keeper (the default wallet unless `settings` or the options say otherwise) on `fx`'s pool and lens. */
export async function keeperFor(
  fx: PoolFixture,
  settings: TestKeeperOptions["settings"] = {},
  options: Omit<TestKeeperOptions, "pool" | "lens" | "settings"> = {},
): Promise<TestKeeper> {
  return createTestKeeper({ ...options, pool: await fx.pool.getAddress(), lens: await fx.lens.getAddress(), settings });
}

/** The loan asset of the keeper suites' pools: 6 decimals. */
export const KEEPER_LOAN_DECIMALS = 6;

/**
 * The keeper suites' pool: 6-decimals loan asset; COL0 (18 decimals) at 2,000 and COL1 (8 decimals) at 30,000, bonus
 * 5%; dust 5; ~9.5% APR (3e9 per second). LP i deposits `lpDeposits[i]` whole loan assets; then each Hardhat account
 * of `keeperWallets` gets 1,000,000 of the loan asset and approves the pool.
 */
export async function deployKeeperPool(
  lpDeposits: readonly number[],
  keeperWallets: readonly number[] = [KEEPER_WALLET_INDEX],
): Promise<PoolFixture> {
  const fx = await deployPool({
    loanDecimals: KEEPER_LOAN_DECIMALS,
    collateralDecimals: [18, 8],
    collateralPrices: [2_000, 30_000],
    dustThresholdAssets: units(5, KEEPER_LOAN_DECIMALS),
    ratePerSecondE18: 3_000_000_000n,
  });
  for (const [index, deposit] of lpDeposits.entries()) {
    await fx.pool.connect(fx.lps[index]).deposit(units(deposit, KEEPER_LOAN_DECIMALS), fx.lps[index].address);
  }
  for (const index of keeperWallets) await fundKeeper(fx, hardhatWallet(index), 1_000_000n);
  return fx;
}

export const setAutomine = (enabled: boolean): Promise<unknown> => network.provider.send("evm_setAutomine", [enabled]);
export const mineBlock = (): Promise<unknown> => network.provider.send("evm_mine", []);

/** Keeper transactions mined in a block, by sender. */
export async function transactionsFrom(sender: string, blockNumber: number): Promise<string[]> {
  const block = await ethers.provider.getBlock(blockNumber, true);
  return (block?.prefetchedTransactions ?? [])
    .filter((transaction) => transaction.from.toLowerCase() === sender.toLowerCase())
    .map((transaction) => transaction.hash);
}
