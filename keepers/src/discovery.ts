/**
 * Discovery and positions: indexes every event that changes a position (`SupplyCollateral`, `WithdrawCollateral`,
 * `Borrow`, `Repay`, `Liquidate`, `InsolventAccountClosed`, `CollateralSeized`, `BadDebtRealized`,
 * `DustCollateralSwept`, `ShortfallUpdated`) and, with a factory, `PoolCreated`, from the start block on, in bounded
 * `eth_getLogs` ranges. The result is an exact mirror of each account's borrow shares, collateral balances and
 * recognized shortfall, so the health and the live shortfall of every account can be computed with the pool model
 * without one call per account.
 *
 * Reorgs: the hash of every processed block is kept until it is deeper than the confirmation depth, with the accounts
 * each non-final block touched. When a kept hash no longer matches the chain, discovery goes back to the newest block
 * that still matches, re-reads the touched accounts' positions at that block from the pool's getters, and indexes
 * again: a reorg leaves neither a phantom position (from a dropped block) nor a missed one (from the replacing block).
 */
import { getAddress, type Log, type Provider } from "ethers";
import { IPoolFactory__factory, IPool__factory } from "../../typechain-types";
import type { Logger } from "./logger";
import type { KeeperState, TrackedAccount } from "./state";

const poolInterface = IPool__factory.createInterface();
const POOL_CREATED_TOPIC = IPoolFactory__factory.createInterface().getEvent("PoolCreated").topicHash;
const POSITION_EVENTS = [
  "SupplyCollateral",
  "WithdrawCollateral",
  "Borrow",
  "Repay",
  "Liquidate",
  "BadDebtRealized",
  "DustCollateralSwept",
  "InsolventAccountClosed",
  "CollateralSeized",
  "ShortfallUpdated",
] as const;
const POSITION_TOPICS = POSITION_EVENTS.map((name) => poolInterface.getEvent(name).topicHash);
const BAD_DEBT_TOPIC = poolInterface.getEvent("BadDebtRealized").topicHash;

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
}

/** An account's position as indexed: borrow shares, collateral balances by collateral address, recorded shortfall. */
export interface Position {
  borrowShares: bigint;
  collateral: Map<string, bigint>;
  /** The shortfall the pool has recognized for it (`recognizedShortfall`), as last recorded. */
  recognizedShortfall: bigint;
}

/** An event's uint256 argument. */
const amount = (value: unknown): bigint => value as bigint;

const topicAddress = (topic: string): string => getAddress(`0x${topic.slice(26)}`);

/** Records a recognized shortfall; 0 is stored as absent (the usual case, and the state file stays small). */
function setShortfall(tracked: TrackedAccount, shortfall: bigint): void {
  if (shortfall === 0n) delete tracked.shortfall;
  else tracked.shortfall = shortfall.toString();
}

