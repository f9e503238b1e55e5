/**
 * The keeper loop. One `tick` per new block: check journaled transactions (and verify realizations), index new
 * position events, value every debtor with the model and confirm the risky ones through the lens, decide per
 * liquidatable account, simulate and send. State is saved after every tick and before every broadcast.
 */
import { MaxUint256, parseUnits, type BrowserProvider, type Wallet } from "ethers";
import { IERC20__factory } from "../../typechain-types";
import { AccountDiscovery, type Position } from "./discovery";
import { Executor, type HeadBlock } from "./execution";
import { HealthScanner, type AccountHealth } from "./health";
import type { Logger } from "./logger";
import type { AttemptResult, KeeperMetrics } from "./metrics";
import { PositionReader, liquidityOf, type AccountSnapshot, type PoolSnapshot } from "./positions";
import { healthFactorDown } from "./model/poolMath";
import type { RetryingTransport } from "./rpc";
import { StateStore, emptyState, type KeeperState } from "./state";
import { decide, type Decision, type LiquidationPlan, type SkipReason, type SocializePlan } from "./strategy";
import { RealizationVerifier, type VerificationResult } from "./verification";

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

/** The metric result of each reason a liquidatable account is not liquidated. */
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
  liquidatable: number;
  decisions: Decision[];
  sends: {
    pool: string;
    borrower: string;
    action: string;
    result: string;
    detail?: string;
  }[];
  /** Bad debt realizations of this tick's included transactions, as the verifier judged them. */
  realizations: {
    pool: string;
    borrower: string;
    status: VerificationResult["status"] | "not_checked";
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
  private readonly verifier: RealizationVerifier;
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
    this.verifier = new RealizationVerifier(provider, this.reader);
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
      decisions: [],
      sends: [],
      realizations: [],
      rpcCalls: 0,
      durationMs: 0,
    };
    const lastKept = this.state.recentBlocks.at(-1);
    if (lastKept !== undefined && lastKept.number === head.number && lastKept.hash === head.hash) {
      report.skippedSameBlock = true;
      report.rpcCalls = this.deps.transport.calls - callsBefore;
      return report;
    }

    for (const completed of await this.executor.poll(head)) {
      if (completed.receipt.status === 1 && completed.entry.expectsBadDebtRealization) {
        const status = await this.verify(completed.entry, completed.receipt);
        report.realizations.push({ pool: completed.entry.pool, borrower: completed.entry.borrower, status });
      }
    }

    const sync = await this.discovery.sync(head);
    report.rewoundTo = sync.rewoundTo;

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
        rpcCalls: report.rpcCalls,
      },
      "block processed",
    );
    return report;
  }

  /**
   * One pool at `head`: the model computes every debtor's health from the indexed positions and the pool's prices
   * and totals; the lens confirms, in batches, every account below the watch health factor (all of them every
   * `fullScanEveryBlocks` blocks, to catch a drifted mirror); liquidatable ones are acted on, riskiest first.
   */
  private async scanPool(pool: string, head: HeadBlock, report: TickReport): Promise<void> {
    const { logger, metrics, settings } = this.deps;
    const debtors = this.discovery.accounts(pool);
    metrics.accountsTracked.set({ pool }, debtors.length);
    if (debtors.length === 0) {
      metrics.unhealthyAccounts.set({ pool }, 0);
      return;
    }
    const drifted = debtors.filter((account) => this.discovery.drifted.has(`${pool}:${account}`));
    if (drifted.length > 0) await this.discovery.refresh(pool, drifted, head.number);

    const snapshot = await this.reader.poolSnapshot(pool, head.number);
    const evaluated = new Map<string, { account: AccountSnapshot; healthFactorE18: bigint | undefined }>();
    for (const account of this.discovery.accounts(pool)) {
      const position = this.discovery.position(pool, account);
      const balances = snapshot.collaterals.map((collateral) => position.collateral.get(collateral.address) ?? 0n);
      const unpriced = snapshot.collaterals.some((collateral, index) => !collateral.priced && balances[index] > 0n);
      const liquidity = liquidityOf(snapshot, position.borrowShares, balances);
      evaluated.set(account, {
        account: {
          account,
          borrowShares: position.borrowShares,
          collateralBalances: balances,
          liquidity,
        },
        healthFactorE18: unpriced ? undefined : healthFactorDown(liquidity.liquidationLimit, liquidity.debt),
      });
    }
    report.accountsScanned += evaluated.size;

    const fullScan = head.number % settings.fullScanEveryBlocks === 0;
    const toConfirm = [...evaluated.entries()]
      .filter(
        ([, entry]) =>
          fullScan || entry.healthFactorE18 === undefined || entry.healthFactorE18 < settings.watchHealthFactorE18,
      )
      .sort(([, a], [, b]) => compareHealth(a.healthFactorE18, b.healthFactorE18))
      .map(([account]) => account);
    report.lensConfirmed += toConfirm.length;
    const views = toConfirm.length === 0 ? [] : await this.scanner.scan(pool, toConfirm, head.number);

    const liquidatable: { view: AccountHealth; account: AccountSnapshot }[] = [];
    const diverged: string[] = [];
    for (const view of views) {
      const entry = evaluated.get(view.account);
      if (!view.priced) {
        logger.warn({ pool, account: view.account }, "account cannot be priced: an oracle reverts");
        continue;
      }
      if (entry === undefined || !this.modelMatchesLens(snapshot, entry.account, view)) {
        diverged.push(view.account);
        continue;
      }
      if (view.debt > 0n && view.liquidatable) liquidatable.push({ view, account: entry.account });
    }
    if (diverged.length > 0) {
      metrics.modelDivergence.inc({ pool }, diverged.length);
      await this.discovery.refresh(pool, diverged, head.number);
    }
    metrics.unhealthyAccounts.set({ pool }, liquidatable.length);
    report.liquidatable += liquidatable.length;
    if (liquidatable.length > 0) await this.act(snapshot, liquidatable, head, report);
  }

  /** Decides and sends for the liquidatable accounts of one pool, riskiest first. */
  private async act(
    snapshot: PoolSnapshot,
    liquidatable: { view: AccountHealth; account: AccountSnapshot }[],
    head: HeadBlock,
    report: TickReport,
  ): Promise<void> {
    const { logger, metrics, settings, provider } = this.deps;
    const pool = snapshot.address;
    const loanToken = IERC20__factory.connect(snapshot.loanAsset, provider);
    let repayBudget: bigint = await loanToken.balanceOf(this.executor.address, {
      blockTag: head.number,
    });
    const minProfitLoanAssets = parseUnits(settings.minProfit, snapshot.loanDecimals);
    const fees = {
      gasPriceWei: head.baseFeePerGas + settings.priorityFeeWei,
      nativePriceE18: settings.nativePriceE18,
    };
    const plans: {
      plan: LiquidationPlan | SocializePlan;
      view: AccountHealth;
    }[] = [];
    for (const { account, view } of liquidatable) {
      const decision = decide(snapshot, account, {
        repayBudget,
        minProfitLoanAssets,
        fees,
      });
      report.decisions.push(decision);
      if (decision.kind !== "skip") {
        plans.push({ plan: decision, view });
        // The pool may take a little more than quoted (interest until inclusion): keep 0.1% aside per liquidation.
        if (decision.kind === "liquidate") {
          const reserved = decision.quote.repaidAssets + decision.quote.repaidAssets / 1_000n;
          repayBudget = reserved < repayBudget ? repayBudget - reserved : 0n;
        }
        continue;
      }
      if (decision.reason === "healthy") continue;
      const result = SKIP_RESULTS[decision.reason];
      metrics.liquidations.inc({ pool, action: "liquidate", result });
      logger.info(
        {
          pool,
          borrower: account.account,
          reason: decision.reason,
          detail: decision.detail,
        },
        "liquidation skipped",
      );
      report.sends.push({
        pool,
        borrower: account.account,
        action: "liquidate",
        result,
        detail: decision.detail,
      });
    }
    if (plans.length === 0) return;

    const outcomes = await this.executor.submitAll(
      plans.map(({ plan }) => plan),
      { head, loanDecimals: snapshot.loanDecimals, minProfitLoanAssets },
    );
    for (const [index, { plan, view }] of plans.entries()) {
      const outcome = outcomes[index];
      metrics.liquidations.inc({
        pool,
        action: plan.kind,
        result: outcome.result,
      });
      report.sends.push({
        pool,
        borrower: plan.borrower,
        action: plan.kind,
        result: outcome.result,
        detail: outcome.detail,
      });
      const logFields = {
        pool,
        borrower: plan.borrower,
        action: plan.kind,
        result: outcome.result,
        detail: outcome.detail,
        healthFactorE18: view.healthFactorE18,
        expectedProfit: plan.kind === "liquidate" ? plan.expectedProfitLoanAssets : undefined,
        expectedBadDebt: plan.kind === "liquidate" ? plan.quote.badDebtAssets : plan.expectedBadDebtAssets,
      };
      const acted = outcome.result === "sent" || outcome.result === "dry_run";
      logger.info(logFields, acted ? "acting on account" : "account not acted on");
    }
  }

  /** The model must reproduce the lens's figures exactly; if not, the keeper does not act on that account. */
  private modelMatchesLens(pool: PoolSnapshot, account: AccountSnapshot, view: AccountHealth): boolean {
    const { liquidity } = account;
    if (
      liquidity.debt === view.debt &&
      liquidity.collateralValue === view.collateralValue &&
      liquidity.liquidationLimit === view.liquidationLimit
    ) {
      return true;
    }
    this.deps.logger.error(
      {
        pool: pool.address,
        account: account.account,
        model: liquidity,
        lens: view,
      },
      "the model's account figures differ from the lens: not acting; update keepers/src/model/poolMath.ts",
    );
    return false;
  }

  /** Replays a realization in the model and logs the verdict; "not_checked" when the replay could not run. */
  private async verify(
    ...[entry, receipt]: Parameters<RealizationVerifier["verify"]>
  ): Promise<VerificationResult["status"] | "not_checked"> {
    const { logger, metrics } = this.deps;
    let result: Awaited<ReturnType<RealizationVerifier["verify"]>>;
    try {
      result = await this.verifier.verify(entry, receipt);
    } catch (error) {
      metrics.verificationFailures.inc({ pool: entry.pool });
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
          "bad debt realized and verified: reserve + socialized = residual debt, share price fell by socialized / total assets",
        );
        break;
      case "mismatch":
        metrics.badDebtRealizedAssets.inc({ pool: entry.pool }, Number(result.event.badDebtAssets));
        metrics.verificationFailures.inc({ pool: entry.pool });
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
          "the signer holds none of the pool's loan asset: it can socialize dust accounts but not liquidate; fund it",
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
