/**
 * Keeper benchmark (issue 4): `npm run bench:keeper` prints tables, it is not a test.
 *
 * On the in-process Hardhat network, for 1,000 and 10,000 borrowing accounts in one pool:
 * - set-up time of the positions (see `borrowers.ts`; the strategies are compared on a small sample first);
 * - first tick (indexing every position event from the deploy block, then a full scan) and steady-state tick on a new
 *   block (the full scan: the model values every debtor from the mirrored positions, the lens confirms those below the
 *   watch health factor): wall time, RPC calls, accounts per second, for several `lensBatchSize` values, and the gas of
 *   one `PoolLens.accounts` batch against the 30M eth_call gas cap (what confirming that many accounts costs);
 * - a price crash in block B that makes 1% of the accounts liquidatable (automine off): the keeper's tick on B, how many
 *   liquidations it sent, and the block each one was included in (B+1 is the target);
 * - loss recognition (on in every tick, at the default --recognition-threshold): a deeper crash in block B that makes
 *   the same 1% insolvent (collateral recovering less than the debt) while closing them does not pay (--min-profit
 *   above any bonus): the keeper's tick on B, the accounts it recognized, its `recognizeLosses` transactions and their
 *   gas, the block each was included in (B+1 is the target), and the tick on B+1 that verifies them against the model.
 *
 * Each size runs in its own child process (see `runSizeInChild`). Every timing is repeated and the median printed, with (min–max). Exits non-zero with a message when a sanity check
 * fails (an account not scanned, a batch out of gas, a liquidation never included).
 *
 * Env: BENCH_ACCOUNTS=1000,10000  BENCH_LENS_BATCH=500,1000  BENCH_REPEATS=3  BENCH_SETUP=clones|impersonation
 *      BENCH_SETUP_SAMPLE=100 (accounts per strategy in the set-up comparison; 0 skips it)
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Table from "cli-table3";
import { ethers, network } from "hardhat";
import type { KeeperSettings, TickReport } from "../src/keeper";
import { deployPool, priceE36, units, type PoolFixture } from "../../test/helpers/fixtures";
import {
  createTestKeeper,
  fundKeeper,
  hardhatWallet,
  KEEPER_WALLET_INDEX,
  type TestKeeper,
} from "../../test/keeper/harness";
import { BusyTimeTransport } from "./busyTransport";
import {
  DEFAULT_BLOCK_GAS_LIMIT,
  SETUP_STRATEGIES,
  benchFactoryArtifact,
  openPositions,
  type PositionPlan,
  type SetupStrategy,
} from "./borrowers";
import { formatInt, formatMs, formatRange, median, timed } from "./stats";

const LOAN_DECIMALS = 6;
const COLLATERAL_DECIMALS = 18;
const COLLATERAL_PRICE = 2_000;
const CRASH_PRICE = 1_800;
/**
 * At 1,520 a risky account (1 collateral, ~1,450 of debt) recovers 1,520 / 1.05 = 1,447.62: insolvent by ~2.4, above the
 * default threshold of 10 bps (1.45); the others (≤ 1,199 of debt, liquidation limit 1,216) stay healthy.
 */
const INSOLVENCY_PRICE = 1_520;
/** A --min-profit no close reaches (loan-asset units): the insolvency crash measures recognition alone. */
const NO_CLOSE_MIN_PROFIT = "1000000";
/** One account in this many is opened close to its limit and becomes liquidatable at CRASH_PRICE. */
const RISKY_EVERY = 100;

const intList = (value: string | undefined, fallback: number[]): number[] =>
  value === undefined || value.trim() === ""
    ? fallback
    : value.split(",").map((item) => Number.parseInt(item.trim(), 10));