export class AccountDiscovery {
  /** Accounts whose mirrored position went negative (an event was missed): re-read them from the chain. */
  readonly drifted = new Set<string>();

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
    this.state.touched ??= {};
  }

  /** Pools watched, checksummed. */
  pools(): string[] {
    return Object.keys(this.state.pools);
  }

  /** Accounts that owe borrow shares in a pool, or (which no pool call should leave) a recorded shortfall without debt. */
  accounts(pool: string): string[] {
    return Object.entries(this.state.pools[pool]?.accounts ?? {})
      .filter(([, tracked]) => tracked.borrowShares !== "0" || tracked.shortfall !== undefined)
      .map(([account]) => account);
  }

  /** The indexed position of an account (zero when unknown). */
  position(pool: string, account: string): Position {
    const tracked = this.state.pools[pool]?.accounts[account];
    return {
      borrowShares: BigInt(tracked?.borrowShares ?? "0"),
      collateral: new Map(Object.entries(tracked?.collateral ?? {}).map(([token, amount]) => [token, BigInt(amount)])),
      recognizedShortfall: BigInt(tracked?.shortfall ?? "0"),
    };
  }

  /** Brings the index up to `head`: checks for a reorg, then applies the new blocks' events. */
  async sync(head: BlockRef): Promise<SyncResult> {
    const result: SyncResult = {};
    const ancestor = await this.findReorgAncestor(head);
    if (ancestor !== undefined) {
      await this.rewind(ancestor);
      result.rewoundTo = ancestor;
    }
    for (let from = this.state.processedBlock + 1; from <= head.number; from += this.options.logRangeBlocks) {
      const to = Math.min(head.number, from + this.options.logRangeBlocks - 1);
      await this.indexRange(from, to);
    }
    this.recordProcessed(head);
    return result;
  }

  /** Replaces the mirrored positions of `accounts` by the pool's own figures at `blockTag`. */
  async refresh(pool: string, accounts: readonly string[], blockTag: number): Promise<void> {
    const contract = IPool__factory.connect(pool, this.provider);
    const collaterals = await contract.collaterals({ blockTag });
    await Promise.all(
      accounts.map(async (account) => {
        const [borrowShares, shortfall, ...balances] = await Promise.all([
          contract.borrowSharesOf(account, { blockTag }),
          contract.recognizedShortfall(account, { blockTag }),
          ...collaterals.map((collateral) => contract.collateralOf(account, collateral, { blockTag })),
        ]);
        const tracked = this.tracked(pool, account, blockTag);
        tracked.borrowShares = borrowShares.toString();
        setShortfall(tracked, shortfall);
        tracked.collateral = {};
        collaterals.forEach((collateral, index) => {
          if (balances[index] > 0n) tracked.collateral[getAddress(collateral)] = balances[index].toString();
        });
        this.dropIfEmpty(pool, account);
        this.drifted.delete(`${pool}:${account}`);
      }),
    );
  }

  /** The newest kept block whose hash still matches the chain, when the last processed one no longer does. */
  private async findReorgAncestor(head: BlockRef): Promise<number | undefined> {
    const kept = this.state.recentBlocks;
    if (kept.length === 0) return undefined;
    const last = kept[kept.length - 1];
    if (last.number <= head.number && (await this.hashAt(last.number, head)) === last.hash) return undefined;
    for (let index = kept.length - 2; index >= 0; index--) {
      const entry = kept[index];
      if (entry.number <= head.number && (await this.hashAt(entry.number, head)) === entry.hash) {
        this.logger.warn({ from: last.number, to: entry.number }, "reorg: rewinding discovery");
        return entry.number;
      }
    }
    this.logger.error(
      { lastProcessed: last.number, finalized: this.state.finalizedBlock },
      "reorg deeper than the kept block hashes: rewinding to the last final block; raise --confirmations",
    );
    return this.state.finalizedBlock;
  }

  private async hashAt(blockNumber: number, head: BlockRef): Promise<string | undefined> {
    if (blockNumber === head.number) return head.hash;
    const block = await this.provider.getBlock(blockNumber);
    return block?.hash ?? undefined;
  }

  private async rewind(ancestor: number): Promise<void> {
    const configured = new Set(this.options.pools.map((pool) => getAddress(pool)));
    for (const [pool, poolState] of Object.entries(this.state.pools)) {
      if (!configured.has(pool) && poolState.discoveredBlock > ancestor) delete this.state.pools[pool];
    }
    // Positions touched after the fork are re-read as they were at the fork, then the new chain is indexed again.
    const touchedByPool = new Map<string, Set<string>>();
    for (const [block, pools] of Object.entries(this.state.touched)) {
      if (Number(block) <= ancestor) continue;
      for (const [pool, accounts] of Object.entries(pools)) {
        if (this.state.pools[pool] === undefined) continue;
        const set = touchedByPool.get(pool) ?? new Set<string>();
        for (const account of accounts) set.add(account);
        touchedByPool.set(pool, set);
      }
      delete this.state.touched[block];
    }
    for (const [pool, accounts] of touchedByPool) {
      for (const account of accounts) {
        const tracked = this.state.pools[pool].accounts[account];
        if (tracked !== undefined && tracked.firstSeenBlock > ancestor) delete this.state.pools[pool].accounts[account];
      }
      const survivors = [...accounts].filter((account) => this.state.pools[pool].accounts[account] !== undefined);
      if (survivors.length > 0) await this.refresh(pool, survivors, ancestor);
    }
    this.state.processedBlock = ancestor;
    this.state.recentBlocks = this.state.recentBlocks.filter((entry) => entry.number <= ancestor);
  }

  private async indexRange(from: number, to: number): Promise<void> {
    const addresses = this.pools();
    if (this.options.factory !== undefined) addresses.push(getAddress(this.options.factory));
    if (addresses.length === 0) return;
    const logs = await this.getLogs(addresses, [...POSITION_TOPICS, POOL_CREATED_TOPIC], from, to);
    const created: { pool: string; block: number }[] = [];
    for (const log of logs) {
      if (log.topics[0] !== POOL_CREATED_TOPIC || !this.isFactory(log.address)) continue;
      const pool = topicAddress(log.topics[1]);
      if (this.state.pools[pool] !== undefined) continue;
      this.state.pools[pool] = {
        discoveredBlock: log.blockNumber,
        accounts: {},
      };
      created.push({ pool, block: log.blockNumber });
      this.logger.info({ pool, block: log.blockNumber }, "discovered pool from factory");
    }
    let positionLogs = logs.filter((log) => log.topics[0] !== POOL_CREATED_TOPIC);
    // Events of pools created inside this range were not asked for above.
    if (created.length > 0) {
      const firstBlock = Math.min(...created.map((entry) => entry.block));
      const more = await this.getLogs(
        created.map((entry) => entry.pool),
        POSITION_TOPICS,
        firstBlock,
        to,
      );
      positionLogs = [...positionLogs, ...more].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    }
    this.applyLogs(positionLogs);
  }

  /**
   * Applies position events in chain order. Within a transaction, `BadDebtRealized` (which clears the borrower's
   * shares) is applied after the others: the pool emits it before the `Liquidate` or `InsolventAccountClosed` event of
   * the same call.
   */
  private applyLogs(logs: readonly Log[]): void {
    for (let start = 0; start < logs.length;) {
      let end = start;
      while (end < logs.length && logs[end].transactionHash === logs[start].transactionHash) end++;
      const transaction = logs.slice(start, end);
      const ordered = [
        ...transaction.filter((log) => log.topics[0] !== BAD_DEBT_TOPIC),
        ...transaction.filter((log) => log.topics[0] === BAD_DEBT_TOPIC),
      ];
      for (const log of ordered) this.applyLog(log);
      start = end;
    }
  }

  private applyLog(log: Log): void {
    const pool = log.address; // ethers returns checksummed addresses, in logs and in decoded arguments alike

    if (this.state.pools[pool] === undefined) return;
    const parsed = poolInterface.parseLog(log);
    if (parsed === null) return;
    const block = log.blockNumber;
    const args = parsed.args;
    switch (parsed.name) {
      case "SupplyCollateral":
        this.addCollateral(pool, args.onBehalf, args.collateral, args.assets, block);
        break;
      case "WithdrawCollateral":
        this.addCollateral(pool, args.account, args.collateral, -amount(args.assets), block);
        break;
      case "Borrow":
        this.addShares(pool, args.account, args.shares, block);
        break;
      case "Repay":
        this.addShares(pool, args.onBehalf, -amount(args.shares), block);
        break;
      case "Liquidate":
        this.addShares(pool, args.borrower, -amount(args.repaidShares), block);
        this.addCollateral(pool, args.borrower, args.collateral, -amount(args.seizedCollateral), block);
        break;
      case "BadDebtRealized":
        this.tracked(pool, args.borrower, block).borrowShares = "0";
        this.dropIfEmpty(pool, args.borrower);
        break;
      case "DustCollateralSwept":
      case "CollateralSeized":
        this.addCollateral(pool, args.borrower, args.collateral, -amount(args.assets), block);
        if (args.creditedInPool) this.addCollateral(pool, args.receiver, args.collateral, args.assets, block);
        break;
      case "InsolventAccountClosed":
        this.addShares(pool, args.borrower, -amount(args.repaidShares), block);
        break;
      case "ShortfallUpdated":
        setShortfall(this.tracked(pool, args.account, block), amount(args.shortfallAfter));
        this.dropIfEmpty(pool, args.account);
        break;
    }
  }

  private addShares(pool: string, account: string, delta: bigint, block: number): void {
    const tracked = this.tracked(pool, account, block);
    tracked.borrowShares = this.checkedSum(pool, account, BigInt(tracked.borrowShares), delta).toString();
    this.dropIfEmpty(pool, account);
  }

  private addCollateral(pool: string, account: string, collateral: string, delta: bigint, block: number): void {
    const tracked = this.tracked(pool, account, block);
    const balance = this.checkedSum(pool, account, BigInt(tracked.collateral[collateral] ?? "0"), delta);
    if (balance === 0n) delete tracked.collateral[collateral];
    else tracked.collateral[collateral] = balance.toString();
    this.dropIfEmpty(pool, account);
  }

  private checkedSum(pool: string, account: string, value: bigint, delta: bigint): bigint {
    if (value + delta >= 0n) return value + delta;
    this.drifted.add(`${pool}:${account}`);
    this.logger.error({ pool, account, value, delta }, "indexed position went negative: re-reading it from the pool");
    return 0n;
  }

  /** The account's record (created if new), marked as touched in `block`. */
  private tracked(pool: string, account: string, block: number): TrackedAccount {
    const accounts = this.state.pools[pool].accounts;
    let tracked = accounts[account];
    if (tracked === undefined) {
      tracked = {
        firstSeenBlock: block,
        borrowShares: "0",
        collateral: {},
      };
      accounts[account] = tracked;
    }
    if (block > this.state.finalizedBlock) {
      const touched = (this.state.touched[block] ??= {});
      const list = (touched[pool] ??= []);
      if (!list.includes(account)) list.push(account);
    }
    return tracked;
  }

  private dropIfEmpty(pool: string, account: string): void {
    const tracked = this.state.pools[pool]?.accounts[account];
    if (
      tracked !== undefined &&
      tracked.borrowShares === "0" &&
      tracked.shortfall === undefined &&
      Object.keys(tracked.collateral).length === 0
    ) {
      delete this.state.pools[pool].accounts[account];
    }
  }

  private async getLogs(addresses: string[], topics: string[], fromBlock: number, toBlock: number): Promise<Log[]> {
    return this.provider.getLogs({
      address: addresses,
      topics: [topics],
      fromBlock,
      toBlock,
    });
  }

  private isFactory(address: string): boolean {
    return this.options.factory !== undefined && getAddress(address) === getAddress(this.options.factory);
  }

  private recordProcessed(head: BlockRef): void {
    this.state.processedBlock = head.number;
    const kept = this.state.recentBlocks;
    if (kept.length === 0 || kept[kept.length - 1].number !== head.number) {
      kept.push({ number: head.number, hash: head.hash });
    }
    this.state.finalizedBlock = Math.max(
      this.state.finalizedBlock,
      Math.min(head.number - this.options.confirmations, this.state.processedBlock),
    );
    // Keep every non-final hash, plus the newest final one as the rewind floor.
    const finalKept = kept.filter((entry) => entry.number <= this.state.finalizedBlock).slice(-1);
    this.state.recentBlocks = [...finalKept, ...kept.filter((entry) => entry.number > this.state.finalizedBlock)];
    for (const block of Object.keys(this.state.touched)) {
      if (Number(block) <= this.state.finalizedBlock) delete this.state.touched[block];
    }
  }
}
