/**
 * Everything the pool page shows, read from the chain: the pool's figures (shared with `npm run status`), its
 * collaterals, an account's position, the loss history and the share-price series. Plain ethers: any EIP-1193
 * wallet's provider, or a JSON-RPC provider in tests.
 */
import { ZeroAddress, type Provider } from "ethers";
import { queryEventsChunked, readPoolStatus, type PoolStatus } from "../../../scripts/lib/poolStatus";
import { wholePriceE18 } from "../../../deploy/lib/units";
import { lossRows, type LossRow, type ShareTransfer } from "../lib/losses";
import { positionSummary, type LpFlow, type PositionSummary } from "../lib/position";
import type { PricePoint } from "../lib/chart";
import { isRevert } from "../lib/errors";
import type { AppTarget } from "../lib/target";
import {
  ERC20Permit__factory,
  IERC20Metadata__factory,
  IPriceOracle__factory,
  PoolLens__factory,
  Pool__factory,
} from "./contracts";

export interface CollateralRow {
  address: string;
  oracle: string;
  symbol: string;
  decimals: number;
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  supplyCap: bigint;
  enabled: boolean;
  totalSupplied: bigint;
  /** Loan-asset units per whole collateral unit, 1e18-scaled; null when the oracle reverted. */
  wholePriceE18: bigint | null;
}

export interface PoolPage {
  status: PoolStatus;
  shareSymbol: string;
  shareDecimals: number;
  collaterals: CollateralRow[];
}

/** One line of the pool list. */
export interface PoolSummary {
  name: string;
  address: string;
  /** The exit price. */
  sharePrice: bigint;
  /** The entry price. */
  entrySharePrice: bigint;
  /** The exit figure. */
  totalAssets: bigint;
  totalShortfall: bigint;
  reserveAssets: bigint;
  utilizationE18: bigint;
  supplyRatePerSecondE18: bigint;
  loanSymbol: string;
  loanDecimals: number;
}

/** The pool list: the page's pool from the figures the page read, the others from the lens. */
export async function readPoolList(provider: Provider, target: AppTarget, page: PoolPage): Promise<PoolSummary[]> {
  const lens = PoolLens__factory.connect(target.lens, provider);
  const at = { blockTag: page.status.blockNumber };
  return Promise.all(
    target.pools.map(async ({ name, address }): Promise<PoolSummary> => {
      if (address === page.status.address) return summaryOf(name, page.status, page.status);
      const asset = IERC20Metadata__factory.connect(await Pool__factory.connect(address, provider).asset(at), provider);
      const [state, loanSymbol, loanDecimals] = await Promise.all([
        lens.poolState(address, at),
        asset.symbol(at),
        asset.decimals(at),
      ]);
      return summaryOf(name, { address, loanSymbol, loanDecimals: Number(loanDecimals) }, state);
    }),
  );
}

type PoolFigures = Pick<
  PoolStatus,
  | "sharePrice"
  | "entrySharePrice"
  | "totalAssets"
  | "totalShortfall"
  | "reserveAssets"
  | "utilizationE18"
  | "supplyRatePerSecondE18"
>;

/** A list line from a pool's identity and figures (read by name: ethers' Result does not spread its names). */
function summaryOf(
  name: string,
  pool: Pick<PoolStatus, "address" | "loanSymbol" | "loanDecimals">,
  figures: PoolFigures,
): PoolSummary {
  return {
    name,
    address: pool.address,
    loanSymbol: pool.loanSymbol,
    loanDecimals: pool.loanDecimals,
    sharePrice: figures.sharePrice,
    entrySharePrice: figures.entrySharePrice,
    totalAssets: figures.totalAssets,
    totalShortfall: figures.totalShortfall,
    reserveAssets: figures.reserveAssets,
    utilizationE18: figures.utilizationE18,
    supplyRatePerSecondE18: figures.supplyRatePerSecondE18,
  };
}