const ACCOUNT_COUNTS = intList(process.env.BENCH_ACCOUNTS, [1_000, 10_000]);
const LENS_BATCH_SIZES = intList(process.env.BENCH_LENS_BATCH, [500, 1_000]);
const REPEATS = Number.parseInt(process.env.BENCH_REPEATS ?? "3", 10);
const FIRST_TICK_REPEATS = Math.max(1, Math.min(REPEATS, 2));
const CRASH_REPEATS = Math.max(1, Math.min(REPEATS, 2));
const SETUP_STRATEGY = (process.env.BENCH_SETUP ?? "clones") as SetupStrategy;
const SETUP_SAMPLE = Number.parseInt(process.env.BENCH_SETUP_SAMPLE ?? "100", 10);
/** The targets of issue 4, for the "meets target" column. */
const TARGET_ACCOUNTS = 10_000;
const TARGET_SCAN_MS = 2_000;
const TARGET_RPC_CALLS = 25;

/** No ANSI colours: the tables are meant to be pasted. */
const PLAIN = { head: [], border: [] };

class BenchFailure extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BenchFailure(message);
}

const send = (method: string, params: unknown[] = []): Promise<unknown> => network.provider.send(method, params);
const mine = (): Promise<unknown> => send("evm_mine");

/** Account `index`: 1 collateral (2,000), borrowing 600–1,199, or 1,450 for one in RISKY_EVERY (liquidatable at 1,800). */
function positionPlan(index: number): PositionPlan {
  const wholeBorrow = index % RISKY_EVERY === 0 ? 1_450 : 600 + ((index * 7) % 600);
  return { collateralAssets: units(1, COLLATERAL_DECIMALS), borrowAssets: units(wholeBorrow, LOAN_DECIMALS) };
}

async function freshPool(accountCount: number): Promise<PoolFixture> {
  await send("hardhat_reset");
  const fx = await deployPool({
    loanDecimals: LOAN_DECIMALS,
    collateralDecimals: [COLLATERAL_DECIMALS],
    collateralPrices: [COLLATERAL_PRICE],
    ratePerSecondE18: 3_000_000_000n, // ~9.5% APR: the lens accrues interest for every account it reads
    mintWholeTokens: BigInt(accountCount) * 2_000n + 1_000_000n,
  });
  await fx.pool
    .connect(fx.lps[0])
    .deposit(units(BigInt(accountCount) * 1_500n + 100_000n, LOAN_DECIMALS), fx.lps[0].address);
  await fundKeeper(fx, hardhatWallet(KEEPER_WALLET_INDEX), 10_000_000n);
  return fx;
}

interface Bench {
  fx: PoolFixture;
  pool: string;
  lens: string;
}

interface MeasuredKeeper extends TestKeeper {
  busy: BusyTimeTransport;
}

async function measuredKeeper(
  bench: Bench,
  lensBatchSize: number,
  stateDir?: string,
  settings: Partial<KeeperSettings> = {},
): Promise<MeasuredKeeper> {
  let busy: BusyTimeTransport | undefined;
  const testKeeper = await createTestKeeper({
    pool: bench.pool,
    lens: bench.lens,
    stateDir,
    settings: { lensBatchSize, ...settings },
    wrapTransport: (inner) => (busy = new BusyTimeTransport(inner)),
  });
  check(busy !== undefined, "the keeper harness did not call wrapTransport");
  return { ...testKeeper, busy };
}

/** What a table needs of one tick (plain JSON: rows travel from the per-size child process). */
interface SampleSummary {
  durationMs: number;
  rpcCalls: number;
  rpcBusyMs: number;
  callsByMethod: Record<string, number>;
}

const summarize = (sample: TickSample): SampleSummary => ({
  durationMs: sample.report.durationMs,
  rpcCalls: sample.report.rpcCalls,
  rpcBusyMs: sample.rpcBusyMs,
  callsByMethod: sample.callsByMethod,
});

interface TickSample {
  report: TickReport;
  /** Wall time with an RPC request in flight. */
  rpcBusyMs: number;
  callsByMethod: Record<string, number>;
}

