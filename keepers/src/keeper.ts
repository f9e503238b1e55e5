/**
 * The keeper loop. One `tick` per new block: check journaled transactions, index new position events, verify the
 * included realizations and recognitions, value every debtor with the model (health and live shortfall) and confirm
 * the risky and the stale ones through the lens, decide per account to act on (socialize, close, liquidate), then
 * refresh every account whose recorded shortfall is materially stale with one batched `recognizeLosses`, then keep
 * the pool's trusted (fallback) prices fresh with `refreshTrustedPrices()`, simulate and send. Accounts holding a
 * collateral without any price (failing oracle, expired trusted price) are never liquidated, closed or socialized
 * (their shortfall is still recognized, with that collateral at 0, as the pool values it) and are reported once.
 * State is saved after every tick and before every broadcast.
 */
import { MaxUint256, getAddress, parseUnits, type BrowserProvider, type TransactionReceipt, type Wallet } from "ethers";
import { IERC20__factory } from "../../typechain-types";
import { AccountDiscovery, type Position } from "./discovery";
import { Executor, type HeadBlock, type Plan } from "./execution";
import { HealthScanner, type AccountHealth } from "./health";
import type { Logger } from "./logger";
import type { AttemptResult, KeeperMetrics } from "./metrics";
import { PositionReader, accountOf, type AccountSnapshot, type PoolSnapshot } from "./positions";
import { MAX_TRUSTED_PRICE_AGE, healthFactorDown } from "./model/poolMath";
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
import {
  DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS,
  DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS,
  deviationBps,
  refreshReason,
  trustedPriceExpiresAt,
  type RefreshPlan,
  type RefreshReason,
  type TrustedPricePolicy,
} from "./trustedPrices";
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
  /**
   * Call `refreshTrustedPrices()` when a collateral's stored trusted price is at least this old (seconds). Default
   * 21,600 (MAX_TRUSTED_PRICE_AGE / 4).
   */
  trustedPriceRefreshSeconds?: number;
  /**
   * Also call it when a collateral's live price differs from its stored trusted price by more than this (basis points
   * of the stored price). Default 100.
   */
  trustedPriceToleranceBps?: number;
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
  unpriced: "skipped_unpriced",
} as const satisfies Record<Exclude<SkipReason, "healthy">, AttemptResult>;

/** What the operator should do about an account the pool cannot value. */
const UNPRICED_ACTION =
  "wait for the collateral's oracle to answer again (the keeper resumes by itself), or have the pool owner point the " +
  "collateral at a working oracle (setCollateralParams); until then nobody can liquidate, close or socialize these " +
  "accounts, and their shortfall is recognized with that collateral at 0 (exits are priced as if it were lost)";

