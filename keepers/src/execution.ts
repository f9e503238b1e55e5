/**
 * Execution: simulates every call (eth_call against the pending block) before signing, signs EIP-1559 transactions
 * with its own nonce counter, journals each signed transaction before broadcasting it, bumps the fee of a stuck one
 * (same nonce, so never two sends), and never lets the fee exceed what a liquidation or a close earns. Socializations,
 * loss recognitions and trusted-price refreshes earn nothing: their fee is capped by --max-gas-price-gwei only.
 */
import { Transaction, type BrowserProvider, type TransactionReceipt, type Wallet } from "ethers";
import { IPool__factory } from "../../typechain-types";
import type { Logger } from "./logger";
import type { AttemptResult, KeeperMetrics } from "./metrics";
import { zeroFloorSub } from "./model/poolMath";
import type { RecognitionPlan } from "./recognition";
import type { JournalEntry, KeeperState } from "./state";
import type { RefreshPlan } from "./trustedPrices";
import { loanAssetsInWei, type ClosePlan, type LiquidationPlan, type SocializePlan } from "./strategy";

const poolInterface = IPool__factory.createInterface();

export interface ExecutionOptions {
  dryRun: boolean;
  maxGasPriceWei: bigint;
  priorityFeeWei: bigint;
  feeBumpPercent: number;
  maxFeeBumps: number;
  bumpAfterBlocks: number;
  receiptTimeoutBlocks: number;
  nativePriceE18: bigint;
}

export interface HeadBlock {
  number: number;
  hash: string;
  /** Unix seconds: `block.timestamp` in calls at this block. */
  timestamp: number;
  baseFeePerGas: bigint;
}

export interface SubmitContext {
  head: HeadBlock;
  loanDecimals: number;
  minProfitLoanAssets: bigint;
}

export interface SubmitOutcome {
  result: AttemptResult;
  detail?: string;
  entry?: JournalEntry;
}

export interface CompletedTransaction {
  entry: JournalEntry;
  receipt: TransactionReceipt;
}

/** The custom error name in a revert, or the message when it is not one of the pool's errors. */
export function revertReason(error: unknown): string {
  const data = findRevertData(error);
  if (data !== undefined) {
    try {
      const parsed = poolInterface.parseError(data);
      if (parsed !== null) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    } catch {
      // not a pool error: fall through
    }
  }
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

function findRevertData(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === "object" && depth < 5; depth++) {
    const { data } = current as { data?: unknown };
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data;
    current = (current as { error?: unknown; info?: unknown }).error ?? (current as { info?: unknown }).info;
  }
  return undefined;
}

export type Plan = LiquidationPlan | SocializePlan | ClosePlan | RecognitionPlan | RefreshPlan;

/** Calldata of a plan's pool call; the liquidator's seized collateral goes to the keeper's own address. */
function calldataOf(plan: Plan, receiver: string): string {
  switch (plan.kind) {
    case "liquidate":
      return poolInterface.encodeFunctionData("liquidate", [
        plan.borrower,
        plan.collateral,
        plan.repayAssets,
        plan.minSeizedCollateral,
        receiver,
      ]);
    case "close":
      return poolInterface.encodeFunctionData("closeInsolventAccount", [plan.borrower, plan.minSeizedValue, receiver]);
    case "socialize":
      return poolInterface.encodeFunctionData("socializeBadDebt", [plan.borrower]);
    case "recognize":
      return poolInterface.encodeFunctionData("recognizeLosses", [plan.accounts]);
    case "refresh":
      return poolInterface.encodeFunctionData("refreshTrustedPrices");
  }
}

/** The account a plan acts on; empty for a recognition (many accounts) and a refresh (none). */
const borrowerOf = (plan: Plan): string => (plan.kind === "recognize" || plan.kind === "refresh" ? "" : plan.borrower);

/** Bad debt the plan's call realizes, as the model expects it at the scan (0 when none). */
function expectedBadDebt(plan: Plan): bigint | undefined {
  switch (plan.kind) {
    case "socialize":
      return plan.expectedBadDebtAssets;
    case "liquidate":
    case "close":
      return plan.quote.realizesBadDebt ? plan.quote.badDebtAssets : undefined;
    case "recognize":
    case "refresh":
      return undefined;
  }
}