async function measuredTick(keeper: MeasuredKeeper): Promise<TickSample> {
  const busyBefore = keeper.busy.busyMilliseconds;
  const countsBefore = keeper.transport.callCounts();
  const report = await keeper.keeper.tick();
  check(!report.skippedSameBlock, `tick on block ${report.block} was skipped as already processed`);
  const callsByMethod: Record<string, number> = {};
  for (const [method, count] of Object.entries(keeper.transport.callCounts())) {
    const delta = count - (countsBefore[method] ?? 0);
    if (delta > 0) callsByMethod[method] = delta;
  }
  return { report, rpcBusyMs: keeper.busy.busyMilliseconds - busyBefore, callsByMethod };
}

const methodsSummary = (calls: Record<string, number>): string =>
  Object.entries(calls)
    .sort(([, a], [, b]) => b - a)
    .map(([method, count]) => `${method.replace(/^eth_/, "")} ${count}`)
    .join(", ");

type ScanVariant = "keeper";

interface ScanRow {
  accounts: number;
  lensBatchSize: number;
  variant: ScanVariant;
  phase: "first tick (getLogs + scan)" | "steady tick (full scan)" | "reconciliation tick (lens confirms all)";
  samples: SampleSummary[];
  lensBatchGas: number;
}

interface CrashRow {
  accounts: number;
  lensBatchSize: number;
  liquidatable: number[];
  sent: number[];
  tickMs: number[];
  rpcCalls: number[];
  /** Inclusion block minus crash block, every liquidation of every repetition. */
  blocksToInclusion: number[];
  includedInNextBlock: number[];
  liquidationGas: number[];
}

interface RecognitionRow {
  accounts: number;
  lensBatchSize: number;
  insolvent: number[];
  recognized: number[];
  transactions: number[];
  tickMs: number[];
  rpcCalls: number[];
  /** Inclusion block minus crash block, every recognition transaction of every repetition. */
  blocksToInclusion: number[];
  includedInNextBlock: number[];
  gasPerTransaction: number[];
  gasPerAccount: number[];
  verifyTickMs: number[];
  verifyRpcCalls: number[];
  verified: string[];
}

interface SetupRow {
  strategy: string;
  accounts: number;
  ms: number;
}

async function compareSetupStrategies(sample: number): Promise<SetupRow[]> {
  benchFactoryArtifact(); // compile outside the timing
  const rows: SetupRow[] = [];
  for (const strategy of SETUP_STRATEGIES) {
    const fx = await freshPool(sample);
    const plans = Array.from({ length: sample }, (_, index) => positionPlan(index));
    const { ms } = await timed(() => openPositions(fx, plans, strategy));
    const borrowers = await fx.pool.queryFilter(fx.pool.filters.Borrow());
    check(borrowers.length === sample, `set-up "${strategy}" opened ${borrowers.length} positions, not ${sample}`);
    rows.push({ strategy, accounts: sample, ms });
  }
  return rows;
}

