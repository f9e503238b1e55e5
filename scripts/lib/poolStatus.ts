/**
 * The figures of a pool that the `status` script, the demo and the LP app show: PoolLens state (the exit and entry
 * prices, the recognized shortfall and the reserve's part covering it), every borrower's health band and shortfall,
 * and the bad debt realized so far. Plain ethers and typechain, so it runs in Node and in a browser.
 */
import type { Provider } from "ethers";
import { IERC20Metadata__factory } from "../../typechain-types/factories/@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata__factory";
import { PoolLens__factory } from "../../typechain-types/factories/contracts/periphery/PoolLens__factory";
import { Pool__factory } from "../../typechain-types/factories/contracts/Pool__factory";
import type { Pool } from "../../typechain-types";
import type { TypedContractEvent, TypedDeferredTopicFilter, TypedEventLog } from "../../typechain-types/common";
import type { Deployment } from "../../keepers/src/deploymentSchema";
import { WAD, reserveCoveringShortfall } from "../../keepers/src/model/poolMath";
import type { RealizationEvent } from "../../keepers/src/verification";

/** Where a pool's figures come from: the lens, and the block its events start at. A `Deployment` is one. */
export type PoolStatusSource = { contracts: Pick<Deployment["contracts"], "PoolLens">; deployBlock: number };

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
export function healthBand(view: {
  debt: bigint;
  collateralValue: bigint;
  healthFactor: bigint;
  priced: boolean;
}): HealthBand {
  if (view.debt === 0n) return "no debt";
  if (!view.priced) return "unpriced";
  if (view.collateralValue < view.debt) return "insolvent";
  if (view.healthFactor < WAD) return "liquidatable";
  if (view.healthFactor < AT_RISK_BELOW) return "at risk (<1.10)";
  if (view.healthFactor < WATCH_BELOW) return "watch (<1.50)";
  return "safe (≥1.50)";
}

/** A `BadDebtRealized` event's arguments with where it sits in the chain. */
export interface RealizedBadDebt extends RealizationEvent {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
}

export interface BadDebtTotals {
  events: number;
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
}

/** A borrower as the status lists it: its band, and its shortfall live and as the pool recorded it. */
export interface AccountStatus {
  account: string;
  band: HealthBand;
  debt: bigint;
  healthFactor: bigint;
  /** What liquidating all its collateral would repay (a failed oracle's collateral at its last trusted price). */
  recoveryValue: bigint;
  /** max(0, debt − recovery value) now: what a `recognizeLosses` would record. */
  shortfall: bigint;
  /** The shortfall the pool has recognized for it (deducted from exits, less what the reserve covers). */
  recognizedShortfall: bigint;
}