export async function readPoolPage(provider: Provider, target: AppTarget, poolAddress: string): Promise<PoolPage> {
  const status = await readPoolStatus(
    provider,
    { contracts: { PoolLens: target.lens }, deployBlock: target.fromBlock },
    poolAddress,
  );
  const at = { blockTag: status.blockNumber };
  const pool = Pool__factory.connect(poolAddress, provider);
  const [shareSymbol, shareDecimals, collateralAddresses] = await Promise.all([
    pool.symbol(at),
    pool.decimals(at),
    pool.collaterals(at),
  ]);
  const collaterals = await Promise.all(
    collateralAddresses.map(async (address): Promise<CollateralRow> => {
      const token = IERC20Metadata__factory.connect(address, provider);
      const [params, symbol, decimals, totalSupplied] = await Promise.all([
        pool.collateralParams(address, at),
        token.symbol(at),
        token.decimals(at),
        pool.totalCollateral(address, at),
      ]);
      let price: bigint | null;
      try {
        price = wholePriceE18(
          await IPriceOracle__factory.connect(params.oracle, provider).price(at),
          status.loanDecimals,
          Number(decimals),
        );
      } catch {
        price = null; // Shown as "oracle reverted": the pool refuses new collateral of it until it prices again.
      }
      return {
        address,
        oracle: params.oracle,
        symbol,
        decimals: Number(decimals),
        ltvBps: params.ltvBps,
        liquidationThresholdBps: params.liquidationThresholdBps,
        liquidationBonusBps: params.liquidationBonusBps,
        supplyCap: params.supplyCap,
        enabled: params.enabled,
        totalSupplied,
        wholePriceE18: price,
      };
    }),
  );
  return { status, shareSymbol, shareDecimals: Number(shareDecimals), collaterals };
}

export interface AccountState {
  account: string;
  blockNumber: number;
  position: PositionSummary;
  maxWithdraw: bigint;
  maxRedeem: bigint;
  assetBalance: bigint;
  allowance: bigint;
  /** False when the loan asset has no EIP-2612 permit (its `nonces`/`eip712Domain` revert). */
  permitSupported: boolean;
  transfers: ShareTransfer[];
}