/** Gas of one `PoolLens.accounts` call over the first `batchSize` tracked accounts (throws when it exceeds the cap). */
async function lensBatchGas(bench: Bench, accounts: readonly string[], batchSize: number): Promise<bigint> {
  try {
    return await bench.fx.lens.accounts.estimateGas(bench.pool, accounts.slice(0, batchSize));
  } catch (error) {
    throw new BenchFailure(
      `PoolLens.accounts with ${batchSize} accounts does not fit the ${DEFAULT_BLOCK_GAS_LIMIT} eth_call gas cap: ` +
        `${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    );
  }
}

/** First ticks of fresh keepers, then steady ticks of the last one on new blocks; returns the rows and that keeper. */
async function measureScans(
  bench: Bench,
  accountCount: number,
  lensBatchSize: number,
  variant: ScanVariant,
): Promise<{ rows: ScanRow[]; warm: MeasuredKeeper }> {
  const firstSamples: TickSample[] = [];
  let warm: MeasuredKeeper | undefined;
  for (let repeat = 0; repeat < FIRST_TICK_REPEATS; repeat++) {
    const keeper = await measuredKeeper(bench, lensBatchSize);
    const sample = await measuredTick(keeper);
    check(
      sample.report.accountsScanned === accountCount,
      `first tick scanned ${sample.report.accountsScanned} accounts, not ${accountCount}`,
    );
    check(sample.report.liquidatable === 0, `${sample.report.liquidatable} accounts liquidatable before the crash`);
    firstSamples.push(sample);
    warm = keeper;
  }
  check(warm !== undefined, "no keeper was made");
  const steadySamples: TickSample[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    await mine();
    const sample = await measuredTick(warm);
    check(
      sample.report.accountsScanned === accountCount,
      `steady tick scanned ${sample.report.accountsScanned} accounts`,
    );
    steadySamples.push(sample);
  }
  // Every --full-scan-every-blocks blocks the lens confirms every account (the mirror's self-check): what that costs.
  const reconcileSamples: TickSample[] = [];
  const reconcileDir = mkdtempSync(path.join(os.tmpdir(), "keeper-bench-"));
  cpSync(warm.stateDir, reconcileDir, { recursive: true });
  const reconciling = await measuredKeeper(bench, lensBatchSize, reconcileDir, { fullScanEveryBlocks: 1 });
  for (let repeat = 0; repeat < Math.min(REPEATS, 2); repeat++) {
    await mine();
    const sample = await measuredTick(reconciling);
    check(
      sample.report.lensConfirmed === accountCount,
      `reconciliation tick confirmed ${sample.report.lensConfirmed} accounts through the lens, not ${accountCount}`,
    );
    reconcileSamples.push(sample);
  }
  const accounts =
    warm.keeper.state.pools[bench.pool] === undefined ? [] : Object.keys(warm.keeper.state.pools[bench.pool].accounts);
  const gas = await lensBatchGas(bench, accounts, lensBatchSize);
  const common = { accounts: accountCount, lensBatchSize, variant, lensBatchGas: Number(gas) };
  return {
    rows: [
      { ...common, phase: "first tick (getLogs + scan)", samples: firstSamples.map(summarize) },
      { ...common, phase: "steady tick (full scan)", samples: steadySamples.map(summarize) },
      { ...common, phase: "reconciliation tick (lens confirms all)", samples: reconcileSamples.map(summarize) },
    ],
    warm,
  };
}

/** Crash in block B with automine off, tick, mine until every liquidation sent is included. */
async function measureCrash(
  bench: Bench,
  accountCount: number,
  warm: MeasuredKeeper,
  lensBatchSize: number,
): Promise<CrashRow> {
  const row: CrashRow = {
    accounts: accountCount,
    lensBatchSize,
    liquidatable: [],
    sent: [],
    tickMs: [],
    rpcCalls: [],
    blocksToInclusion: [],
    includedInNextBlock: [],
    liquidationGas: [],
  };
  // `warm` already knows every account, as in production; each repetition starts from a copy of its state.
  const expectedLiquidatable = Math.ceil(accountCount / RISKY_EVERY);
  for (let repeat = 0; repeat < CRASH_REPEATS; repeat++) {
    const snapshot = (await send("evm_snapshot")) as string;
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "keeper-bench-"));
    cpSync(warm.stateDir, stateDir, { recursive: true });
    const keeper = await measuredKeeper(bench, lensBatchSize, stateDir);
    await send("evm_setAutomine", [false]);
    try {
      await bench.fx.collaterals[0].oracle.setPrice(priceE36(CRASH_PRICE, LOAN_DECIMALS, COLLATERAL_DECIMALS));
      await mine();
      const crashBlock = await ethers.provider.getBlockNumber();
      const sample = await measuredTick(keeper);
      const { report } = sample;
      check(
        report.block === crashBlock,
        `the crash tick ran on block ${report.block}, not the crash block ${crashBlock}`,
      );
      check(
        report.liquidatable === expectedLiquidatable,
        `${report.liquidatable} accounts liquidatable after the crash, expected ${expectedLiquidatable}`,
      );
      const sent = report.sends.filter((entry) => entry.result === "sent");
      check(sent.length > 0, `the keeper sent no liquidation: ${JSON.stringify(report.sends.slice(0, 3))}`);
      // Liquidations and closes only (a trusted-price refresh of the same block, if any, is not one of them).
      const entries = keeper.keeper.state.journal.filter(
        (entry) => entry.detectedBlock === crashBlock && entry.action !== "refresh",
      );
      check(entries.length === sent.length, `${entries.length} journal entries for ${sent.length} sends`);
      const included = new Map<string, number>();
      for (let extraBlocks = 0; extraBlocks < 10 && included.size < entries.length; extraBlocks++) {
        await mine();
        for (const entry of entries) {
          if (included.has(entry.id)) continue;
          const receipt = await ethers.provider.getTransactionReceipt(entry.hashes[entry.hashes.length - 1]);
          if (receipt === null) continue;
          check(receipt.status === 1, `liquidation ${entry.id} reverted in block ${receipt.blockNumber}`);
          included.set(entry.id, receipt.blockNumber);
          row.liquidationGas.push(Number(receipt.gasUsed));
        }
      }
      check(
        included.size === entries.length,
        `${entries.length - included.size} liquidations not included within 10 blocks`,
      );
      const offsets = [...included.values()].map((block) => block - crashBlock);
      row.liquidatable.push(report.liquidatable);
      row.sent.push(sent.length);
      row.tickMs.push(report.durationMs);
      row.rpcCalls.push(report.rpcCalls);
      row.blocksToInclusion.push(...offsets);
      row.includedInNextBlock.push(offsets.filter((offset) => offset === 1).length);
    } finally {
      await send("evm_setAutomine", [true]);
      await send("evm_revert", [snapshot]);
    }
  }
  return row;
}

/**
 * Crash into insolvency in block B with automine off, where closing does not pay: the tick on B recognizes, B+1
 * includes, the tick on B+1 verifies.
 */
async function measureRecognitionCrash(
  bench: Bench,
  accountCount: number,
  warm: MeasuredKeeper,
  lensBatchSize: number,
): Promise<RecognitionRow> {
  const row: RecognitionRow = {
    accounts: accountCount,
    lensBatchSize,
    insolvent: [],
    recognized: [],
    transactions: [],
    tickMs: [],
    rpcCalls: [],
    blocksToInclusion: [],
    includedInNextBlock: [],
    gasPerTransaction: [],
    gasPerAccount: [],
    verifyTickMs: [],
    verifyRpcCalls: [],
    verified: [],
  };
  const expectedInsolvent = Math.ceil(accountCount / RISKY_EVERY);
  for (let repeat = 0; repeat < CRASH_REPEATS; repeat++) {
    const snapshot = (await send("evm_snapshot")) as string;
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "keeper-bench-"));
    cpSync(warm.stateDir, stateDir, { recursive: true });
    const keeper = await measuredKeeper(bench, lensBatchSize, stateDir, { minProfit: NO_CLOSE_MIN_PROFIT });
    await send("evm_setAutomine", [false]);
    try {
      await bench.fx.collaterals[0].oracle.setPrice(priceE36(INSOLVENCY_PRICE, LOAN_DECIMALS, COLLATERAL_DECIMALS));
      await mine();
      const crashBlock = await ethers.provider.getBlockNumber();
      const { report } = await measuredTick(keeper);
      check(report.block === crashBlock, `the insolvency tick ran on block ${report.block}, not ${crashBlock}`);
      check(
        report.liquidatable === expectedInsolvent,
        `${report.liquidatable} accounts to act on after the insolvency crash, expected ${expectedInsolvent}`,
      );
      const sent = report.recognitions.filter((entry) => entry.result === "sent");
      const recognized = sent.reduce((sum, entry) => sum + entry.accounts.length, 0);
      check(
        recognized === expectedInsolvent,
        `the keeper recognized ${recognized} accounts, expected ${expectedInsolvent}: ${JSON.stringify(report.recognitions)}`,
      );
      const entries = keeper.keeper.state.journal.filter(
        (entry) => entry.detectedBlock === crashBlock && entry.action === "recognize",
      );
      check(entries.length === sent.length, `${entries.length} journal entries for ${sent.length} recognitions`);
      await mine();
      const offsets: number[] = [];
      for (const entry of entries) {
        const receipt = await ethers.provider.getTransactionReceipt(entry.hashes[entry.hashes.length - 1]);
        check(receipt !== null, `recognition ${entry.id} not included in the block after the crash`);
        check(receipt.status === 1, `recognition ${entry.id} reverted`);
        offsets.push(receipt.blockNumber - crashBlock);
        row.gasPerTransaction.push(Number(receipt.gasUsed));
        row.gasPerAccount.push(Number(receipt.gasUsed) / (entry.accounts?.length ?? 1));
      }
      const verification = await measuredTick(keeper);
      const statuses = verification.report.recognitionChecks.map((entry) => entry.status);
      check(
        statuses.length === entries.length && statuses.every((status) => status === "verified"),
        `recognitions not verified against the model: ${statuses.join(", ")}`,
      );
      row.insolvent.push(report.liquidatable);
      row.recognized.push(recognized);
      row.transactions.push(sent.length);
      row.tickMs.push(report.durationMs);
      row.rpcCalls.push(report.rpcCalls);
      row.blocksToInclusion.push(...offsets);
      row.includedInNextBlock.push(offsets.filter((offset) => offset === 1).length);
      row.verifyTickMs.push(verification.report.durationMs);
      row.verifyRpcCalls.push(verification.report.rpcCalls);
      row.verified.push(`${statuses.length}/${entries.length}`);
    } finally {
      await send("evm_setAutomine", [true]);
      await send("evm_revert", [snapshot]);
    }
  }
  return row;
}

function machineTable(): string {
  const cpus = os.cpus();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hardhatVersion = (require("hardhat/package.json") as { version: string }).version;
  const table = new Table({ head: ["machine", ""], style: PLAIN });
  table.push(
    ["CPUs", `${cpus.length} × ${cpus[0]?.model ?? "unknown"}`],
    ["memory", `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ["node", process.version],
    ["hardhat (EDR, in-process)", hardhatVersion],
    [
      "repeats",
      `${REPEATS} steady ticks, ${FIRST_TICK_REPEATS} first ticks, ${CRASH_REPEATS} crashes per row; median (min–max)`,
    ],
  );
  return table.toString();
}

function setupTable(comparison: SetupRow[], full: SetupRow[]): string {
  const table = new Table({ head: ["set-up", "strategy", "accounts", "wall time (s)", "accounts/s"], style: PLAIN });
  for (const row of comparison) {
    table.push([
      "comparison",
      row.strategy,
      formatInt(row.accounts),
      (row.ms / 1000).toFixed(1),
      formatInt(row.accounts / (row.ms / 1000)),
    ]);
  }
  for (const row of full) {
    table.push([
      "benchmark",
      row.strategy,
      formatInt(row.accounts),
      (row.ms / 1000).toFixed(1),
      formatInt(row.accounts / (row.ms / 1000)),
    ]);
  }
  return table.toString();
}

function scanTable(rows: ScanRow[]): string {
  const table = new Table({
    head: [
      "accounts",
      "lens batch",
      "scan code",
      "tick",
      "wall ms",
      "RPC calls",
      "accounts/s",
      "RPC busy ms",
      "calls by method",
      "gas / lens call",
      `≤${TARGET_SCAN_MS / 1000}s & ≤${TARGET_RPC_CALLS} calls`,
    ],
    style: PLAIN,
  });
  for (const row of rows) {
    const wall = row.samples.map((sample) => sample.durationMs);
    const calls = row.samples.map((sample) => sample.rpcCalls);
    const medianWall = median(wall);
    const meets =
      row.phase === "steady tick (full scan)" && row.accounts >= TARGET_ACCOUNTS
        ? medianWall <= TARGET_SCAN_MS && Math.max(...calls) <= TARGET_RPC_CALLS
          ? "yes"
          : "NO"
        : "";
    table.push([
      formatInt(row.accounts),
      formatInt(row.lensBatchSize),
      row.variant,
      row.phase,
      formatMs(wall),
      formatRange(calls),
      formatInt(row.accounts / (medianWall / 1000)),
      formatMs(row.samples.map((sample) => sample.rpcBusyMs)),
      methodsSummary(row.samples[row.samples.length - 1].callsByMethod),
      `${formatInt(row.lensBatchGas)} (${((row.lensBatchGas / Number(DEFAULT_BLOCK_GAS_LIMIT)) * 100).toFixed(0)}% of cap)`,
      meets,
    ]);
  }
  return table.toString();
}

function crashTable(rows: CrashRow[]): string {
  const table = new Table({
    head: [
      "accounts",
      "lens batch",
      "liquidatable at B",
      "sent in tick on B",
      "tick on B ms",
      "RPC calls",
      "included in B+1",
      "blocks price move → inclusion",
      "gas / liquidation",
    ],
    style: PLAIN,
  });
  for (const row of rows) {
    table.push([
      formatInt(row.accounts),
      formatInt(row.lensBatchSize),
      formatRange(row.liquidatable),
      formatRange(row.sent),
      formatMs(row.tickMs),
      formatRange(row.rpcCalls),
      row.includedInNextBlock.map((count, index) => `${count}/${row.sent[index]}`).join(", "),
      formatRange(row.blocksToInclusion),
      formatInt(median(row.liquidationGas)),
    ]);
  }
  return table.toString();
}

function recognitionTable(rows: RecognitionRow[]): string {
  const table = new Table({
    head: [
      "accounts",
      "lens batch",
      "insolvent at B",
      "recognized in tick on B",
      "recognizeLosses txs",
      "tick on B ms",
      "RPC calls",
      "included in B+1",
      "blocks price move → recognition",
      "gas / tx",
      "gas / account",
      "verify tick on B+1 ms",
      "verify RPC calls",
      "verified",
    ],
    style: PLAIN,
  });
  for (const row of rows) {
    table.push([
      formatInt(row.accounts),
      formatInt(row.lensBatchSize),
      formatRange(row.insolvent),
      formatRange(row.recognized),
      formatRange(row.transactions),
      formatMs(row.tickMs),
      formatRange(row.rpcCalls),
      row.includedInNextBlock.map((count, index) => `${count}/${row.transactions[index]}`).join(", "),
      formatRange(row.blocksToInclusion),
      formatInt(median(row.gasPerTransaction)),
      formatInt(median(row.gasPerAccount)),
      formatMs(row.verifyTickMs),
      formatRange(row.verifyRpcCalls),
      row.verified.join(", "),
    ]);
  }
  return table.toString();
}

interface SizeResult {
  setup: SetupRow;
  scans: ScanRow[];
  crash: CrashRow;
  recognition: RecognitionRow;
}

/** One size in this process: a fresh pool, its positions, the scans and the crash. */
async function benchmarkSize(accountCount: number): Promise<SizeResult> {
  const fx = await freshPool(accountCount);
  const bench: Bench = { fx, pool: await fx.pool.getAddress(), lens: await fx.lens.getAddress() };
  const crashBatchSize = Math.max(...LENS_BATCH_SIZES);
  const plans = Array.from({ length: accountCount }, (_, index) => positionPlan(index));
  benchFactoryArtifact();
  const { ms } = await timed(() => openPositions(fx, plans, SETUP_STRATEGY));
  console.log(`${formatInt(accountCount)} positions opened in ${(ms / 1000).toFixed(1)} s (${SETUP_STRATEGY})`);
  const scans: ScanRow[] = [];
  let crashKeeper: MeasuredKeeper | undefined;
  for (const lensBatchSize of LENS_BATCH_SIZES) {
    const { rows, warm } = await measureScans(bench, accountCount, lensBatchSize, "keeper");
    if (lensBatchSize === crashBatchSize) crashKeeper = warm;
    scans.push(...rows);
    console.log(scanTable(rows));
  }
  check(crashKeeper !== undefined, "no keeper with the crash batch size");
  // The crash runs the keeper as it is, with the largest batch size measured: the fewest calls.
  const crash = await measureCrash(bench, accountCount, crashKeeper, crashBatchSize);
  console.log(crashTable([crash]));
  const recognition = await measureRecognitionCrash(bench, accountCount, crashKeeper, crashBatchSize);
  console.log(recognitionTable([recognition]));
  return { setup: { strategy: SETUP_STRATEGY, accounts: accountCount, ms }, scans, crash, recognition };
}

/**
 * Each size runs in its own `hardhat run` process: the in-process EDR node keeps hundreds of MB per large eth_call
 * (about 0.4 GB per 1,000-account lens call here), so one process for every size runs out of memory.
 */
function runSizeInChild(accountCount: number): SizeResult {
  const resultFile = path.join(mkdtempSync(path.join(os.tmpdir(), "keeper-bench-result-")), "result.json");
  const child = spawnSync(process.execPath, [require.resolve("hardhat/internal/cli/cli"), "run", __filename], {
    cwd: path.join(__dirname, "..", ".."),
    env: { ...process.env, BENCH_ONLY_ACCOUNTS: String(accountCount), BENCH_RESULT_FILE: resultFile },
    stdio: "inherit",
  });
  check(child.status === 0, `the ${formatInt(accountCount)}-account run exited with ${child.status ?? child.signal}`);
  return JSON.parse(readFileSync(resultFile, "utf8")) as SizeResult;
}

async function main(): Promise<void> {
  check(network.name === "hardhat", `run on the in-process Hardhat network, not --network ${network.name}`);
  check(SETUP_STRATEGIES.includes(SETUP_STRATEGY), `BENCH_SETUP must be one of ${SETUP_STRATEGIES.join(", ")}`);
  const only = process.env.BENCH_ONLY_ACCOUNTS;
  if (only !== undefined) {
    const result = await benchmarkSize(Number.parseInt(only, 10));
    writeFileSync(process.env.BENCH_RESULT_FILE ?? "/dev/stdout", JSON.stringify(result));
    return;
  }
  console.log(machineTable());
  const comparison = SETUP_SAMPLE > 0 ? await compareSetupStrategies(SETUP_SAMPLE) : [];
  if (comparison.length > 0) console.log(setupTable(comparison, []));
  const results = ACCOUNT_COUNTS.map((accountCount) => runSizeInChild(accountCount));

  console.log("\n=== Keeper benchmark: summary ===");
  console.log(machineTable());
  console.log(
    setupTable(
      comparison,
      results.map((result) => result.setup),
    ),
  );
  console.log(scanTable(results.flatMap((result) => result.scans)));
  console.log(crashTable(results.map((result) => result.crash)));
  console.log(recognitionTable(results.map((result) => result.recognition)));
}

main().catch((error: unknown) => {
  if (error instanceof BenchFailure) console.error(`bench:keeper failed a sanity check: ${error.message}`);
  else console.error(error);
  process.exitCode = 1;
});