export interface PoolStatus {
  name: string;
  address: string;
  loanAsset: string;
  loanSymbol: string;
  loanDecimals: number;
  blockNumber: number;
  /** The exit figure (`totalAssets()`): LP assets net of the recognized shortfall the reserve does not cover. */
  totalAssets: bigint;
  /** The entry figure (`entryTotalAssets()`): LP assets before the recognized shortfall; deposits are priced at it. */
  entryTotalAssets: bigint;
  totalSupply: bigint;
  /** The exit price (`sharePrice()`): what a redemption pays per 10**decimals shares. */
  sharePrice: bigint;
  /** The entry price (`entrySharePrice()`): what a mint costs per 10**decimals shares. */
  entrySharePrice: bigint;
  /** Σ of the accounts' recognized shortfalls (`totalRecognizedShortfall()`). */
  totalShortfall: bigint;
  /** The reserve's part that covers the recognized shortfall (first loss): it cannot be withdrawn. */
  reserveCoveringShortfall: bigint;
  /** What exits are priced net of: the recognized shortfall the reserve does not cover (entry − exit figure). */
  shortfallDeductedFromExits: bigint;
  reserveAssets: bigint;
  cash: bigint;
  totalBorrowAssets: bigint;
  utilizationE18: bigint;
  borrowRatePerSecondE18: bigint;
  supplyRatePerSecondE18: bigint;
  reserveFactorBps: bigint;
  paused: boolean;
  /** Every account that ever borrowed, with its band and shortfall now. */
  accounts: AccountStatus[];
  bands: Record<HealthBand, number>;
  badDebt: BadDebtTotals;
  /** Every BadDebtRealized of the pool, oldest first. */
  realizations: RealizedBadDebt[];
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

/**
 * The figures of one pool at block `atBlock`, or at the latest block. A caller that has just sent a transaction passes
 * its receipt's block: ethers caches `getBlockNumber()` briefly, so under automine "latest" may still be the block
 * before the transaction.
 */
export async function readPoolStatus(
  provider: Provider,
  deployment: PoolStatusSource,
  poolAddress: string,
  chunkBlocks = DEFAULT_LOG_CHUNK_BLOCKS,
  atBlock?: number,
): Promise<PoolStatus> {
  const blockNumber = atBlock ?? (await provider.getBlockNumber());
  const at = { blockTag: blockNumber };
  const pool = Pool__factory.connect(poolAddress, provider);
  const lens = PoolLens__factory.connect(deployment.contracts.PoolLens, provider);
  const loanAsset = await pool.asset(at);
  const loanToken = IERC20Metadata__factory.connect(loanAsset, provider);
  const state = await lens.poolState(poolAddress, at);

  const borrows = await queryEventsChunked(
    pool,
    pool.filters.Borrow(),
    deployment.deployBlock,
    blockNumber,
    chunkBlocks,
  );
  const borrowers = [...new Set(borrows.map((event) => event.args.account))];
  const bands = Object.fromEntries(HEALTH_BANDS.map((band) => [band, 0])) as Record<HealthBand, number>;
  const accounts: PoolStatus["accounts"] = [];
  for (let start = 0; start < borrowers.length; start += LENS_BATCH) {
    for (const view of await lens.accounts(poolAddress, borrowers.slice(start, start + LENS_BATCH), at)) {
      const band = healthBand(view);
      bands[band] += 1;
      accounts.push({
        account: view.account,
        band,
        debt: view.debt,
        healthFactor: view.healthFactor,
        recoveryValue: view.recoveryValue,
        shortfall: view.shortfall,
        recognizedShortfall: view.recognizedShortfall,
      });
    }
  }

  const events = await queryEventsChunked(
    pool,
    pool.filters.BadDebtRealized(),
    deployment.deployBlock,
    blockNumber,
    chunkBlocks,
  );
  const realizations: RealizedBadDebt[] = events.map((event) => ({
    blockNumber: event.blockNumber,
    logIndex: event.index,
    transactionHash: event.transactionHash,
    borrower: event.args.borrower,
    badDebtAssets: event.args.badDebtAssets,
    coveredByReserve: event.args.coveredByReserve,
    socializedAssets: event.args.socializedAssets,
    sharePriceBefore: event.args.sharePriceBefore,
    sharePriceAfter: event.args.sharePriceAfter,
  }));
  const badDebt: BadDebtTotals = {
    events: realizations.length,
    badDebtAssets: 0n,
    coveredByReserve: 0n,
    socializedAssets: 0n,
  };
  for (const realization of realizations) {
    badDebt.badDebtAssets += realization.badDebtAssets;
    badDebt.coveredByReserve += realization.coveredByReserve;
    badDebt.socializedAssets += realization.socializedAssets;
  }

  return {
    name: await pool.name(at),
    address: poolAddress,
    loanAsset,
    loanSymbol: await loanToken.symbol(at),
    loanDecimals: Number(await loanToken.decimals(at)),
    blockNumber,
    totalAssets: state.totalAssets,
    entryTotalAssets: state.entryTotalAssets,
    totalSupply: state.totalSupply,
    sharePrice: state.sharePrice,
    entrySharePrice: state.entrySharePrice,
    totalShortfall: state.totalShortfall,
    reserveCoveringShortfall: reserveCoveringShortfall(state.reserveAssets, state.totalShortfall),
    shortfallDeductedFromExits: state.entryTotalAssets - state.totalAssets,
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
    realizations,
  };
}
