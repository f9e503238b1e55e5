/**
 * `status`: one table per pool of a deployment: the exit and entry share prices, total assets, the recognized
 * shortfall and the reserve's part covering it, reserve, cash, borrows, utilization, rates, borrowers by health band
 * (PoolLens over every account that ever borrowed, found from Borrow events), every borrower with a shortfall (live
 * or recognized), and the bad debt realized so far (BadDebtRealized events).
 *
 *   ts-node scripts/status.ts [--network localhost] [--rpc-url URL] [--pool NAME|ADDRESS] [--json]
 */
import Table from "cli-table3";
import { Command, Option } from "commander";
import { MAX_UINT256 } from "../keepers/src/model/poolMath";
import { addConnectionOptions, connect, runProgram, selectPool, type ConnectionOptions } from "./lib/connect";
import { formatAmount, formatAprFromPerSecond, formatBps, formatPercentE18 } from "./lib/format";
import { DEFAULT_LOG_CHUNK_BLOCKS, HEALTH_BANDS, readPoolStatus, type PoolStatus } from "./lib/poolStatus";

/** The status as text: a table of the pool's figures, one of its borrowers by health band, and its shortfalls. */
export function renderPoolStatus(status: PoolStatus): string {
  const amount = (value: bigint): string => `${formatAmount(value, status.loanDecimals)} ${status.loanSymbol}`;
  const price = (value: bigint): string => `${formatAmount(value, status.loanDecimals, 6)} ${status.loanSymbol} per share`;
  const figures = new Table({ style: { head: [], border: [] }, head: [`${status.name}`, `${status.address} @ block ${status.blockNumber}`] });
  figures.push(
    ["share price (exit)", `${price(status.sharePrice)}: what a withdrawal or redemption pays, net of recognized losses`],
    ["entry price", `${price(status.entrySharePrice)}: what a deposit pays`],
    ["total assets (LPs)", `${amount(status.totalAssets)} at the exit price (${amount(status.entryTotalAssets)} before the shortfall)`],
    [
      "recognized shortfall",
      status.totalShortfall === 0n
        ? "none"
        : `${amount(status.totalShortfall)}: the reserve covers ${amount(status.reserveCoveringShortfall)}, ` +
          `exits are priced net of ${amount(status.shortfallDeductedFromExits)}`,
    ],
    [
      "reserve",
      status.reserveCoveringShortfall === 0n
        ? amount(status.reserveAssets)
        : `${amount(status.reserveAssets)} (${amount(status.reserveCoveringShortfall)} of it committed to the shortfall)`,
    ],
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
  const short = status.accounts.filter((account) => account.shortfall > 0n || account.recognizedShortfall > 0n);
  if (short.length === 0) return `${figures.toString()}\n${bands.toString()}`;
  const shortfalls = new Table({
    style: { head: [], border: [] },
    head: ["borrower with a shortfall", "debt", "recovery value", "shortfall now", "recognized"],
    colAligns: ["left", "right", "right", "right", "right"],
  });
  for (const account of short) {
    shortfalls.push([
      account.account,
      amount(account.debt),
      amount(account.recoveryValue),
      amount(account.shortfall),
      amount(account.recognizedShortfall),
    ]);
  }
  return `${figures.toString()}\n${bands.toString()}\n${shortfalls.toString()}`;
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
    .description(
      "Print each pool's exit and entry share prices, totals, recognized shortfall, rates, borrowers by health band " +
        "and by shortfall, and bad debt realized so far.",
    )
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