/** Every `Transfer` of pool shares from or to `holder` (the zero address: every mint and burn), in log order. */
async function shareTransfers(
  provider: Provider,
  poolAddress: string,
  holder: string,
  fromBlock: number,
  toBlock: number,
): Promise<ShareTransfer[]> {
  const pool = Pool__factory.connect(poolAddress, provider);
  const [sent, received] = await Promise.all([
    queryEventsChunked(pool, pool.filters.Transfer(holder, undefined), fromBlock, toBlock),
    queryEventsChunked(pool, pool.filters.Transfer(undefined, holder), fromBlock, toBlock),
  ]);
  // A transfer to oneself appears in both queries: keep one.
  const unique = new Map<string, ShareTransfer>();
  for (const event of [...sent, ...received]) {
    unique.set(`${event.blockNumber}:${event.index}`, {
      blockNumber: event.blockNumber,
      logIndex: event.index,
      from: event.args.from,
      to: event.args.to,
      value: event.args.value,
    });
  }
  return [...unique.values()].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

export async function readAccount(
  provider: Provider,
  target: AppTarget,
  page: PoolPage,
  account: string,
): Promise<AccountState> {
  const poolAddress = page.status.address;
  const blockNumber = page.status.blockNumber;
  const at = { blockTag: blockNumber };
  const pool = Pool__factory.connect(poolAddress, provider);
  const asset = ERC20Permit__factory.connect(page.status.loanAsset, provider);
  const shares = await pool.balanceOf(account, at);
  const [value, totalSupply, maxWithdraw, maxRedeem, assetBalance, allowance] = await Promise.all([
    pool.previewRedeem(shares, at),
    pool.totalSupply(at),
    pool.maxWithdraw(account, at),
    pool.maxRedeem(account, at),
    asset.balanceOf(account, at),
    asset.allowance(account, poolAddress, at),
  ]);
  let permitSupported = true;
  try {
    await Promise.all([asset.nonces(account, at), asset.eip712Domain(at)]);
  } catch (error) {
    // A token without EIP-2612 reverts (or returns nothing); any other failure is the node's and is not hidden.
    if (!isRevert(error)) throw error;
    permitSupported = false;
  }
  const [deposits, withdrawals, transfers] = await Promise.all([
    queryEventsChunked(pool, pool.filters.Deposit(undefined, account), target.fromBlock, blockNumber),
    queryEventsChunked(pool, pool.filters.Withdraw(undefined, undefined, account), target.fromBlock, blockNumber),
    shareTransfers(provider, poolAddress, account, target.fromBlock, blockNumber),
  ]);
  const flows: LpFlow[] = [
    ...deposits.map((event) => ({ kind: "deposit" as const, assets: event.args.assets })),
    ...withdrawals.map((event) => ({ kind: "withdraw" as const, assets: event.args.assets })),
  ];
  return {
    account,
    blockNumber,
    position: positionSummary(
      shares,
      value,
      totalSupply,
      flows,
      transfers.some((transfer) => transfer.from !== ZeroAddress && transfer.to !== ZeroAddress),
    ),
    maxWithdraw,
    maxRedeem,
    assetBalance,
    allowance,
    permitSupported,
    transfers,
  };
}

/** Every BadDebtRealized of the pool (read with its figures) with its block's time, and its cost to `account`. */
export async function readLossHistory(
  provider: Provider,
  target: AppTarget,
  page: PoolPage,
  account?: AccountState,
): Promise<LossRow[]> {
  const realizations = page.status.realizations;
  const timestamps = await blockTimestamps(
    provider,
    realizations.map((realization) => realization.blockNumber),
  );
  if (account === undefined || realizations.length === 0) return lossRows(realizations, timestamps);
  const mintsAndBurns = await shareTransfers(
    provider,
    page.status.address,
    ZeroAddress,
    target.fromBlock,
    page.status.blockNumber,
  );
  return lossRows(realizations, timestamps, { address: account.account, transfers: account.transfers, mintsAndBurns });
}

async function blockTimestamps(provider: Provider, blockNumbers: readonly number[]): Promise<Map<number, number>> {
  const unique = [...new Set(blockNumbers)];
  const blocks = await Promise.all(unique.map((blockNumber) => provider.getBlock(blockNumber)));
  const timestamps = new Map<number, number>();
  blocks.forEach((block, i) => {
    if (block === null) throw new Error(`The node does not know block ${unique[i]}.`);
    timestamps.set(unique[i], block.timestamp);
  });
  return timestamps;
}

/** Samples of the share price across the pool's life: the chart's data. */
export interface SharePriceSeries {
  points: PricePoint[];
  /** Set when the node keeps no state history: the chart then shows only the write-downs and now. */
  limitation?: string;
}

/** Samples of `sharePrice()` since the pool's first deposit (on a fixed grid), each write-down's before/after, and now. */
export async function readSharePriceSeries(
  provider: Provider,
  target: AppTarget,
  page: PoolPage,
  losses: readonly LossRow[],
  samples = 24,
): Promise<SharePriceSeries> {
  const head = page.status.blockNumber;
  const headBlock = await provider.getBlock(head);
  if (headBlock === null) throw new Error(`The node does not know block ${head}.`);
  const points: PricePoint[] = [];
  for (const row of losses) {
    const at = { timestamp: row.timestamp, blockNumber: row.blockNumber };
    points.push({ ...at, sharePrice: row.sharePriceBefore, writeDown: false });
    points.push({ ...at, sharePrice: row.sharePriceAfter, writeDown: true });
  }
  // Now, last: in a tie with a write-down of the same block it comes after the write-down's own points.
  const now: PricePoint = {
    blockNumber: head,
    timestamp: headBlock.timestamp,
    sharePrice: page.status.sharePrice,
    writeDown: false,
  };
  const pool = Pool__factory.connect(page.status.address, provider);
  // Through the app's provider this is one eth_getLogs per new block (chain/logCache.ts).
  const firstDeposit = (await queryEventsChunked(pool, pool.filters.Deposit(), target.fromBlock, head))[0];
  if (firstDeposit === undefined) return { points: [...points, now] };
  const start = firstDeposit.blockNumber;
  // On a grid of a power-of-two step, so the same blocks come back at the next refresh (and the app's provider
  // answers them from memory) until the history doubles: between samples / 2 and samples of them.
  let step = 1;
  while ((head - start) / step > samples) step *= 2;
  const sampleBlocks: number[] = [start];
  for (let block = Math.ceil((start + 1) / step) * step; block < head; block += step) sampleBlocks.push(block);
  try {
    const sampled = await Promise.all(
      sampleBlocks.map(async (blockTag) => {
        const [block, sharePrice] = await Promise.all([provider.getBlock(blockTag), pool.sharePrice({ blockTag })]);
        if (block === null) throw new Error(`The node does not know block ${blockTag}.`);
        return { timestamp: block.timestamp, blockNumber: blockTag, sharePrice, writeDown: false };
      }),
    );
    // A sample in a write-down's block is taken after it: the row's own before/after points already draw that block.
    const writeDownBlocks = new Set(losses.map((row) => row.blockNumber));
    points.push(...sampled.filter((_, i) => !writeDownBlocks.has(sampleBlocks[i])));
    return { points: [...points, now] };
  } catch (error) {
    return {
      points: [...points, now],
      limitation: `The node did not answer historical calls (${error instanceof Error ? error.message.slice(0, 80) : String(error)}); the chart shows the write-downs and the current price only.`,
    };
  }
}
