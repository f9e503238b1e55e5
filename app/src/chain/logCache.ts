/**
 * Event logs fetched once. The page re-reads the pool at every new block, and each read asks for every event since
 * the deployment, in 10,000-block chunks (scripts/lib/poolStatus.ts queryEventsChunked). With this cache a chunk
 * already read up to block B is extended from B + 1 only: a refresh costs one eth_getLogs per event query (its
 * last chunk) instead of one per chunk, plus one eth_getBlockByNumber to check the chain.
 *
 * The check: the head the cache last saw is looked up again when another head arrives; if its hash changed or it
 * is gone (a reorg reached it, or the node was restarted under the same addresses), everything is dropped.
 * Only numeric ranges are cached ("latest" or a block hash go straight to the node).
 */
import { BrowserProvider, type Eip1193Provider, type Filter, type FilterByBlockHash, type Log } from "ethers";

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
  #anchor: { blockNumber: number; hash: string | null } | undefined;
  #checking: Promise<void> | undefined;
  #checkingFor = -1;
  /** eth_getLogs requests sent to the node, for tests and measurements. */
  fetches = 0;

  constructor(source: LogSource) {
    this.#source = source;
  }

  async getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
    if (!("fromBlock" in filter) || typeof filter.fromBlock !== "number" || typeof filter.toBlock !== "number") {
      this.fetches += 1;
      return this.#source.fetchLogs(filter as Filter);
    }
    const toBlock = filter.toBlock;
    await this.#checkChain(toBlock);
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
   * On a head other than the last one seen: drop everything if the last one is no longer on the chain. A lower head
   * is checked too: a node restarted under the same chain id starts again below the head the cache saw.
   */
  #checkChain(head: number): Promise<void> {
    if (this.#anchor !== undefined && head === this.#anchor.blockNumber) return Promise.resolve();
    if (this.#checking !== undefined && head === this.#checkingFor) return this.#checking;
    this.#checkingFor = head;
    this.#checking = (async () => {
      const previous = this.#anchor;
      if (previous !== undefined && (await this.#source.blockHash(previous.blockNumber)) !== previous.hash) {
        this.#entries.clear();
      }
      this.#anchor = { blockNumber: head, hash: await this.#source.blockHash(head) };
    })();
    return this.#checking;
  }
}

/**
 * The wallet's provider with its eth_getLogs answered through a LogCache. ethers' 250 ms request cache is off: a
 * read right after a confirmed transaction must see the new block, not the block number asked a moment before.
 */
export class CachingBrowserProvider extends BrowserProvider {
  constructor(ethereum: Eip1193Provider) {
    super(ethereum, undefined, { cacheTimeout: -1 });
  }

  readonly logCache = new LogCache({
    fetchLogs: (filter) => super.getLogs(filter),
    blockHash: async (blockNumber) => (await this.getBlock(blockNumber))?.hash ?? null,
  });

  override getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
    return this.logCache.getLogs(filter);
  }
}
