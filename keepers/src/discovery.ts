/**
 * Account discovery: indexes `Borrow` events (and, with a factory, `PoolCreated`) from the start block on, in bounded
 * `eth_getLogs` ranges. Every processed block's hash is kept until it is deeper than the confirmation depth; when a kept
 * hash no longer matches the chain, discovery rewinds to the newest block that still matches and indexes again, so a
 * reorg leaves neither a phantom account (from a dropped block) nor a missed one (from the replacing block).
 */
import { getAddress, type Log, type Provider } from "ethers";
import { IPoolFactory__factory, IPool__factory } from "../../typechain-types";
import type { Logger } from "./logger";
import type { KeeperState } from "./state";

const BORROW_TOPIC =
  IPool__factory.createInterface().getEvent("Borrow").topicHash;
const POOL_CREATED_TOPIC =
  IPoolFactory__factory.createInterface().getEvent("PoolCreated").topicHash;

export interface DiscoveryOptions {
  /** Pools given in the config: watched from `startBlock`. */
  pools: readonly string[];
  /** Factory whose `PoolCreated` events add pools. */
  factory?: string;
  startBlock: number;
  confirmations: number;
  /** Most blocks per `eth_getLogs` request. */
  logRangeBlocks: number;
}

export interface BlockRef {
  number: number;
  hash: string;
}

export interface SyncResult {
  /** Set when a reorg was found: the block discovery went back to. */
  rewoundTo?: number;
  newAccounts: number;
  newPools: string[];
  logRequests: number;
}

const topicAddress = (topic: string): string =>
  getAddress(`0x${topic.slice(26)}`);

export class AccountDiscovery {
  constructor(
    private readonly provider: Provider,
    private readonly state: KeeperState,
    private readonly options: DiscoveryOptions,
    private readonly logger: Logger,
  ) {
    for (const pool of options.pools) {
      this.state.pools[getAddress(pool)] ??= {
        discoveredBlock: options.startBlock,
        accounts: {},
      };
    }
  }

  /** Pools watched, checksummed. */
  pools(): string[] {
    return Object.keys(this.state.pools);
  }

  /** Accounts tracked in a pool. */
  accounts(pool: string): string[] {
    return Object.keys(this.state.pools[pool]?.accounts ?? {});
  }

  /** Brings the index up to `head`: checks for a reorg, then reads the new blocks' events. */
  async sync(head: BlockRef): Promise<SyncResult> {
    const result: SyncResult = { newAccounts: 0, newPools: [], logRequests: 0 };
    const ancestor = await this.findReorgAncestor(head);
    if (ancestor !== undefined) {
      this.rewind(ancestor);
      result.rewoundTo = ancestor;
    }
    for (
      let from = this.state.processedBlock + 1;
      from <= head.number;
      from += this.options.logRangeBlocks
    ) {
      const to = Math.min(head.number, from + this.options.logRangeBlocks - 1);
      await this.indexRange(from, to, result);
    }
    this.recordProcessed(head);
    return result;
  }

  /** Drops an account whose debt is zero once its last borrow is final (a new Borrow event brings it back). */
  pruneRepaid(pool: string, account: string): void {
    const tracked = this.state.pools[pool]?.accounts[account];
    if (
      tracked !== undefined &&
      tracked.lastSeenBlock <= this.state.finalizedBlock
    ) {
      delete this.state.pools[pool].accounts[account];
    }
  }

  /** The newest kept block whose hash still matches the chain, when the last processed one no longer does. */
  private async findReorgAncestor(head: BlockRef): Promise<number | undefined> {
    const kept = this.state.recentBlocks;
    if (kept.length === 0) return undefined;
    const last = kept[kept.length - 1];
    if (
      last.number <= head.number &&
      (await this.hashAt(last.number, head)) === last.hash
    )
      return undefined;
    for (let index = kept.length - 2; index >= 0; index--) {
      const entry = kept[index];
      if (
        entry.number <= head.number &&
        (await this.hashAt(entry.number, head)) === entry.hash
      ) {
        this.logger.warn(
          { from: last.number, to: entry.number },
          "reorg: rewinding discovery",
        );
        return entry.number;
      }
    }
    this.logger.error(
      { lastProcessed: last.number, finalized: this.state.finalizedBlock },
      "reorg deeper than the kept block hashes: rewinding to the last final block; raise --confirmations",
    );
    return this.state.finalizedBlock;
  }

  private async hashAt(
    blockNumber: number,
    head: BlockRef,
  ): Promise<string | undefined> {
    if (blockNumber === head.number) return head.hash;
    const block = await this.provider.getBlock(blockNumber);
    return block?.hash ?? undefined;
  }