/** Most accounts listed in one log line. */
const LOGGED_ACCOUNTS = 50;

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
  /**
   * Accounts the pool cannot value (a collateral they hold has a failing oracle and an expired trusted price): left
   * alone, neither acted on nor recognized.
   */
  unpricedAccounts: number;
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
  /** `refreshTrustedPrices()` transactions of this tick (at most one per pool), with the collaterals that needed it. */
  trustedPriceRefreshes: {
    pool: string;
    collaterals: string[];
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
  private readonly trustedPricePolicy: TrustedPricePolicy;
  /** Collaterals (`pool:collateral`) whose oracle was failing at the last scan, and whether the price had expired. */
  private readonly collateralAlerts = new Map<string, "failing" | "expired">();
  /** Per pool, the unpriced accounts already logged: each is logged once, again only after it was priced in between. */
  private readonly unpricedLogged = new Map<string, Set<string>>();
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
    this.trustedPricePolicy = {
      refreshSeconds: BigInt(settings.trustedPriceRefreshSeconds ?? DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS),
      toleranceBps: BigInt(settings.trustedPriceToleranceBps ?? DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS),
    };
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
      timestamp: block.timestamp,
      baseFeePerGas: block.baseFeePerGas ?? 0n,
    };
    const report: TickReport = {
      block: head.number,
      skippedSameBlock: false,
      accountsScanned: 0,
      lensConfirmed: 0,
      liquidatable: 0,
      staleShortfalls: 0,
      unpricedAccounts: 0,
      decisions: [],
      sends: [],
      recognitions: [],
      trustedPriceRefreshes: [],
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
   * is recognized in one batched `recognizeLosses`, whether or not liquidating it pays; then, when a trusted price is
   * due and no transaction of this tick records it, one `refreshTrustedPrices()`. An account holding a collateral
   * with no price at all (failing oracle, trusted price older than MAX_TRUSTED_PRICE_AGE) is never acted on (the pool
   * refuses to liquidate, close or socialize it) but is recognized like any other (the pool values that collateral
   * at 0 there); it is logged once.
   */
  private async scanPool(pool: string, head: HeadBlock, report: TickReport): Promise<void> {
    const { logger, metrics, settings } = this.deps;
    const debtors = this.discovery.accounts(pool);
    metrics.accountsTracked.set({ pool }, debtors.length);
    const drifted = debtors.filter((account) => this.discovery.drifted.has(`${pool}:${account}`));
    if (drifted.length > 0) await this.discovery.refresh(pool, drifted, head.number);

    const snapshot = await this.reader.poolSnapshot(pool, head.number, BigInt(head.timestamp));
    this.watchCollateralPrices(snapshot);
    if (debtors.length === 0) {
      metrics.unhealthyAccounts.set({ pool }, 0);
      metrics.staleShortfallAccounts.set({ pool }, 0);
      metrics.unpricedAccounts.set({ pool }, 0);
      metrics.shortfallAssets.set({ pool, kind: "live" }, 0);
      metrics.shortfallAssets.set({ pool, kind: "recognized" }, 0);
      this.unpricedLogged.delete(pool);
      await this.refreshTrustedPrices(snapshot, head, report, new Set<string>());
      return;
    }

    const threshold = this.recognitionThreshold;
    const evaluated = new Map<
      string,
      { account: AccountSnapshot; healthFactorE18: bigint | undefined; staleShortfall: boolean }
    >();
    const unpriced: AccountSnapshot[] = [];
    let liveShortfall = 0n;
    let recordedShortfall = 0n;
    let stale = 0;
    for (const account of this.discovery.accounts(pool)) {
      const valued = this.mirroredAccount(snapshot, pool, account);
      if (valued.expiredCollaterals.length > 0) unpriced.push(valued);
      const failing = snapshot.collaterals.some(
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
        healthFactorE18: failing
          ? undefined
          : healthFactorDown(valued.liquidity.liquidationLimit, valued.liquidity.debt),
        staleShortfall,
      });
      liveShortfall += valued.shortfall;
      recordedShortfall += valued.recognizedShortfall;
      if (staleShortfall) stale++;
    }
    report.accountsScanned += evaluated.size;
    report.unpricedAccounts += unpriced.length;
    metrics.shortfallAssets.set({ pool, kind: "live" }, Number(liveShortfall));
    metrics.shortfallAssets.set({ pool, kind: "recognized" }, Number(recordedShortfall));
    metrics.staleShortfallAccounts.set({ pool }, stale);
    metrics.unpricedAccounts.set({ pool }, unpriced.length);
    this.reportUnpriced(snapshot, unpriced);

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
      // Unpriced: the pool refuses to liquidate, close or socialize it (`PriceUnavailable`); logged once above.
      if (entry.account.expiredCollaterals.length > 0) continue;
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
    const acted =
      actionable.length > 0
        ? await this.act(snapshot, actionable, head, report)
        : { handled: new Set<string>(), sent: [] as string[] };

    // A liquidation, close or socialization sent this tick refreshes or clears its account's shortfall itself; an
    // account in a recognition still in flight waits for its receipt.
    const inFlight = this.executor.recognitionsInFlight(pool);
    const toRecognize = staleConfirmed.filter(
      ({ view }) => !acted.handled.has(view.account) && !inFlight.has(view.account),
    );
    const recognized = toRecognize.length > 0 ? await this.recognize(snapshot, toRecognize, head, report) : [];

    // Every call sent above, or still in flight, stores the live prices of the collaterals its accounts hold.
    const inFlightAccounts = this.executor
      .pending()
      .filter((entry) => entry.pool === pool)
      .flatMap((entry) => (entry.action === "recognize" ? (entry.accounts ?? []) : [entry.borrower]))
      .filter((account) => account !== "");
    const recorded = new Set<string>();
    for (const account of new Set([...acted.sent, ...recognized, ...inFlightAccounts])) {
      const position = this.discovery.position(pool, account);
      if (position.borrowShares === 0n) continue; // recognizeLosses does not value an account without debt
      for (const [collateral, balance] of position.collateral) if (balance > 0n) recorded.add(collateral);
    }
    await this.refreshTrustedPrices(snapshot, head, report, recorded);
  }

  /**
   * Sends one `refreshTrustedPrices()` for the pool when a listed collateral with a live price has a stored trusted
   * price at least `trustedPriceRefreshSeconds` old or further than `trustedPriceToleranceBps` from the live price,
   * unless every such collateral is already recorded by a call of this keeper sent this tick or in flight
   * (`recorded`), by a pending transaction of anyone (the trusted prices read on the pending block), or a refresh of
   * this keeper is in flight. Earns nothing: the fee is capped by --max-gas-price-gwei only.
   */
  private async refreshTrustedPrices(
    snapshot: PoolSnapshot,
    head: HeadBlock,
    report: TickReport,
    recorded: ReadonlySet<string>,
  ): Promise<void> {
    const { logger, metrics } = this.deps;
    const pool = snapshot.address;
    const due: { collateral: PoolSnapshot["collaterals"][number]; reason: RefreshReason }[] = [];
    for (const collateral of snapshot.collaterals) {
      if (!collateral.priced) continue; // the pool stores live prices only
      const reason = refreshReason(
        collateral.priceE36,
        collateral.trusted,
        snapshot.timestamp,
        this.trustedPricePolicy,
      );
      if (reason !== null) due.push({ collateral, reason });
    }
    if (due.length === 0) return;
    const detailsOf = (entries: typeof due) =>
      entries.map(({ collateral, reason }) => ({
        collateral: collateral.address,
        reason,
        livePriceE36: collateral.priceE36,
        trustedPriceE36: collateral.trusted.priceE36,
        ageSeconds: snapshot.timestamp - collateral.trusted.updatedAt,
        deviationBps: deviationBps(collateral.priceE36, collateral.trusted.priceE36),
      }));
    const uncovered = due.filter(({ collateral }) => !recorded.has(collateral.address));
    if (uncovered.length === 0) {
      logger.debug({ pool, collaterals: detailsOf(due) }, "trusted prices due: recorded by this keeper's other calls");
      return;
    }
    if (this.executor.refreshInFlight(pool)) {
      logger.debug({ pool, collaterals: detailsOf(uncovered) }, "trusted prices due: a refresh is already in flight");
      return;
    }
    // A pending transaction (a competitor's liquidation, say) may record them already.
    const contract = this.reader.pool(pool);
    const pendingTrusted = await Promise.all(
      uncovered.map(({ collateral }) => contract.lastTrustedPrice(collateral.address, { blockTag: "pending" })),
    );
    const stillDue = uncovered.filter(({ collateral }, index) => {
      const [priceE36, updatedAt] = pendingTrusted[index];
      const trusted = { priceE36, updatedAt };
      return refreshReason(collateral.priceE36, trusted, snapshot.timestamp, this.trustedPricePolicy) !== null;
    });
    if (stillDue.length === 0) {
      logger.debug(
        { pool, collaterals: detailsOf(uncovered) },
        "trusted prices due: recorded by a pending transaction",
      );
      return;
    }
    const details = detailsOf(stillDue);
    const plan: RefreshPlan = {
      kind: "refresh",
      pool,
      collaterals: stillDue.map(({ collateral }) => collateral.address),
    };
    const [outcome] = await this.executor.submitAll([plan], {
      head,
      loanDecimals: snapshot.loanDecimals,
      minProfitLoanAssets: 0n,
    });
    metrics.countAttempt(pool, "refresh", outcome.result);
    report.trustedPriceRefreshes.push({
      pool,
      collaterals: plan.collaterals,
      result: outcome.result,
      detail: outcome.detail,
    });
    const sent = outcome.result === "sent" || outcome.result === "dry_run";
    logger[sent ? "info" : "warn"](
      {
        pool,
        collaterals: details,
        refreshSeconds: this.trustedPricePolicy.refreshSeconds,
        toleranceBps: this.trustedPricePolicy.toleranceBps,
        result: outcome.result,
        detail: outcome.detail,
      },
      sent ? "refreshing trusted prices" : "trusted-price refresh not sent",
    );
  }

  /**
   * Per collateral: the age of its trusted price (metric), and a warning when its oracle starts failing (valued at the
   * trusted price until it expires) and when that price expires (no price at all); an info line when it answers again.
   * Each change is logged once.
   */
  private watchCollateralPrices(snapshot: PoolSnapshot): void {
    const { logger, metrics } = this.deps;
    const pool = snapshot.address;
    for (const collateral of snapshot.collaterals) {
      metrics.trustedPriceAge.set(
        { pool, collateral: collateral.address },
        Number(snapshot.timestamp - collateral.trusted.updatedAt),
      );
      const key = `${pool}:${collateral.address}`;
      const condition = collateral.priced ? undefined : collateral.expired ? "expired" : "failing";
      const previous = this.collateralAlerts.get(key);
      if (condition === previous) continue;
      const fields = {
        pool,
        collateral: collateral.address,
        oracle: collateral.oracle,
        trustedPriceE36: collateral.trusted.priceE36,
        trustedAt: collateral.trusted.updatedAt,
        trustedPriceExpiresAt: trustedPriceExpiresAt(collateral.trusted),
        maxTrustedPriceAgeSeconds: MAX_TRUSTED_PRICE_AGE,
      };
      if (condition === undefined) {
        this.collateralAlerts.delete(key);
        logger.info(fields, "collateral's oracle answers again: its holders are valued at the live price");
        continue;
      }
      this.collateralAlerts.set(key, condition);
      if (condition === "failing") {
        logger.warn(
          fields,
          "collateral's oracle fails: the pool values it at its last trusted price until trustedPriceExpiresAt; " +
            "after that its holders can be neither liquidated, closed nor socialized, and their shortfall counts it " +
            "at 0, until the oracle answers or the pool owner replaces it (setCollateralParams)",
        );
      } else {
        logger.warn(
          { ...fields, action: UNPRICED_ACTION },
          "collateral has no price: its oracle fails and its last trusted price is older than MAX_TRUSTED_PRICE_AGE",
        );
      }
    }
  }

  /** Logs each account that became unpriced since the last scan, once (one line per pool per tick). */
  private reportUnpriced(snapshot: PoolSnapshot, unpriced: readonly AccountSnapshot[]): void {
    const pool = snapshot.address;
    const logged = this.unpricedLogged.get(pool) ?? new Set<string>();
    this.unpricedLogged.set(pool, logged);
    const now = new Set(unpriced.map((account) => account.account));
    for (const account of logged) if (!now.has(account)) logged.delete(account);
    const fresh = unpriced.filter((account) => !logged.has(account.account));
    if (fresh.length === 0) return;
    for (const account of fresh) logged.add(account.account);
    this.deps.logger.warn(
      {
        pool,
        accounts: fresh.slice(0, LOGGED_ACCOUNTS).map((account) => ({
          account: account.account,
          debt: account.liquidity.debt,
          recognizedShortfall: account.recognizedShortfall,
          collaterals: account.expiredCollaterals,
        })),
        newlyUnpriced: fresh.length,
        unpriced: unpriced.length,
        action: UNPRICED_ACTION,
      },
      "accounts hold a collateral with no price (a failing oracle and an expired trusted price): not liquidating, " +
        "closing or socializing them; their shortfall is recognized with that collateral at 0",
    );
  }

  /** The model's valuation of an account from its mirrored position. */
  private mirroredAccount(snapshot: PoolSnapshot, pool: string, account: string): AccountSnapshot {
    const position = this.discovery.position(pool, account);
    const balances = snapshot.collaterals.map((collateral) => position.collateral.get(collateral.address) ?? 0n);
    return accountOf(snapshot, account, position.borrowShares, balances, position.recognizedShortfall);
  }

  /**
   * Decides and sends for the accounts of one pool to act on, riskiest first. Returns the accounts a transaction of
   * this tick (or one still in flight) acts on (`handled`), and those this tick sent a transaction for (`sent`).
   */
  private async act(
    snapshot: PoolSnapshot,
    actionable: { view: AccountHealth; account: AccountSnapshot }[],
    head: HeadBlock,
    report: TickReport,
  ): Promise<{ handled: Set<string>; sent: string[] }> {
    const { logger, metrics, settings, provider } = this.deps;
    const pool = snapshot.address;
    const handled = new Set<string>();
    const sent: string[] = [];
    const loanToken = IERC20__factory.connect(snapshot.loanAsset, provider);
    let repayBudget: bigint = await loanToken.balanceOf(this.executor.address, {
      blockTag: head.number,
    });
    const minProfitLoanAssets = parseUnits(settings.minProfit, snapshot.loanDecimals);
    const fees = {
      gasPriceWei: head.baseFeePerGas + settings.priorityFeeWei,
      nativePriceE18: settings.nativePriceE18,
    };
    const plans: { plan: Exclude<Plan, RecognitionPlan | RefreshPlan>; view: AccountHealth }[] = [];
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
    if (plans.length === 0) return { handled, sent };

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
      if (acted) sent.push(plan.borrower);
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
    return { handled, sent };
  }

  /**
   * Sends one `recognizeLosses` for the pool's stale accounts (largest change first; split into batches of
   * `recognitionBatchSize`, all in this block). No profit is needed: the fee is capped by --max-gas-price-gwei only.
   * Returns the accounts of the batches sent.
   */
  private async recognize(
    snapshot: PoolSnapshot,
    stale: { view: AccountHealth; account: AccountSnapshot }[],
    head: HeadBlock,
    report: TickReport,
  ): Promise<string[]> {
    const { logger, metrics } = this.deps;
    const pool = snapshot.address;
    const sentAccounts: string[] = [];
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
      if (sent) sentAccounts.push(...plan.accounts);
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
    return sentAccounts;
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
