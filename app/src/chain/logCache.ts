/**
 * Event logs fetched once. The page re-reads the pool at every new block, and each read asks for every event since
 * the deployment, in 10,000-block chunks (scripts/lib/poolStatus.ts queryEventsChunked). With this cache a chunk
 * already read up to block B is extended from B + 1 only: a refresh costs one eth_getLogs per event query (its
 * last chunk) instead of one per chunk, plus one eth_getBlockByNumber to check the chain.
 *
 * The check: the head the cache last saw is looked up again when another head arrives (from eth_blockNumber, or a
 * log range past it); if its hash changed or it is gone (a reorg reached it, or the node was restarted under the
 * same addresses), everything is dropped.
 * Only numeric ranges are cached ("latest" or a block hash go straight to the node). Reads at a past block number
 * (eth_call, eth_getBlockByNumber) are kept too, under the same check: the chart's samples cost nothing twice.
 */
import {
  BrowserProvider,
  type Block,
  type BlockTag,
  type Eip1193Provider,
  type Filter,
  type FilterByBlockHash,
  type Log,
  type TransactionRequest,
} from "ethers";

export interface LogSource {
  /** eth_getLogs. */
  fetchLogs(filter: Filter): Promise<Log[]>;
  /** The hash of block `blockNumber`, or null when the node does not know it. */
  blockHash(blockNumber: number): Promise<string | null>;
}

interface Entry {
  /** Last block these logs cover. */
  toBlock: number;
  logs: Log[];
}

export class LogCache {
  readonly #source: LogSource;
  readonly #entries = new Map<string, Entry>();
  /** Results of reads at a block below the head: fixed on this chain, dropped with the logs when it changes. */
  readonly #past = new Map<string, Promise<unknown>>();
  #anchor: { blockNumber: number; hash: string | null } | undefined;
  #checking: Promise<void> | undefined;
  #checkingFor = -1;
  /** eth_getLogs requests sent to the node, for tests and measurements. */
  fetches = 0;
  /** Past-block reads sent to the node through `rememberPast`, for tests and measurements. */
  pastReads = 0;

  constructor(source: LogSource) {
    this.#source = source;
  }

  async getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
    if (!("fromBlock" in filter) || typeof filter.fromBlock !== "number" || typeof filter.toBlock !== "number") {
      this.fetches += 1;
      return this.#source.fetchLogs(filter as Filter);
    }
    const toBlock = filter.toBlock;
    // A range past the last head checked brings a new head; a lower end is only an earlier chunk of the history.
    if (this.#anchor === undefined || toBlock > this.#anchor.blockNumber) await this.checkHead(toBlock);
    const key = JSON.stringify([filter.address ?? null, filter.topics ?? null, filter.fromBlock]);
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.toBlock >= toBlock) return entry.logs.filter((log) => log.blockNumber <= toBlock);
    const start = entry === undefined ? filter.fromBlock : entry.toBlock + 1;
    this.fetches += 1;
    const fresh = await this.#source.fetchLogs({ ...filter, fromBlock: start, toBlock });
    const logs = [...(entry?.logs ?? []), ...fresh];
    // A concurrent query of the same key may have gone further meanwhile: keep the longer one.
    const now = this.#entries.get(key);
    if (now === undefined || now.toBlock < toBlock) this.#entries.set(key, { toBlock, logs });
    return logs;
  }

  /**
   * `read()`'s result for `key` at `blockNumber`, remembered when that block is below the last head checked (a
   * past block's state never changes on one chain); other blocks, failures and empty results are not kept.
   */
  async rememberPast<T>(key: string, blockNumber: number, read: () => Promise<T>): Promise<T> {
    await this.#checking;
    if (this.#anchor === undefined || blockNumber >= this.#anchor.blockNumber) return read();
    const id = `${key}@${blockNumber}`;
    const known = this.#past.get(id);
    if (known !== undefined) return known as Promise<T>;
    this.pastReads += 1;
    const result = read();
    this.#past.set(id, result);
    try {
      if ((await result) === null) this.#past.delete(id);
      return await result;
    } catch (error) {
      this.#past.delete(id);
      throw error;
    }
  }

  /**
   * Tells the cache the chain's head (the provider does at every eth_blockNumber). On a head other than the last
   * one seen, everything is dropped if that last head is no longer on the chain: a reorg reached it, or a node was
   * restarted under the same chain id (its new head is then usually lower).
   */
  checkHead(head: number): Promise<void> {
    if (this.#anchor !== undefined && head === this.#anchor.blockNumber) return Promise.resolve();
    if (this.#checking !== undefined && head === this.#checkingFor) return this.#checking;
    this.#checkingFor = head;
    this.#checking = (async () => {
      const previous = this.#anchor;
      if (previous !== undefined && (await this.#source.blockHash(previous.blockNumber)) !== previous.hash) {
        this.#entries.clear();
        this.#past.clear();
      }
      this.#anchor = { blockNumber: head, hash: await this.#source.blockHash(head) };
    })();
    return this.#checking;
  }
}

/**
 * The wallet's provider with its eth_getLogs answered through a LogCache. ethers' 250 ms request cache is off: a
 * read right after a confirmed transaction must see the new block, not the block number asked a moment before.
 * The network is fixed to `chainId` (no eth_chainId before every request): the app makes a new provider when the
 * wallet's chain changes, and checks the chain again before it asks for a signature.
 */
export class CachingBrowserProvider extends BrowserProvider {
  constructor(ethereum: Eip1193Provider, chainId: number) {
    super(ethereum, chainId, { cacheTimeout: -1, staticNetwork: true });
  }

  readonly logCache = new LogCache({
    fetchLogs: (filter) => super.getLogs(filter),
    // Not through the cache: the check must ask the node.
    blockHash: async (blockNumber) => (await super.getBlock(blockNumber))?.hash ?? null,
  });

  override getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
    return this.logCache.getLogs(filter);
  }

  /** Every head the app reads at is checked against the one the cache last saw. */
  override async getBlockNumber(): Promise<number> {
    const head = await super.getBlockNumber();
    await this.logCache.checkHead(head);
    return head;
  }

  /** An eth_call at a past block number (the chart's samples) is asked once per chain. */
  override call(transaction: TransactionRequest): Promise<string> {
    const blockTag = transaction.blockTag;
    if (typeof blockTag !== "number") return super.call(transaction);
    const key = `call:${String(transaction.to)}:${String(transaction.data)}`;
    return this.logCache.rememberPast(key, blockTag, () => super.call(transaction));
  }

  /** A past block (its timestamp) is asked once per chain. */
  override getBlock(block: BlockTag | string, prefetchTxs?: boolean): Promise<Block | null> {
    if (typeof block !== "number" || prefetchTxs === true) return super.getBlock(block, prefetchTxs);
    return this.logCache.rememberPast("block", block, () => super.getBlock(block));
  }
}