  private rewind(ancestor: number): void {
    const configured = new Set(
      this.options.pools.map((pool) => getAddress(pool)),
    );
    for (const [pool, poolState] of Object.entries(this.state.pools)) {
      if (!configured.has(pool) && poolState.discoveredBlock > ancestor) {
        delete this.state.pools[pool];
        continue;
      }
      for (const [account, tracked] of Object.entries(poolState.accounts)) {
        if (tracked.firstSeenBlock > ancestor)
          delete poolState.accounts[account];
        // The account borrowed before the fork too; its newer borrows are indexed again from the new chain.
        else if (tracked.lastSeenBlock > ancestor)
          tracked.lastSeenBlock = tracked.firstSeenBlock;
      }
    }
    this.state.processedBlock = ancestor;
    this.state.recentBlocks = this.state.recentBlocks.filter(
      (entry) => entry.number <= ancestor,
    );
  }

  private async indexRange(
    from: number,
    to: number,
    result: SyncResult,
  ): Promise<void> {
    const addresses = this.pools();
    if (this.options.factory !== undefined)
      addresses.push(getAddress(this.options.factory));
    if (addresses.length === 0) return;
    const logs = await this.getLogs(
      addresses,
      [BORROW_TOPIC, POOL_CREATED_TOPIC],
      from,
      to,
      result,
    );
    const createdPools: { pool: string; block: number }[] = [];
    for (const log of logs) {
      if (log.topics[0] === POOL_CREATED_TOPIC && this.isFactory(log.address)) {
        const pool = topicAddress(log.topics[1]);
        if (this.state.pools[pool] === undefined) {
          this.state.pools[pool] = {
            discoveredBlock: log.blockNumber,
            accounts: {},
          };
          createdPools.push({ pool, block: log.blockNumber });
          result.newPools.push(pool);
          this.logger.info(
            { pool, block: log.blockNumber },
            "discovered pool from factory",
          );
        }
      } else if (log.topics[0] === BORROW_TOPIC) {
        this.recordBorrow(
          getAddress(log.address),
          topicAddress(log.topics[1]),
          log.blockNumber,
          result,
        );
      }
    }
    // Borrows from pools created inside this range were not asked for above.
    if (createdPools.length > 0) {
      const firstBlock = Math.min(
        ...createdPools.map((created) => created.block),
      );
      const newLogs = await this.getLogs(
        createdPools.map((created) => created.pool),
        [BORROW_TOPIC],
        firstBlock,
        to,
        result,
      );
      for (const log of newLogs) {
        this.recordBorrow(
          getAddress(log.address),
          topicAddress(log.topics[1]),
          log.blockNumber,
          result,
        );
      }
    }
  }

  private async getLogs(
    addresses: string[],
    topics: string[],
    fromBlock: number,
    toBlock: number,
    result: SyncResult,
  ): Promise<Log[]> {
    result.logRequests++;
    return this.provider.getLogs({
      address: addresses,
      topics: [topics],
      fromBlock,
      toBlock,
    });
  }

  private isFactory(address: string): boolean {
    return (
      this.options.factory !== undefined &&
      getAddress(address) === getAddress(this.options.factory)
    );
  }

  private recordBorrow(
    pool: string,
    account: string,
    block: number,
    result: SyncResult,
  ): void {
    const poolState = this.state.pools[pool];
    if (poolState === undefined) return;
    const tracked = poolState.accounts[account];
    if (tracked === undefined) {
      poolState.accounts[account] = {
        firstSeenBlock: block,
        lastSeenBlock: block,
      };
      result.newAccounts++;
    } else {
      tracked.lastSeenBlock = Math.max(tracked.lastSeenBlock, block);
    }
  }

  private recordProcessed(head: BlockRef): void {
    this.state.processedBlock = head.number;
    const kept = this.state.recentBlocks;
    if (kept.length === 0 || kept[kept.length - 1].number !== head.number)
      kept.push({ number: head.number, hash: head.hash });
    this.state.finalizedBlock = Math.max(
      this.state.finalizedBlock,
      Math.min(
        head.number - this.options.confirmations,
        this.state.processedBlock,
      ),
    );
    // Keep every non-final hash, plus the newest final one as the rewind floor.
    const finalKept = kept
      .filter((entry) => entry.number <= this.state.finalizedBlock)
      .slice(-1);
    this.state.recentBlocks = [
      ...finalKept,
      ...kept.filter((entry) => entry.number > this.state.finalizedBlock),
    ];
  }
}