const ceilPercent = (value: bigint, percent: number): bigint => (value * BigInt(100 + percent) + 99n) / 100n;

export class Executor {
  private nextNonce = 0;

  constructor(
    private readonly provider: BrowserProvider,
    private readonly wallet: Wallet,
    private readonly chainId: bigint,
    private readonly state: KeeperState,
    private readonly persist: () => void,
    private readonly options: ExecutionOptions,
    private readonly metrics: KeeperMetrics,
    private readonly logger: Logger,
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /** Sets the nonce counter past every journaled transaction; re-broadcasts journaled ones the node forgot. */
  async init(): Promise<void> {
    const pendingCount = await this.provider.getTransactionCount(this.wallet.address, "pending");
    const journaled = this.pending().map((entry) => entry.nonce + 1);
    this.nextNonce = Math.max(pendingCount, ...journaled);
    for (const entry of this.pending()) {
      this.logger.info(
        { id: entry.id, nonce: entry.nonce, hash: entry.hashes.at(-1) },
        "resuming a journaled transaction",
      );
    }
  }

  pending(): JournalEntry[] {
    return this.state.journal.filter((entry) => entry.status === "pending");
  }

  inFlight(pool: string, borrower: string): boolean {
    return this.pending().some((entry) => entry.pool === pool && entry.borrower === borrower);
  }

  /** Whether a `refreshTrustedPrices()` of `pool` is signed and not yet included. */
  refreshInFlight(pool: string): boolean {
    return this.pending().some((entry) => entry.pool === pool && entry.action === "refresh");
  }

  /** Accounts of `pool` in a recognition that is signed and not yet included. */
  recognitionsInFlight(pool: string): Set<string> {
    return new Set(
      this.pending()
        .filter((entry) => entry.pool === pool && entry.action === "recognize")
        .flatMap((entry) => entry.accounts ?? []),
    );
  }

  /** Simulates, prices and sends one plan. */
  async submit(plan: Plan, context: SubmitContext): Promise<SubmitOutcome> {
    const [outcome] = await this.submitAll([plan], context);
    return outcome;
  }

  /**
   * Simulates every plan at once (eth_call and gas estimate on the pending block, all in parallel: the accounts are
   * independent), prices them, signs the survivors with consecutive nonces, journals them all with one write, then
   * broadcasts them in nonce order. Outcomes come back in the order of `plans`.
   */
  async submitAll(plans: readonly Plan[], context: SubmitContext): Promise<SubmitOutcome[]> {
    const outcomes: SubmitOutcome[] = new Array<SubmitOutcome>(plans.length);
    const simulations = await Promise.all(
      plans.map(async (plan) => {
        const inFlight =
          plan.kind === "refresh"
            ? this.refreshInFlight(plan.pool)
            : plan.kind !== "recognize" && this.inFlight(plan.pool, plan.borrower);
        if (inFlight) return { result: "skipped_in_flight" } as SubmitOutcome;
        const call = {
          to: plan.pool,
          from: this.wallet.address,
          data: calldataOf(plan, this.wallet.address),
        };
        try {
          const [, gasEstimate] = await Promise.all([
            this.provider.call({ ...call, blockTag: "pending" }),
            this.provider.estimateGas({ ...call, blockTag: "pending" }),
          ]);
          return { call, gasEstimate };
        } catch (error) {
          // Someone else got there first, or the state moved: nothing to send, and nothing to retry this block.
          return {
            result: "skipped_simulation_reverted",
            detail: revertReason(error),
          } as SubmitOutcome;
        }
      }),
    );

    const signed: JournalEntry[] = [];
    const signedIndexes: number[] = [];
    for (const [index, plan] of plans.entries()) {
      const simulation = simulations[index];
      if ("result" in simulation) {
        outcomes[index] = simulation;
        continue;
      }
      const fees = this.price(plan, simulation.gasEstimate, context);
      if ("result" in fees) {
        outcomes[index] = fees;
        continue;
      }
      if (this.options.dryRun) {
        this.logger.info(
          {
            pool: plan.pool,
            borrower: borrowerOf(plan) === "" ? undefined : borrowerOf(plan),
            accounts: plan.kind === "recognize" ? plan.accounts.length : undefined,
            collaterals: plan.kind === "refresh" ? plan.collaterals : undefined,
            action: plan.kind,
            gasEstimate: simulation.gasEstimate,
            ...fees,
          },
          "dry run: simulation passed, not sending",
        );
        outcomes[index] = { result: "dry_run" };
        continue;
      }
      const gasLimit = (simulation.gasEstimate * 13n) / 10n;
      const nonce = this.nextNonce++;
      const raw = await this.sign(
        plan.pool,
        simulation.call.data,
        nonce,
        gasLimit,
        fees.maxFeePerGas,
        fees.maxPriorityFeePerGas,
      );
      const badDebt = expectedBadDebt(plan);
      signed.push({
        id: `${plan.pool}:${borrowerOf(plan) === "" ? plan.kind : borrowerOf(plan)}:${context.head.number}:${nonce}`,
        pool: plan.pool,
        borrower: borrowerOf(plan),
        action: plan.kind,
        collateral: plan.kind === "liquidate" ? plan.collateral : undefined,
        collaterals: plan.kind === "refresh" ? [...plan.collaterals] : undefined,
        repayAssets: plan.kind === "liquidate" ? plan.repayAssets.toString() : undefined,
        minSeizedValue: plan.kind === "close" ? plan.minSeizedValue.toString() : undefined,
        accounts: plan.kind === "recognize" ? [...plan.accounts] : undefined,
        recordedAtScan: plan.kind === "recognize" ? plan.recordedAtScan.map(String) : undefined,
        nonce,
        rawTransactions: [raw],
        hashes: [Transaction.from(raw).hash as string],
        maxFeePerGasWei: fees.maxFeePerGas.toString(),
        maxPriorityFeePerGasWei: fees.maxPriorityFeePerGas.toString(),
        feeBudgetWei: fees.feeBudgetWei.toString(),
        gasLimit: gasLimit.toString(),
        gasEstimate: simulation.gasEstimate.toString(),
        detectedBlock: context.head.number,
        firstSentBlock: context.head.number,
        sentBlock: context.head.number,
        bumps: 0,
        expectsBadDebtRealization: badDebt !== undefined,
        expectedBadDebtAssets: (badDebt ?? 0n).toString(),
        status: "pending",
      });
      signedIndexes.push(index);
    }
    if (signed.length === 0) return outcomes;

    // Journal first: a crash after this line resumes these signed transactions instead of signing new ones.
    this.state.journal.push(...signed);
    this.persist();
    for (const [position, entry] of signed.entries()) {
      outcomes[signedIndexes[position]] = await this.broadcastEntry(entry);
    }
    this.persist();
    return outcomes;
  }

  /** Max fee and tip for a plan: within --max-gas-price-gwei and, for a liquidation, within its bonus. */
  private price(
    plan: Plan,
    gasEstimate: bigint,
    context: SubmitContext,
  ):
    | SubmitOutcome
    | {
        maxFeePerGas: bigint;
        maxPriorityFeePerGas: bigint;
        feeBudgetWei: bigint;
      } {
    const { head } = context;
    const priorityFee = this.options.priorityFeeWei;
    let maxFeePerGas = head.baseFeePerGas * 2n + priorityFee;
    if (maxFeePerGas > this.options.maxGasPriceWei) maxFeePerGas = this.options.maxGasPriceWei;
    // Liquidations and closes: the fee never exceeds the bonus less the minimum profit. Socializations and
    // recognitions (no bonus): only the gas price cap.
    const earns = plan.kind === "liquidate" || plan.kind === "close";
    const feeBudgetWei = earns
      ? loanAssetsInWei(
          zeroFloorSub(plan.quote.bonusValue, context.minProfitLoanAssets),
          this.options.nativePriceE18,
          context.loanDecimals,
        )
      : gasEstimate * this.options.maxGasPriceWei;
    if (gasEstimate * maxFeePerGas > feeBudgetWei) maxFeePerGas = feeBudgetWei / gasEstimate;
    if (maxFeePerGas < head.baseFeePerGas) {
      const detail =
        `fee budget ${feeBudgetWei} wei for ${gasEstimate} gas allows ${maxFeePerGas} wei/gas, ` +
        `below the base fee ${head.baseFeePerGas}`;
      return {
        result: earns ? "skipped_unprofitable" : "skipped_fee_cap",
        detail,
      };
    }
    const headroom = maxFeePerGas - head.baseFeePerGas;
    return {
      maxFeePerGas,
      maxPriorityFeePerGas: priorityFee < headroom ? priorityFee : headroom,
      feeBudgetWei,
    };
  }

  /** Broadcasts a journaled transaction; re-signs once with a fresh nonce if an outside transaction took its own. */
  private async broadcastEntry(entry: JournalEntry): Promise<SubmitOutcome> {
    let refusal = await this.broadcast(entry.rawTransactions[0]);
    if (refusal !== undefined && /nonce/i.test(refusal)) {
      await this.resyncNonce();
      entry.nonce = this.nextNonce++;
      const resigned = await this.resign(entry, BigInt(entry.maxFeePerGasWei), BigInt(entry.maxPriorityFeePerGasWei));
      entry.rawTransactions = [resigned];
      entry.hashes = [Transaction.from(resigned).hash as string];
      this.persist();
      refusal = await this.broadcast(resigned);
    }
    if (refusal !== undefined) {
      entry.status = "dropped";
      await this.resyncNonce();
      return {
        result: "dropped",
        detail: `broadcast refused: ${refusal}`,
        entry,
      };
    }
    this.logger.info(
      {
        id: entry.id,
        hash: entry.hashes[0],
        nonce: entry.nonce,
        action: entry.action,
        maxFeePerGas: entry.maxFeePerGasWei,
        gasLimit: entry.gasLimit,
      },
      "transaction sent",
    );
    return { result: "sent", entry };
  }

  /** Checks journaled transactions: receipts, lost ones re-broadcast, stuck ones bumped, old ones timed out. */
  async poll(head: HeadBlock): Promise<CompletedTransaction[]> {
    const completed: CompletedTransaction[] = [];
    for (const entry of this.pending()) {
      const receipts = await Promise.all(entry.hashes.map((hash) => this.provider.getTransactionReceipt(hash)));
      const receipt = receipts.find((candidate) => candidate !== null);
      if (receipt !== undefined && receipt !== null) {
        entry.status = receipt.status === 1 ? "included" : "reverted";
        entry.includedBlock = receipt.blockNumber;
        entry.includedHash = receipt.hash;
        this.metrics.countAttempt(entry.pool, entry.action, entry.status);
        this.metrics.blocksToInclusion.observe({ action: entry.action }, receipt.blockNumber - entry.detectedBlock);
        const log = {
          id: entry.id,
          hash: receipt.hash,
          block: receipt.blockNumber,
          gasUsed: receipt.gasUsed,
        };
        if (entry.status === "included") this.logger.info(log, "transaction included");
        else this.logger.warn(log, "transaction reverted on chain (a competitor was first); not retrying it");
        completed.push({ entry, receipt });
        continue;
      }
      const minedNonce = await this.provider.getTransactionCount(this.wallet.address, "latest");
      if (minedNonce > entry.nonce) {
        entry.status = "dropped";
        this.metrics.countAttempt(entry.pool, entry.action, "dropped");
        this.logger.error({ id: entry.id, nonce: entry.nonce }, "nonce used by a transaction not in the journal");
        continue;
      }
      if (head.number - entry.firstSentBlock >= this.options.receiptTimeoutBlocks) {
        entry.status = "timed_out";
        this.metrics.countAttempt(entry.pool, entry.action, "timed_out");
        this.logger.error(
          {
            id: entry.id,
            nonce: entry.nonce,
            blocks: head.number - entry.firstSentBlock,
          },
          "no receipt within --receipt-timeout-blocks: the nonce is stuck; raise --max-gas-price-gwei or replace it",
        );
        await this.resyncNonce();
        continue;
      }
      const latestHash = entry.hashes[entry.hashes.length - 1];
      const known = await this.provider.send("eth_getTransactionByHash", [latestHash]);
      if (known === null) {
        this.logger.warn({ id: entry.id, hash: latestHash }, "node does not know the transaction: re-broadcasting it");
        await this.broadcastQuietly(entry.rawTransactions[entry.rawTransactions.length - 1], entry);
        entry.sentBlock = head.number;
      } else if (
        head.number - entry.sentBlock >= this.options.bumpAfterBlocks &&
        entry.bumps < this.options.maxFeeBumps
      ) {
        await this.bump(entry, head);
      }
    }
    this.persist();
    return completed;
  }

  private async bump(entry: JournalEntry, head: HeadBlock): Promise<void> {
    const oldMaxFee = BigInt(entry.maxFeePerGasWei);
    const oldPriority = BigInt(entry.maxPriorityFeePerGasWei);
    const priority = ceilPercent(oldPriority === 0n ? 1n : oldPriority, this.options.feeBumpPercent);
    let maxFee = ceilPercent(oldMaxFee, this.options.feeBumpPercent);
    if (maxFee < head.baseFeePerGas * 2n + priority) maxFee = head.baseFeePerGas * 2n + priority;
    const budgetCap = BigInt(entry.feeBudgetWei) / BigInt(entry.gasEstimate);
    const cap = budgetCap < this.options.maxGasPriceWei ? budgetCap : this.options.maxGasPriceWei;
    if (maxFee > cap) maxFee = cap;
    if (maxFee < ceilPercent(oldMaxFee, 10) || priority > maxFee) {
      this.logger.warn(
        { id: entry.id, maxFeePerGas: oldMaxFee, capWeiPerGas: cap },
        "transaction stuck and its fee cannot be bumped within the profit and --max-gas-price-gwei caps",
      );
      entry.bumps = this.options.maxFeeBumps;
      return;
    }
    const raw = await this.resign(entry, maxFee, priority);
    entry.rawTransactions.push(raw);
    entry.hashes.push(Transaction.from(raw).hash as string);
    entry.maxFeePerGasWei = maxFee.toString();
    entry.maxPriorityFeePerGasWei = priority.toString();
    entry.bumps++;
    entry.sentBlock = head.number;
    this.persist();
    this.logger.info(
      {
        id: entry.id,
        nonce: entry.nonce,
        maxFeePerGas: maxFee,
        bumps: entry.bumps,
      },
      "fee bumped",
    );
    await this.broadcastQuietly(raw, entry);
  }

  /** Broadcasts a signed transaction; the node's refusal reason, or undefined when accepted (or already known). */
  private async broadcast(raw: string): Promise<string | undefined> {
    try {
      await this.provider.send("eth_sendRawTransaction", [raw]);
      return undefined;
    } catch (error) {
      const reason = revertReason(error);
      return /already known|already imported/i.test(reason) ? undefined : reason;
    }
  }

  private async broadcastQuietly(raw: string, entry: JournalEntry): Promise<void> {
    try {
      await this.provider.send("eth_sendRawTransaction", [raw]);
    } catch (error) {
      this.logger.warn({ id: entry.id, reason: revertReason(error) }, "broadcast refused; will check the receipt");
    }
  }

  private async sign(
    to: string,
    data: string,
    nonce: number,
    gasLimit: bigint,
    maxFeePerGas: bigint,
    maxPriorityFeePerGas: bigint,
  ): Promise<string> {
    return this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      to,
      data,
      nonce,
      gasLimit,
      maxFeePerGas,
      maxPriorityFeePerGas,
      value: 0n,
    });
  }

  /** The entry's call (target, calldata, gas limit) signed again at its current nonce with other fees. */
  private async resign(entry: JournalEntry, maxFeePerGas: bigint, maxPriorityFeePerGas: bigint): Promise<string> {
    const first = Transaction.from(entry.rawTransactions[0]);
    return this.sign(
      first.to as string,
      first.data,
      entry.nonce,
      BigInt(entry.gasLimit),
      maxFeePerGas,
      maxPriorityFeePerGas,
    );
  }

  private async resyncNonce(): Promise<void> {
    const pendingCount = await this.provider.getTransactionCount(this.wallet.address, "pending");
    this.nextNonce = Math.max(pendingCount, ...this.pending().map((entry) => entry.nonce + 1));
  }
}
