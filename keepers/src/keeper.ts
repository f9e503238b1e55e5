/**
 * The keeper loop. One `tick` per new block: check journaled transactions, index new position events, verify the
 * included realizations and recognitions, value every debtor with the model (health and live shortfall) and confirm
 * the risky and the stale ones through the lens, decide per account to act on (socialize, close, liquidate), then
 * refresh every account whose recorded shortfall is materially stale with one batched `recognizeLosses`, simulate
 * and send. State is saved after every tick and before every broadcast.
 */
import { MaxUint256, getAddress, parseUnits, type BrowserProvider, type TransactionReceipt, type Wallet } from "ethers";
import { IERC20__factory } from "../../typechain-types";
import { AccountDiscovery, type Position } from "./discovery";
import { Executor, type HeadBlock, type Plan } from "./execution";
import { HealthScanner, type AccountHealth } from "./health";
import type { Logger } from "./logger";
import type { AttemptResult, KeeperMetrics } from "./metrics";
import { PositionReader, accountOf, type AccountSnapshot, type PoolSnapshot } from "./positions";
import { healthFactorDown } from "./model/poolMath";
import {
  DEFAULT_RECOGNITION_BATCH_SIZE,
  DEFAULT_RECOGNITION_THRESHOLD,
  batches,
  isMaterialChange,
  parseRecognitionThreshold,
  shortfallGap,
  type RecognitionPlan,
  type RecognitionThreshold,
} from "./recognition";
import type { RetryingTransport } from "./rpc";
import { StateStore, emptyState, type JournalEntry, type KeeperState } from "./state";
import { decide, type Decision, type SkipReason } from "./strategy";
import { Verifier, type PositionSource, type RecognitionVerification, type VerificationResult } from "./verification";

/** The settings the loop needs (a subset of `KeeperConfig`, so tests can build one directly). */
export interface KeeperSettings {
  pools: readonly string[];
  factory?: string;
  lens: string;
  startBlock: number;
  confirmations: number;
  pollIntervalMs: number;
  minProfit: string;
  nativePriceE18: bigint;
  maxGasPriceWei: bigint;
  priorityFeeWei: bigint;
  maxFeeBumps: number;
  feeBumpPercent: number;
  bumpAfterBlocks: number;
  receiptTimeoutBlocks: number;
  dryRun: boolean;
  approve: boolean;
  stateDir: string;
  logRangeBlocks: number;
  lensBatchSize: number;
  /** Accounts whose model health factor is below this (×1e18) are confirmed through the lens every block. */
  watchHealthFactorE18: bigint;
  /** Every this many blocks, every account is confirmed through the lens (catches a drifted position mirror). */
  fullScanEveryBlocks: number;
  /**
   * How far an account's live shortfall may differ from its recorded one before the keeper refreshes it: loan-asset
   * units ("2.5") or basis points of its debt ("10bps"); "0" refreshes any change. Default "10bps".
   */
  recognitionThreshold?: string;
  /** Most accounts per `recognizeLosses` transaction; more are split into several in the same block. Default 200. */
  recognitionBatchSize?: number;
}

export interface KeeperDependencies {
  provider: BrowserProvider;
  /** The transport under `provider`: counts RPC calls. */
  transport: RetryingTransport;
  wallet: Wallet;
  chainId: bigint;
  settings: KeeperSettings;
  logger: Logger;
  metrics: KeeperMetrics;
}

