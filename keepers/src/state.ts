/**
 * What the keeper must not forget across restarts: the indexing checkpoint with recent block hashes (for reorgs), the
 * accounts it tracks, and a journal of every transaction it signed. Written atomically (temp file, fsync, rename), so
 * a crash leaves either the old or the new file, never half of one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";

/**
 * `close` is `closeInsolventAccount`; `recognize` is one `recognizeLosses` batch (its accounts in `accounts`); `refresh`
 * is `refreshTrustedPrices()` (the collaterals that needed it in `collaterals`).
 */
export type ActionKind = "liquidate" | "socialize" | "close" | "recognize" | "refresh";

export type JournalStatus = "pending" | "included" | "reverted" | "dropped" | "timed_out";

/** One signed transaction (and its fee-bumped replacements, same nonce). */
export interface JournalEntry {
  id: string;
  pool: string;
  /** The account acted on; empty for a recognition, whose accounts are in `accounts`, and for a refresh. */
  borrower: string;
  action: ActionKind;
  collateral?: string;
  /** The collaterals whose trusted price a refresh was sent for. */
  collaterals?: string[];
  /** `repayAssets` argument of a liquidation. */
  repayAssets?: string;
  /** `minSeizedValue` argument of a close. */
  minSeizedValue?: string;
  /** The accounts a recognition refreshes, in calldata order. */
  accounts?: string[];
  /** Their recorded shortfalls at the scan that decided the recognition (the lens's `recognizedShortfall`). */
  recordedAtScan?: string[];
  nonce: number;
  /** Signed raw transactions, oldest first; the last is the current one. */
  rawTransactions: string[];
  hashes: string[];
  maxFeePerGasWei: string;
  maxPriorityFeePerGasWei: string;
  /** Most the keeper will pay in fees for this transaction, in wei (expected profit, or the gas price cap). */
  feeBudgetWei: string;
  gasLimit: string;
  gasEstimate: string;
  /** Block of the scan that decided the action. */
  detectedBlock: number;
  /** Block number when the first raw transaction was broadcast. */
  firstSentBlock: number;
  /** Block number when the current raw transaction was (re)broadcast. */
  sentBlock: number;
  bumps: number;
  expectsBadDebtRealization: boolean;
  /** Residual debt the keeper's model expected at the scan, for the logs. */
  expectedBadDebtAssets: string;
  status: JournalStatus;
  includedBlock?: number;
  includedHash?: string;
}

/** An account's position in a pool, mirrored from the pool's events. Amounts are decimal strings. */
export interface TrackedAccount {
  /** First block with an event of this account that the keeper indexed. */
  firstSeenBlock: number;
  borrowShares: string;
  /** Nonzero collateral balances by (checksummed) collateral address. */
  collateral: Record<string, string>;
  /** Its recognized shortfall as last recorded by the pool (`ShortfallUpdated`); absent = 0. */
  shortfall?: string;
}

export interface PoolState {
  /** Block the pool was discovered in (its creation block for factory pools, the start block otherwise). */
  discoveredBlock: number;
  accounts: Record<string, TrackedAccount>;
}

export interface KeeperState {
  version: 1;
  chainId: number;
  signer: string;
  /** Last block indexed (may be newer than `finalizedBlock`). */
  processedBlock: number;
  /** Blocks at or below are deeper than the confirmation depth: never rewound. */
  finalizedBlock: number;
  /** Hashes of recently processed, not yet final blocks (and the last final one), oldest first. */
  recentBlocks: { number: number; hash: string }[];
  pools: Record<string, PoolState>;
  /** Accounts each non-final block touched, by block number then pool: re-read after a reorg. */
  touched: Record<string, Record<string, string[]>>;
  journal: JournalEntry[];
}

export function emptyState(chainId: number, signer: string, startBlock: number): KeeperState {
  return {
    version: 1,
    chainId,
    signer,
    processedBlock: startBlock - 1,
    finalizedBlock: startBlock - 1,
    recentBlocks: [],
    pools: {},
    touched: {},
    journal: [],
  };
}

/** Completed journal entries kept for inspection; pending ones are never pruned. */
const KEPT_COMPLETED_ENTRIES = 500;

export class StateStore {
  readonly file: string;

  constructor(readonly directory: string) {
    this.file = path.join(directory, "keeper-state.json");
  }

  /** The saved state, or undefined on first start. Refuses a state of another chain or signer. */
  load(chainId: number, signer: string): KeeperState | undefined {
    if (!existsSync(this.file)) return undefined;
    const state = JSON.parse(readFileSync(this.file, "utf8")) as KeeperState;
    if (state.version !== 1) throw new Error(`${this.file}: unknown state version ${String(state.version)}`);
    if (state.chainId !== chainId || state.signer.toLowerCase() !== signer.toLowerCase()) {
      throw new Error(
        `${this.file} belongs to chain ${state.chainId} and signer ${state.signer}, not chain ${chainId} and ` +
          `signer ${signer}: give this keeper its own --state-dir`,
      );
    }
    return state;
  }

  save(state: KeeperState): void {
    const completed = state.journal.filter((entry) => entry.status !== "pending");
    if (completed.length > KEPT_COMPLETED_ENTRIES) {
      const drop = new Set(completed.slice(0, completed.length - KEPT_COMPLETED_ENTRIES));
      state.journal = state.journal.filter((entry) => !drop.has(entry));
    }
    mkdirSync(this.directory, { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const descriptor = openSync(temporary, "w");
    try {
      writeSync(
        descriptor,
        JSON.stringify(
          state,
          (key, value: unknown) => {
            if (typeof value === "bigint") throw new Error(`state field ${key} is a bigint: store it as a string`);
            return value;
          },
          2,
        ),
      );
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, this.file);
  }
}
