/**
 * `status`: one table per pool of a deployment: share price, total assets, reserve, cash, borrows, utilization,
 * rates, borrowers by health band (PoolLens over every account that ever borrowed, found from Borrow events) and
 * the bad debt realized so far (BadDebtRealized events).
 *
 *   ts-node scripts/status.ts [--network localhost] [--rpc-url URL] [--pool NAME|ADDRESS] [--json]
 */
import Table from "cli-table3";
import { Command, Option } from "commander";
import type { Provider } from "ethers";
import { IERC20Metadata__factory, PoolLens__factory, Pool__factory } from "../typechain-types";
import type { Pool } from "../typechain-types";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../typechain-types/common";
import type { Deployment } from "../keepers/src/deployments";
import { MAX_UINT256, WAD } from "../keepers/src/model/poolMath";
import { addConnectionOptions, connect, runProgram, selectPool, type ConnectionOptions } from "./lib/connect";
import { formatAmount, formatAprFromPerSecond, formatBps, formatPercentE18 } from "./lib/format";

/** Health bands, worst first. An account with no debt (repaid) is counted apart. */
export const HEALTH_BANDS = [
  "unpriced",
  "insolvent",
  "liquidatable",
  "at risk (<1.10)",
  "watch (<1.50)",
  "safe (≥1.50)",
  "no debt",
] as const;
export type HealthBand = (typeof HEALTH_BANDS)[number];

const AT_RISK_BELOW = (110n * WAD) / 100n;
const WATCH_BELOW = (150n * WAD) / 100n;

/** Which band a PoolLens account view falls in. */
export function healthBand(view: { debt: bigint; collateralValue: bigint; healthFactor: bigint; priced: boolean }): HealthBand {
  if (view.debt === 0n) return "no debt";
  if (!view.priced) return "unpriced";
  if (view.collateralValue < view.debt) return "insolvent";
  if (view.healthFactor < WAD) return "liquidatable";
  if (view.healthFactor < AT_RISK_BELOW) return "at risk (<1.10)";
  if (view.healthFactor < WATCH_BELOW) return "watch (<1.50)";
  return "safe (≥1.50)";
}

export interface BadDebtTotals {
  events: number;
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
}

export interface PoolStatus {
  name: string;
  address: string;
  loanSymbol: string;
  loanDecimals: number;
  blockNumber: number;
  totalAssets: bigint;
  totalSupply: bigint;
  sharePrice: bigint;
  reserveAssets: bigint;
  cash: bigint;
  totalBorrowAssets: bigint;
  utilizationE18: bigint;
  borrowRatePerSecondE18: bigint;
  supplyRatePerSecondE18: bigint;
  reserveFactorBps: bigint;
  paused: boolean;
  /** Every account that ever borrowed, with its band now. */
  accounts: { account: string; band: HealthBand; debt: bigint; healthFactor: bigint }[];
  bands: Record<HealthBand, number>;
  badDebt: BadDebtTotals;
}

/** Blocks per eth_getLogs request: public RPCs cap the range. */
export const DEFAULT_LOG_CHUNK_BLOCKS = 10_000;
const LENS_BATCH = 200;

/** Every event of `filter` from `fromBlock` to `toBlock`, asked for in chunks of `chunkBlocks`. */
export async function queryEventsChunked<E extends TypedContractEvent>(
  pool: Pool,
  filter: TypedDeferredTopicFilter<E>,
  fromBlock: number,
  toBlock: number,
  chunkBlocks = DEFAULT_LOG_CHUNK_BLOCKS,
): Promise<TypedEventLog<E>[]> {
  const events: TypedEventLog<E>[] = [];
  for (let start = fromBlock; start <= toBlock; start += chunkBlocks) {
    events.push(...(await pool.queryFilter(filter, start, Math.min(toBlock, start + chunkBlocks - 1))));
  }
  return events;
}