/** Lowest health first; unknown health (an unpriced collateral) before all. */
function compareHealth(a: bigint | undefined, b: bigint | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The metric result of each reason an account to act on is not liquidated or closed. */
const SKIP_RESULTS = {
  unprofitable: "skipped_unprofitable",
  insufficient_balance: "skipped_balance",
  not_liquidatable_by_model: "skipped_no_quote",
} as const satisfies Record<Exclude<SkipReason, "healthy">, AttemptResult>;

/** What one tick saw and did: for logs, tests and the benchmark. */
export interface TickReport {
  block: number;
  skippedSameBlock: boolean;
  rewoundTo?: number;
  /** Debtors whose health the model computed. */
  accountsScanned: number;
  /** Accounts read through the lens to confirm the model. */
  lensConfirmed: number;
  /** Accounts to act on: liquidatable, or insolvent (recovery below debt), as the lens confirmed them. */
  liquidatable: number;
  /** Accounts whose live shortfall the lens confirmed differs materially from the recorded one. */
  staleShortfalls: number;
  decisions: Decision[];
  sends: {
    pool: string;
    borrower: string;
    action: string;
    result: string;
    detail?: string;
  }[];
  /** `recognizeLosses` transactions of this tick (one per pool, more when split), with the accounts of each. */
  recognitions: {
    pool: string;
    accounts: string[];
    result: string;
    detail?: string;
  }[];
  /** Bad debt realizations of this tick's included transactions, as the verifier judged them. */
  realizations: {
    pool: string;
    borrower: string;
    status: VerificationResult["status"] | "not_checked";
  }[];
  /** Included recognitions of the keeper, as the verifier judged them against the model. */
  recognitionChecks: {
    pool: string;
    accounts: number;
    status: RecognitionVerification["status"] | "not_checked";
  }[];
  rpcCalls: number;
  durationMs: number;
}

export class Keeper {
  readonly state: KeeperState;
  readonly executor: Executor;
  private readonly store: StateStore;
  private readonly discovery: AccountDiscovery;
  private readonly scanner: HealthScanner;
  private readonly reader: PositionReader;
  private readonly verifier: Verifier;
  private readonly recognitionThreshold: RecognitionThreshold;
  private readonly recognitionBatchSize: number;
  private stopping = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly deps: KeeperDependencies) {
    const { settings, provider, wallet, logger, metrics } = deps;
    this.store = new StateStore(settings.stateDir);
    this.state =
      this.store.load(Number(deps.chainId), wallet.address) ??
      emptyState(Number(deps.chainId), wallet.address, settings.startBlock);
    this.discovery = new AccountDiscovery(
      provider,
      this.state,
      {
        pools: settings.pools,
        factory: settings.factory,
        startBlock: settings.startBlock,
        confirmations: settings.confirmations,
        logRangeBlocks: settings.logRangeBlocks,
      },
      logger,
    );
    this.scanner = new HealthScanner(provider, settings.lens, settings.lensBatchSize);
    this.reader = new PositionReader(provider);
    this.verifier = new Verifier(provider, this.reader);
    this.recognitionThreshold = parseRecognitionThreshold(
      settings.recognitionThreshold ?? DEFAULT_RECOGNITION_THRESHOLD,
    );
    this.recognitionBatchSize = settings.recognitionBatchSize ?? DEFAULT_RECOGNITION_BATCH_SIZE;
    this.executor = new Executor(
      provider,
      wallet,
      deps.chainId,
      this.state,
      () => this.persist(),
      {
        dryRun: settings.dryRun,
        maxGasPriceWei: settings.maxGasPriceWei,
        priorityFeeWei: settings.priorityFeeWei,
        feeBumpPercent: settings.feeBumpPercent,
        maxFeeBumps: settings.maxFeeBumps,
        bumpAfterBlocks: settings.bumpAfterBlocks,
        receiptTimeoutBlocks: settings.receiptTimeoutBlocks,
        nativePriceE18: settings.nativePriceE18,
      },
      metrics,
      logger,
    );
  }

  /** Resumes the journal and reports (or, with `approve`, fixes) missing balances and allowances. */
  async init(): Promise<void> {
    // Funds first: an approval sent here takes a nonce the executor's counter must start after.
    await this.checkFunds();
    await this.executor.init();
  }

  persist(): void {
    this.store.save(this.state);
  }

  /** One pass over the newest block. Does nothing when that block was already processed. */
  async tick(): Promise<TickReport> {
    const started = performance.now();
    const callsBefore = this.deps.transport.calls;
    const { logger, metrics, provider } = this.deps;
    const block = await provider.getBlock("latest");
    if (block === null || block.hash === null) throw new Error("the node returned no latest block");
    const head: HeadBlock = {
      number: block.number,
      hash: block.hash,
      baseFeePerGas: block.baseFeePerGas ?? 0n,
    };
    const report: TickReport = {
      block: head.number,
      skippedSameBlock: false,
      accountsScanned: 0,
      lensConfirmed: 0,
      liquidatable: 0,
      staleShortfalls: 0,
      decisions: [],
      sends: [],
      recognitions: [],
      realizations: [],
      recognitionChecks: [],
      rpcCalls: 0,
      durationMs: 0,
    };
    const lastKept = this.state.recentBlocks.at(-1);
    if (lastKept !== undefined && lastKept.number === head.number && lastKept.hash === head.hash) {
      report.skippedSameBlock = true;
      report.rpcCalls = this.deps.transport.calls - callsBefore;
      return report;
    }

    const completed = await this.executor.poll(head);
    const sync = await this.discovery.sync(head);
    report.rewoundTo = sync.rewoundTo;

    // Verified after indexing, so that a recognition included in this block is checked on the mirror, not per call.
    for (const { entry, receipt } of completed) {
      if (receipt.status !== 1) continue;
      if (entry.action === "recognize") {
        const status = await this.verifyRecognition(entry, receipt, head);
        report.recognitionChecks.push({ pool: entry.pool, accounts: entry.accounts?.length ?? 0, status });
      } else if (entry.expectsBadDebtRealization) {
        const status = await this.verify(entry, receipt);
        report.realizations.push({ pool: entry.pool, borrower: entry.borrower, status });
      }
    }

    for (const pool of this.discovery.pools()) await this.scanPool(pool, head, report);

    this.persist();
    metrics.recordBlockProcessed(head.number);
    report.durationMs = performance.now() - started;
    metrics.scanDuration.observe(report.durationMs / 1000);
    report.rpcCalls = this.deps.transport.calls - callsBefore;
    logger.debug(
      {
        block: head.number,
        scanned: report.accountsScanned,
        liquidatable: report.liquidatable,
        staleShortfalls: report.staleShortfalls,
        rpcCalls: report.rpcCalls,
      },
      "block processed",
    );
    return report;
  }

  /**
   * One pool at `head`: the model computes every debtor's health and live shortfall from the indexed positions and the
   * pool's prices and totals; the lens confirms, in batches, every account below the watch health factor, every
   * account the model finds insolvent or with a materially stale recorded shortfall (and all of them every
   * `fullScanEveryBlocks` blocks, to catch a drifted mirror). Accounts to act on are acted on, riskiest first; then
   * every account whose stale shortfall the lens confirmed, and that no transaction of this tick already refreshes,
   * is recognized in one batched `recognizeLosses`, whether or not liquidating it pays.
   */
  private async scanPool(pool: string, head: HeadBlock, report: TickReport): Promise<void> {
    const { logger, metrics, settings } = this.deps;
    const debtors = this.discovery.accounts(pool);
    metrics.accountsTracked.set({ pool }, debtors.length);
    if (debtors.length === 0) {
      metrics.unhealthyAccounts.set({ pool }, 0);
      metrics.staleShortfallAccounts.set({ pool }, 0);
      metrics.shortfallAssets.set({ pool, kind: "live" }, 0);
      metrics.shortfallAssets.set({ pool, kind: "recognized" }, 0);
      return;
    }
    const drifted = debtors.filter((account) => this.discovery.drifted.has(`${pool}:${account}`));
    if (drifted.length > 0) await this.discovery.refresh(pool, drifted, head.number);

    const snapshot = await this.reader.poolSnapshot(pool, head.number);
    const threshold = this.recognitionThreshold;
    const evaluated = new Map<
      string,
      { account: AccountSnapshot; healthFactorE18: bigint | undefined; staleShortfall: boolean }
    >();
    let liveShortfall = 0n;
    let recordedShortfall = 0n;
    let stale = 0;
    for (const account of this.discovery.accounts(pool)) {
      const valued = this.mirroredAccount(snapshot, pool, account);
      const unpriced = snapshot.collaterals.some(
        (collateral, index) => !collateral.priced && valued.collateralBalances[index] > 0n,
      );
      const staleShortfall = isMaterialChange(
        valued.shortfall,
        valued.recognizedShortfall,
        valued.liquidity.debt,
        threshold,
        snapshot.loanDecimals,
      );
      evaluated.set(account, {
        account: valued,
        healthFactorE18: unpriced
          ? undefined
          : healthFactorDown(valued.liquidity.liquidationLimit, valued.liquidity.debt),
        staleShortfall,
      });
      liveShortfall += valued.shortfall;
      recordedShortfall += valued.recognizedShortfall;
      if (staleShortfall) stale++;
    }
    report.accountsScanned += evaluated.size;
    metrics.shortfallAssets.set({ pool, kind: "live" }, Number(liveShortfall));
    metrics.shortfallAssets.set({ pool, kind: "recognized" }, Number(recordedShortfall));
    metrics.staleShortfallAccounts.set({ pool }, stale);

    const fullScan = head.number % settings.fullScanEveryBlocks === 0;
    const toConfirm = [...evaluated.entries()]
      .filter(
        ([, entry]) =>
          fullScan ||
          entry.staleShortfall ||
          entry.account.shortfall > 0n ||
          entry.healthFactorE18 === undefined ||
          entry.healthFactorE18 < settings.watchHealthFactorE18,
      )
      .sort(([, a], [, b]) => compareHealth(a.healthFactorE18, b.healthFactorE18))
      .map(([account]) => account);
    report.lensConfirmed += toConfirm.length;
    const views = toConfirm.length === 0 ? [] : await this.scanner.scan(pool, toConfirm, head.number);

    const actionable: { view: AccountHealth; account: AccountSnapshot }[] = [];
    const staleConfirmed: { view: AccountHealth; account: AccountSnapshot }[] = [];
    const diverged: string[] = [];
    for (const view of views) {
      const entry = evaluated.get(view.account);
      if (entry === undefined || !this.modelMatchesLens(snapshot, entry.account, view)) {
        diverged.push(view.account);
        continue;
      }
      if (isMaterialChange(view.shortfall, view.recognizedShortfall, view.debt, threshold, snapshot.loanDecimals)) {
        staleConfirmed.push({ view, account: entry.account });
      }
      if (view.debt === 0n) continue;
      // Insolvent (recovery below debt): closable even while an oracle fails, since the lens values that collateral
      // at its last trusted price. Liquidatable but solvent: only with every oracle answering (the lens's health).
      if (view.shortfall > 0n || (view.priced && view.liquidatable)) {
        actionable.push({ view, account: entry.account });
      } else if (!view.priced) {
        logger.warn({ pool, account: view.account }, "account cannot be priced: an oracle reverts");
      }
    }
    if (diverged.length > 0) {
      metrics.modelDivergence.inc({ pool }, diverged.length);
      await this.discovery.refresh(pool, diverged, head.number);
    }
    metrics.unhealthyAccounts.set({ pool }, actionable.length);
    report.liquidatable += actionable.length;
    report.staleShortfalls += staleConfirmed.length;
    const handled = actionable.length > 0 ? await this.act(snapshot, actionable, head, report) : new Set<string>();

    // A liquidation, close or socialization sent this tick refreshes or clears its account's shortfall itself; an
    // account in a recognition still in flight waits for its receipt.
    const inFlight = this.executor.recognitionsInFlight(pool);
    const toRecognize = staleConfirmed.filter(({ view }) => !handled.has(view.account) && !inFlight.has(view.account));
    if (toRecognize.length > 0) await this.recognize(snapshot, toRecognize, head, report);
  }

  /** The model's valuation of an account from its mirrored position. */
  private mirroredAccount(snapshot: PoolSnapshot, pool: string, account: string): AccountSnapshot {
    const position = this.discovery.position(pool, account);
    const balances = snapshot.collaterals.map((collateral) => position.collateral.get(collateral.address) ?? 0n);
    return accountOf(snapshot, account, position.borrowShares, balances, position.recognizedShortfall);
  }

  /**
   * Decides and sends for the accounts of one pool to act on, riskiest first. Returns the accounts a transaction of
   * this tick (or one still in flight) acts on.
   */
  private async act(
    snapshot: PoolSnapshot,
    actionable: { view: AccountHealth; account: AccountSnapshot }[],
    head: HeadBlock,
    report: TickReport,
  ): Promise<Set<string>> {
    const { logger, metrics, settings, provider } = this.deps;
    const pool = snapshot.address;
    const handled = new Set<string>();
    const loanToken = IERC20__factory.connect(snapshot.loanAsset, provider);
    let repayBudget: bigint = await loanToken.balanceOf(this.executor.address, {
      blockTag: head.number,
    });
    const minProfitLoanAssets = parseUnits(settings.minProfit, snapshot.loanDecimals);
    const fees = {
      gasPriceWei: head.baseFeePerGas + settings.priorityFeeWei,
      nativePriceE18: settings.nativePriceE18,
    };
    const plans: { plan: Exclude<Plan, RecognitionPlan>; view: AccountHealth }[] = [];
    for (const { account, view } of actionable) {
      const decision = decide(snapshot, account, {
        repayBudget,
        minProfitLoanAssets,
        fees,
      });
      report.decisions.push(decision);
      if (decision.kind !== "skip") {
        plans.push({ plan: decision, view });
        // The pool may take a little more than quoted (interest until inclusion): keep 0.1% aside per repayment.
        if (decision.kind === "liquidate" || decision.kind === "close") {
          const reserved = decision.quote.repaidAssets + decision.quote.repaidAssets / 1_000n;
          repayBudget = reserved < repayBudget ? repayBudget - reserved : 0n;
        }
        continue;
      }
      if (decision.reason === "healthy") continue;
      const result = SKIP_RESULTS[decision.reason];
      metrics.liquidations.inc({ pool, action: decision.action, result });
      logger.info(
        {
          pool,
          borrower: account.account,
          action: decision.action,
          reason: decision.reason,
          detail: decision.detail,
        },
        decision.action === "close" ? "close skipped" : "liquidation skipped",
      );
      report.sends.push({
        pool,
        borrower: account.account,
        action: decision.action,
        result,
        detail: decision.detail,
      });
    }
    if (plans.length === 0) return handled;

    const outcomes = await this.executor.submitAll(
      plans.map(({ plan }) => plan),
      { head, loanDecimals: snapshot.loanDecimals, minProfitLoanAssets },
    );
    for (const [index, { plan, view }] of plans.entries()) {
      const outcome = outcomes[index];
      metrics.countAttempt(pool, plan.kind, outcome.result);
      report.sends.push({
        pool,
        borrower: plan.borrower,
        action: plan.kind,
        result: outcome.result,
        detail: outcome.detail,
      });
      const acted = outcome.result === "sent" || outcome.result === "dry_run";
      if (acted || outcome.result === "skipped_in_flight") handled.add(plan.borrower);
      const logFields = {
        pool,
        borrower: plan.borrower,
        action: plan.kind,
        result: outcome.result,
        detail: outcome.detail,
        healthFactorE18: view.healthFactorE18,
        shortfall: view.shortfall,
        recognizedShortfall: view.recognizedShortfall,
        expectedProfit: plan.kind === "socialize" ? undefined : plan.expectedProfitLoanAssets,
        minSeizedValue: plan.kind === "close" ? plan.minSeizedValue : undefined,
        expectedBadDebt: plan.kind === "socialize" ? plan.expectedBadDebtAssets : plan.quote.badDebtAssets,
      };
      logger.info(logFields, acted ? "acting on account" : "account not acted on");
    }
    return handled;
  }

  /**
   * Sends one `recognizeLosses` for the pool's stale accounts (largest change first; split into batches of
   * `recognitionBatchSize`, all in this block). No profit is needed: the fee is capped by --max-gas-price-gwei only.
   */
  private async recognize(
    snapshot: PoolSnapshot,
    stale: { view: AccountHealth; account: AccountSnapshot }[],
    head: HeadBlock,
    report: TickReport,
  ): Promise<void> {
    const { logger, metrics } = this.deps;
    const pool = snapshot.address;
    const ordered = [...stale].sort((a, b) => {
      const gapA = shortfallGap(a.view.shortfall, a.view.recognizedShortfall);
      const gapB = shortfallGap(b.view.shortfall, b.view.recognizedShortfall);
      return gapA > gapB ? -1 : gapA < gapB ? 1 : 0;
    });
    const plans: RecognitionPlan[] = batches(ordered, this.recognitionBatchSize).map((batch) => ({
      kind: "recognize",
      pool,
      accounts: batch.map(({ view }) => view.account),
      recordedAtScan: batch.map(({ view }) => view.recognizedShortfall),
      expectedShortfallChange: batch.reduce((sum, { view }) => sum + view.shortfall - view.recognizedShortfall, 0n),
    }));
    for (const { view } of ordered) {
      logger.debug(
        {
          pool,
          account: view.account,
          debt: view.debt,
          recoveryValue: view.recoveryValue,
          recordedShortfall: view.recognizedShortfall,
          liveShortfall: view.shortfall,
        },
        view.shortfall > view.recognizedShortfall ? "shortfall to recognize" : "shortfall to release",
      );
    }
    const liveShortfall = new Map(ordered.map(({ view }) => [view.account, view.shortfall]));
    const outcomes = await this.executor.submitAll(plans, {
      head,
      loanDecimals: snapshot.loanDecimals,
      minProfitLoanAssets: 0n,
    });
    for (const [index, plan] of plans.entries()) {
      const outcome = outcomes[index];
      metrics.countAttempt(pool, "recognize", outcome.result);
      report.recognitions.push({ pool, accounts: plan.accounts, result: outcome.result, detail: outcome.detail });
      const raised = plan.accounts.filter(
        (account, position) => (liveShortfall.get(account) ?? 0n) > plan.recordedAtScan[position],
      ).length;
      const sent = outcome.result === "sent" || outcome.result === "dry_run";
      logger[sent ? "info" : "warn"](
        {
          pool,
          accounts: plan.accounts.length,
          recognized: raised,
          released: plan.accounts.length - raised,
          shortfallChange: plan.expectedShortfallChange,
          threshold: this.recognitionThreshold.text,
          result: outcome.result,
          detail: outcome.detail,
        },
        sent ? "recognizing losses" : "recognition not sent",
      );
    }
  }

  /** The model must reproduce the lens's figures exactly; if not, the keeper does not act on that account. */
  private modelMatchesLens(pool: PoolSnapshot, account: AccountSnapshot, view: AccountHealth): boolean {
    const { liquidity } = account;
    const shortfallsMatch =
      liquidity.debt === view.debt &&
      account.recoveryValue === view.recoveryValue &&
      account.shortfall === view.shortfall &&
      account.recognizedShortfall === view.recognizedShortfall;
    // Without a price for every collateral the lens cannot value the account's health (it reports zeros).
    const liquidityMatches =
      !view.priced ||
      (liquidity.collateralValue === view.collateralValue && liquidity.liquidationLimit === view.liquidationLimit);
    if (shortfallsMatch && liquidityMatches) return true;
    this.deps.logger.error(
      {
        pool: pool.address,
        account: account.account,
        model: {
          ...liquidity,
          recoveryValue: account.recoveryValue,
          shortfall: account.shortfall,
          recognizedShortfall: account.recognizedShortfall,
        },
        lens: view,
      },
      "the model's account figures differ from the lens: not acting; update keepers/src/model/poolMath.ts",
    );
    return false;
  }

  /**
   * Checks an included recognition against the model and logs the verdict; counts the accounts it raised or lowered.
   * Positions at the inclusion block come from the mirror when it has indexed exactly that block.
   */
  private async verifyRecognition(
    entry: JournalEntry,
    receipt: TransactionReceipt,
    head: HeadBlock,
  ): Promise<RecognitionVerification["status"] | "not_checked"> {
    const { logger, metrics } = this.deps;
    const pool = entry.pool;
    const fromMirror: PositionSource | undefined =
      receipt.blockNumber === head.number && this.state.processedBlock === head.number
        ? async (snapshot, accounts) =>
            accounts.map((account) => this.mirroredAccount(snapshot, pool, getAddress(account)))
        : undefined;
    let result: RecognitionVerification;
    try {
      result = await this.verifier.verifyRecognition(entry, receipt, fromMirror);
    } catch (error) {
      metrics.verificationFailures.inc({ pool, kind: "recognition" });
      logger.error(
        { id: entry.id, hash: receipt.hash, err: error },
        "recognition verification could not run (RPC failure?): check the transaction by hand",
      );
      return "not_checked";
    }
    const raised = result.events.filter((event) => event.shortfallAfter > event.shortfallBefore);
    const lowered = result.events.filter((event) => event.shortfallAfter < event.shortfallBefore);
    if (raised.length > 0) metrics.recognizedAccounts.inc({ pool, direction: "recognized" }, raised.length);
    if (lowered.length > 0) metrics.recognizedAccounts.inc({ pool, direction: "released" }, lowered.length);
    const base = {
      id: entry.id,
      pool,
      hash: receipt.hash,
      block: receipt.blockNumber,
      accounts: entry.accounts?.length ?? 0,
      recognized: raised.length,
      released: lowered.length,
      totalShortfall: result.events.at(-1)?.totalShortfall,
    };
    switch (result.status) {
      case "verified":
        logger.info(base, "losses recognized and verified: every ShortfallUpdated matches the model");
        break;
      case "mismatch":
        metrics.verificationFailures.inc({ pool, kind: "recognition" });
        logger.error({ ...base, problems: result.problems }, "recognition verification FAILED");
        break;
      case "inconclusive":
        logger.warn({ ...base, reason: result.reason }, "recognition could not be checked exactly");
        break;
    }
    return result.status;
  }

  /** Replays a realization in the model and logs the verdict; "not_checked" when the replay could not run. */
  private async verify(
    ...[entry, receipt]: Parameters<Verifier["verify"]>
  ): Promise<VerificationResult["status"] | "not_checked"> {
    const { logger, metrics } = this.deps;
    let result: VerificationResult;
    try {
      result = await this.verifier.verify(entry, receipt);
    } catch (error) {
      metrics.verificationFailures.inc({ pool: entry.pool, kind: "realization" });
      logger.error(
        { id: entry.id, hash: receipt.hash, err: error },
        "realization verification could not run (RPC failure?): check the transaction by hand",
      );
      return "not_checked";
    }
    const base = {
      id: entry.id,
      pool: entry.pool,
      borrower: entry.borrower,
      expectedAtScan: entry.expectedBadDebtAssets,
    };
    switch (result.status) {
      case "verified":
        metrics.badDebtRealizedAssets.inc({ pool: entry.pool }, Number(result.event.badDebtAssets));
        logger.info(
          {
            ...base,
            badDebt: result.event.badDebtAssets,
            coveredByReserve: result.event.coveredByReserve,
            socialized: result.event.socializedAssets,
            sharePriceBefore: result.event.sharePriceBefore,
            sharePriceAfter: result.event.sharePriceAfter,
          },
          "bad debt realized and verified: reserve + socialized = residual debt, exit share price as the model's",
        );
        break;
      case "mismatch":
        metrics.badDebtRealizedAssets.inc({ pool: entry.pool }, Number(result.event.badDebtAssets));
        metrics.verificationFailures.inc({ pool: entry.pool, kind: "realization" });
        logger.error(
          { ...base, problems: result.problems, expected: result.expected },
          "realization verification FAILED",
        );
        break;
      case "inconclusive":
        metrics.badDebtRealizedAssets.inc({ pool: entry.pool }, Number(result.event.badDebtAssets));
        logger.warn({ ...base, reason: result.reason }, "realization could not be replayed exactly");
        break;
      case "no_realization":
        logger.info(base, "transaction included without realizing bad debt (the state moved since the scan)");
        break;
    }
    return result.status;
  }

  /** The signer's loan-asset balance and allowance per pool: says what is missing, approves with `approve`. */
  private async checkFunds(): Promise<void> {
    const { provider, logger, settings, wallet } = this.deps;
    const native = await provider.getBalance(wallet.address);
    if (native === 0n) logger.error({ signer: wallet.address }, "the signer has no native token to pay gas: fund it");
    for (const pool of this.discovery.pools()) {
      const { loanAsset } = await this.reader.poolStatics(pool);
      const token = IERC20__factory.connect(loanAsset, provider);
      const [balance, allowance] = await Promise.all([
        token.balanceOf(wallet.address),
        token.allowance(wallet.address, pool),
      ]);
      if (balance === 0n) {
        logger.warn(
          { pool, loanAsset, signer: wallet.address },
          "the signer holds none of the pool's loan asset: it can socialize dust accounts and recognize losses, but not liquidate or close; fund it",
        );
      }
      if (allowance >= balance && allowance > 0n) continue;
      if (settings.approve && !settings.dryRun) {
        const response = await IERC20__factory.connect(loanAsset, wallet.connect(provider)).approve(pool, MaxUint256);
        await response.wait();
        logger.info({ pool, loanAsset, hash: response.hash }, "approved the pool to pull the loan asset");
      } else {
        logger.warn(
          { pool, loanAsset, signer: wallet.address, allowance, balance },
          "the pool may not pull the signer's loan asset: restart with --approve or approve it yourself",
        );
      }
    }
  }

  /** Runs ticks until `stop()`: one per new block, polling every `pollIntervalMs`. Errors are logged, not fatal. */
  start(): void {
    if (this.running !== undefined) return;
    this.running = (async () => {
      while (!this.stopping) {
        try {
          await this.tick();
        } catch (error) {
          this.deps.logger.error({ err: error }, "tick failed; retrying at the next poll");
        }
        if (this.stopping) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.deps.settings.pollIntervalMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
  }

  /** Stops taking work, lets the current tick finish (in-flight transactions stay journaled) and saves state. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.running;
    this.persist();
  }

  /** An account's indexed position in a pool. */
  position(pool: string, account: string): Position {
    return this.discovery.position(pool, account);
  }

  /** Pools and accounts tracked, for tests and status. */
  tracked(): Record<string, string[]> {
    return Object.fromEntries(this.discovery.pools().map((pool) => [pool, this.discovery.accounts(pool)]));
  }
}