/** The figures of one pool at the latest block. */
export async function readPoolStatus(
  provider: Provider,
  deployment: Deployment,
  poolAddress: string,
  chunkBlocks = DEFAULT_LOG_CHUNK_BLOCKS,
): Promise<PoolStatus> {
  const blockNumber = await provider.getBlockNumber();
  const at = { blockTag: blockNumber };
  const pool = Pool__factory.connect(poolAddress, provider);
  const lens = PoolLens__factory.connect(deployment.contracts.PoolLens, provider);
  const loanToken = IERC20Metadata__factory.connect(await pool.asset(), provider);
  const state = await lens.poolState(poolAddress, at);

  const borrows = await queryEventsChunked(pool, pool.filters.Borrow(), deployment.deployBlock, blockNumber, chunkBlocks);
  const borrowers = [...new Set(borrows.map((event) => event.args.account))];
  const bands = Object.fromEntries(HEALTH_BANDS.map((band) => [band, 0])) as Record<HealthBand, number>;
  const accounts: PoolStatus["accounts"] = [];
  for (let start = 0; start < borrowers.length; start += LENS_BATCH) {
    for (const view of await lens.accounts(poolAddress, borrowers.slice(start, start + LENS_BATCH), at)) {
      const band = healthBand(view);
      bands[band] += 1;
      accounts.push({ account: view.account, band, debt: view.debt, healthFactor: view.healthFactor });
    }
  }

  const realized = await queryEventsChunked(pool, pool.filters.BadDebtRealized(), deployment.deployBlock, blockNumber, chunkBlocks);
  const badDebt: BadDebtTotals = { events: realized.length, badDebtAssets: 0n, coveredByReserve: 0n, socializedAssets: 0n };
  for (const event of realized) {
    badDebt.badDebtAssets += event.args.badDebtAssets;
    badDebt.coveredByReserve += event.args.coveredByReserve;
    badDebt.socializedAssets += event.args.socializedAssets;
  }

  return {
    name: await pool.name(),
    address: poolAddress,
    loanSymbol: await loanToken.symbol(),
    loanDecimals: Number(await loanToken.decimals()),
    blockNumber,
    totalAssets: state.totalAssets,
    totalSupply: state.totalSupply,
    sharePrice: state.sharePrice,
    reserveAssets: state.reserveAssets,
    cash: state.cash,
    totalBorrowAssets: state.totalBorrowAssets,
    utilizationE18: state.utilizationE18,
    borrowRatePerSecondE18: state.borrowRatePerSecondE18,
    supplyRatePerSecondE18: state.supplyRatePerSecondE18,
    reserveFactorBps: state.reserveFactorBps,
    paused: state.paused,
    accounts,
    bands,
    badDebt,
  };
}

/** The status as text: a table of the pool's figures and one of its borrowers by health band. */
export function renderPoolStatus(status: PoolStatus): string {
  const amount = (value: bigint): string => `${formatAmount(value, status.loanDecimals)} ${status.loanSymbol}`;
  const figures = new Table({ style: { head: [], border: [] }, head: [`${status.name}`, `${status.address} @ block ${status.blockNumber}`] });
  figures.push(
    ["share price", `${formatAmount(status.sharePrice, status.loanDecimals, 6)} ${status.loanSymbol} per share`],
    ["total assets (LPs)", amount(status.totalAssets)],
    ["reserve", amount(status.reserveAssets)],
    ["cash (idle)", amount(status.cash)],
    ["borrows", amount(status.totalBorrowAssets)],
    ["utilization", formatPercentE18(status.utilizationE18)],
    ["borrow APR", formatAprFromPerSecond(status.borrowRatePerSecondE18)],
    ["supply APR", formatAprFromPerSecond(status.supplyRatePerSecondE18)],
    ["reserve factor", formatBps(status.reserveFactorBps)],
    ["paused", status.paused ? "yes" : "no"],
    [
      "bad debt realized",
      status.badDebt.events === 0
        ? "none"
        : `${amount(status.badDebt.badDebtAssets)} in ${status.badDebt.events} event(s): ` +
          `reserve covered ${amount(status.badDebt.coveredByReserve)}, LPs absorbed ${amount(status.badDebt.socializedAssets)}`,
    ],
  );
  const bands = new Table({ style: { head: [], border: [] }, head: ["health band", "accounts"] });
  for (const band of HEALTH_BANDS) bands.push([band, String(status.bands[band])]);
  return `${figures.toString()}\n${bands.toString()}`;
}

/** JSON-safe copy of a status (bigints as decimal strings, no debt sentinel). */
export function statusToJson(status: PoolStatus): unknown {
  return JSON.parse(
    JSON.stringify(status, (_key, value: unknown) =>
      typeof value === "bigint" ? (value === MAX_UINT256 ? "max" : value.toString()) : value,
    ),
  );
}

interface StatusOptions extends ConnectionOptions {
  pool?: string;
  json?: boolean;
  logChunk: number;
}

export function buildProgram(): Command {
  const program = new Command("status")
    .description("Print each pool's share price, totals, rates, borrowers by health band and bad debt realized so far.")
    .option("-p, --pool <name|address>", "only this pool (default: every pool of the deployment)")
    .option("--json", "print JSON instead of tables")
    .addOption(new Option("--log-chunk <blocks>", "blocks per eth_getLogs request").default(DEFAULT_LOG_CHUNK_BLOCKS).argParser(Number));
  addConnectionOptions(program);
  program.action(async (options: StatusOptions) => {
    const { provider, deployment } = await connect(options);
    try {
      const pools = options.pool === undefined ? deployment.pools : [selectPool(deployment, options.pool)];
      const statuses: PoolStatus[] = [];
      for (const pool of pools) statuses.push(await readPoolStatus(provider, deployment, pool.address, options.logChunk));
      if (options.json) console.log(JSON.stringify(statuses.map(statusToJson), null, 2));
      else console.log(statuses.map(renderPoolStatus).join("\n\n"));
    } finally {
      provider.destroy();
    }
  });
  return program;
}

if (require.main === module) void runProgram(buildProgram());
