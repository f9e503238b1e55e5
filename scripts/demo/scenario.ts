/**
 * The demo's story, as a function the CLI (scripts/demo.ts) and the test (test/demo/) both run: on the in-process
 * Hardhat network, deploy `LocalDevnet` with Ignition, let LPs deposit and borrowers open two-collateral positions,
 * let 30 days of interest accrue, crash every collateral price, and run the real keeper (the modules of
 * `npm run keeper`). Its loan tokens arrive only after its first block after the crash: in that block it cannot close
 * or liquidate, but recognizes every shortfall, so exits are priced net of it. Then one LP (the smallest) runs: it
 * redeems all its shares before the liquidations. Then the keeper is funded and works one block at a time until it has
 * closed or liquidated every unhealthy account and the bad debt is realized. Then measure what every LP lost (the
 * runner included) and check the loss rules.
 *
 * Every block is mined 12 s after the previous one (`SteppedClock`), and the plan comes from `--seed`, so two runs
 * with the same options print the same figures.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import {
  dataSlice,
  formatUnits,
  getAddress,
  JsonRpcSigner,
  keccak256,
  parseUnits,
  toBeHex,
  toUtf8Bytes,
  Wallet,
  type BrowserProvider,
  type Signer,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  type Pool,
  IERC20Metadata__factory,
  IPriceOracle__factory,
  MockERC20__factory,
  PoolLens__factory,
  Pool__factory,
} from "../../typechain-types";
import { assembleKeeper } from "../../keepers/src/assemble";
import type { Deployment } from "../../keepers/src/deployments";
import type { KeeperSettings, TickReport } from "../../keepers/src/keeper";
import type { VerificationResult } from "../../keepers/src/verification";
import { createLogger } from "../../keepers/src/logger";
import { KeeperMetrics } from "../../keepers/src/metrics";
import { PRICE_SCALE, WAD, mulDivDown } from "../../keepers/src/model/poolMath";
import { providerFor, type Eip1193Transport } from "../../keepers/src/rpc";
import { DEVNET_COLLATERALS } from "../../deploy/lib/localDevnet";
import { deployAndRecord } from "../deploy";
import { UsageError } from "../lib/connect";
import { formatAmountFixed, formatAprFromPerSecond, formatPercentE18, formatSharePrice, shortAddress } from "../lib/format";
import { seedLocal, type SeedPlan } from "../seed-local";
import { setMockPrice } from "../set-price";
import { readPoolStatus, type PoolStatus } from "../lib/poolStatus";
import { SteppedClock } from "./clock";

export interface DemoOptions {
  lps: number;
  borrowers: number;
  /** How far every collateral price falls, in percent (e.g. "40"). */
  crashPercent: string;
  seed: number;
}

/** Seed 4 draws two borrowers who end insolvent: the reserve absorbs the first loss, the LPs the rest. */
export const DEFAULT_DEMO_OPTIONS: DemoOptions = { lps: 3, borrowers: 6, crashPercent: "40", seed: 4 };
export const DEMO_LIMITS = { lps: { min: 1, max: 20 }, borrowers: { min: 1, max: 60 } } as const;

/** Seconds of interest before the crash. */
export const ACCRUAL_DAYS = 30;
/** The keeper gets this many ticks (one per new block) after the crash to finish; more is a failed check. */
const KEEPER_TICK_BUDGET = 40;
/** Seconds between blocks (`SteppedClock`). */
const BLOCK_TIME_SECONDS = 12;
/** Loan units per native token the keeper prices gas with (as `npm run keeper:local`). */
const NATIVE_PRICE = "3000";

/** What the demo prints as it goes. */
export type DemoOutput = (line: string) => void;

/** Validates raw CLI values; every error names the option and its range. */
export function parseDemoOptions(raw: {
  lps?: string;
  borrowers?: string;
  crash?: string;
  seed?: string;
}): DemoOptions {
  const integer = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, got "${value}".`);
    }
    return Number(value);
  };
  const crashPercent = raw.crash ?? DEFAULT_DEMO_OPTIONS.crashPercent;
  if (!/^\d+(\.\d+)?$/.test(crashPercent) || Number(crashPercent) <= 0 || Number(crashPercent) >= 100) {
    throw new UsageError(`--crash expects a percentage above 0 and below 100 (e.g. 40), got "${crashPercent}".`);
  }
  return {
    lps: integer("lps", raw.lps, DEFAULT_DEMO_OPTIONS.lps, DEMO_LIMITS.lps.min, DEMO_LIMITS.lps.max),
    borrowers: integer(
      "borrowers",
      raw.borrowers,
      DEFAULT_DEMO_OPTIONS.borrowers,
      DEMO_LIMITS.borrowers.min,
      DEMO_LIMITS.borrowers.max,
    ),
    crashPercent,
    seed: integer("seed", raw.seed, DEFAULT_DEMO_OPTIONS.seed, 0, 2 ** 31 - 1),
  };
}

/**
 * The positions of a run, drawn from `options.seed`: LP deposits of 20k to 300k (all different), and borrowers who each post both
 * collaterals (20% to 80% in the first) worth together 120% of the deposits, aiming at health factors from 1.05 to 1.75
 * (the LTV caps the lowest targets).
 */
export function demoPlan(options: DemoOptions): SeedPlan {
  const [deposits, borrowers] = fc.sample(
    fc.tuple(
      fc.uniqueArray(fc.integer({ min: 20, max: 300 }), { minLength: options.lps, maxLength: options.lps }),
      fc.array(
        fc.record({
          firstCollateralPercent: fc.integer({ min: 20, max: 80 }),
          health: fc.integer({ min: 105, max: 175 }),
        }),
        {
          minLength: options.borrowers,
          maxLength: options.borrowers,
        },
      ),
    ),
    { seed: options.seed, numRuns: 1 },
  )[0];
  const totalDepositsWhole = deposits.reduce((sum, thousands) => sum + BigInt(thousands) * 1_000n, 0n);
  const collateralValueWhole = (totalDepositsWhole * 120n) / 100n / BigInt(options.borrowers);
  const [first, second] = DEVNET_COLLATERALS;
  const amountOf = (collateral: (typeof DEVNET_COLLATERALS)[number], valueWhole: bigint): string => {
    // Whole loan units → collateral units at the deploy price, rounded down to 4 significant decimals of a token.
    const units = (valueWhole * 10n ** BigInt(collateral.decimals)) / BigInt(collateral.initialPrice);
    const step = 10n ** BigInt(Math.max(0, collateral.decimals - 4));
    return formatUnits((units / step) * step, collateral.decimals);
  };
  return {
    lps: deposits.map((thousands, index) => ({ accountIndex: 1 + index, deposit: String(thousands * 1_000) })),
    borrowers: borrowers.map((borrower, index) => ({
      accountIndex: 1 + options.lps + index,
      collateral: {
        [first.symbol]: amountOf(first, (collateralValueWhole * BigInt(borrower.firstCollateralPercent)) / 100n),
        [second.symbol]: amountOf(
          second,
          (collateralValueWhole * BigInt(100 - borrower.firstCollateralPercent)) / 100n,
        ),
      },
      targetHealthFactor: (borrower.health / 100).toFixed(2),
    })),
  };
}

/** The demo's account number `index` (1, 2, …): an address derived from a label, impersonated on the node. */
export function demoAccount(index: number): string {
  return getAddress(dataSlice(keccak256(toUtf8Bytes(`mutual-pools demo account ${index}`)), 12));
}

/** The keeper's key: fixed, so its address (and the nonce order of its transactions) is the same every run. */
const DEMO_KEEPER_KEY = keccak256(toUtf8Bytes("mutual-pools demo keeper"));

export interface LpOutcome {
  account: string;
  deposited: bigint;
  shares: bigint;
  /** Value of the shares (convertToAssets) right before the crash, after 30 days of interest. */
  valueBeforeCrash: bigint;
  valueAfter: bigint;
  /** (before − after) / before, ×1e18 (negative: the LP gained). */
  lossE18: bigint;
  /** Whether this LP ran: redeemed its shares after the recognition, before the liquidations. */
  ran: boolean;
  /** What its redemption paid (0 if it stayed); `valueAfter` is that plus the value of any shares it kept. */
  received: bigint;
}

/** The LP who ran: its redemption after the recognition, and the pool's figures at that block (after it). */
export interface RunOutcome {
  /** Index in `lps`. */
  lpIndex: number;
  account: string;
  block: number;
  shares: bigint;
  /** Shares it could not redeem (the idle cash was short); 0 when it redeemed all. */
  sharesLeft: bigint;
  /** What the redemption paid. */
  assets: bigint;
  sharePrice: bigint;
  entrySharePrice: bigint;
  totalShortfall: bigint;
  entryTotalAssets: bigint;
  reserveAssets: bigint;
  /** The borrow rate the next accrual charges, after the run (its withdrawal raised utilization). */
  borrowRatePerSecondE18: bigint;
}

export interface Realization {
  borrower: string;
  block: number;
  badDebtAssets: bigint;
  coveredByReserve: bigint;
  socializedAssets: bigint;
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  /** The reserve right after the realization (its block's state). */
  reserveAfter: bigint;
  /** The keeper's replay of it in the model: "verified" when it matched to the wei. */
  verification: VerificationResult["status"] | "not_checked" | "not_seen_by_keeper";
  /** How it was realized: by closing the account in one call, by the liquidation that took the last collateral, or
   *  by `socializeBadDebt`. */
  realizedBy: "close" | "liquidate" | "socializeBadDebt";
}

const REALIZED_BY: Record<Realization["realizedBy"], string> = {
  close: "by closeInsolventAccount",
  liquidate: "by the liquidation that took its last collateral",
  socializeBadDebt: "by socializeBadDebt",
};

export interface DemoCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface DemoResult {
  options: DemoOptions;
  deployment: Deployment;
  loanSymbol: string;
  loanDecimals: number;
  lps: LpOutcome[];
  realizations: Realization[];
  totals: { badDebtAssets: bigint; coveredByReserve: bigint; socializedAssets: bigint };
  sharePriceBeforeCrash: bigint;
  sharePriceAfter: bigint;
  reserveBeforeCrash: bigint;
  statusBeforeCrash: PoolStatus;
  /** The pool right after the recognition that followed the crash (before the run). */
  statusAtRecognition: PoolStatus;
  /** Whether the keeper sent every recognition (else the demo sent one as a stand-in). */
  recognizedByKeeper: boolean;
  /** The LP who ran (none with a single LP). */
  run?: RunOutcome;
  /** Blocks from the crash to the keeper's last tick. */
  blocksAfterCrash: number;
  keeper: {
    liquidations: number;
    closes: number;
    socializations: number;
    loanAssetsSpent: bigint;
    collateralValueSeized: bigint;
  };
  checks: DemoCheck[];
  passed: boolean;
}

/** Runs the whole story on `hre`'s in-process network and returns the figures and the checks. */
export async function runDemo(
  hre: HardhatRuntimeEnvironment,
  options: DemoOptions,
  out: DemoOutput,
): Promise<DemoResult> {
  if (hre.network.name !== "hardhat") {
    throw new UsageError(
      `The demo runs on the in-process hardhat network, not "${hre.network.name}": unset HARDHAT_NETWORK.`,
    );
  }
  const rootDir = mkdtempSync(path.join(tmpdir(), "mutual-pools-demo-"));
  try {
    return await runStory(hre, options, out, rootDir);
  } finally {
    rmSync(rootDir, { recursive: true, force: true });
  }
}

async function runStory(
  hre: HardhatRuntimeEnvironment,
  options: DemoOptions,
  out: DemoOutput,
  rootDir: string,
): Promise<DemoResult> {
  const plan = demoPlan(options);

  out(`1. Deploy LocalDevnet with Hardhat Ignition on the in-process network`);
  const deployment = await deployAndRecord(hre, { moduleName: "LocalDevnet", rootDir });
  const nodeTransport = hre.network.provider as unknown as Eip1193Transport;
  const clock = new SteppedClock(nodeTransport, BLOCK_TIME_SECONDS);
  await clock.start();
  const chainId = deployment.chainId;
  const provider = providerFor(clock, chainId);
  const owner = await provider.getSigner(0);
  const poolAddress = deployment.pools[0].address;
  const pool = Pool__factory.connect(poolAddress, owner);
  const lens = PoolLens__factory.connect(deployment.contracts.PoolLens, provider);
  const loanToken = IERC20Metadata__factory.connect(deployment.pools[0].loanAsset, provider);
  const loanDecimals = Number(await loanToken.decimals());
  const loanSymbol = await loanToken.symbol();
  const loan = (amount: bigint): string => `${formatAmountFixed(amount, loanDecimals)} ${loanSymbol}`;
  out(
    `   pool ${deployment.pools[0].name} (${loanSymbol}, ${loanDecimals} decimals) with collaterals ${DEVNET_COLLATERALS.map((c) => `${c.symbol} (${c.decimals} decimals)`).join(" and ")}`,
  );

  out(
    `2. ${options.lps} LPs deposit; ${options.borrowers} borrowers post both collaterals and borrow (seed ${options.seed})`,
  );
  const signers = new Map<number, Signer>([[0, owner]]);
  const signerAt = async (index: number): Promise<Signer> => {
    const known = signers.get(index);
    if (known !== undefined) return known;
    const address = demoAccount(index);
    await clock.request({ method: "hardhat_impersonateAccount", params: [address] });
    await clock.request({ method: "hardhat_setBalance", params: [address, toBeHex(parseUnits("100", 18))] });
    // Not among the node's own accounts: BrowserProvider.getSigner would refuse it, so build the signer directly.
    const signer = new JsonRpcSigner(provider, address);
    signers.set(index, signer);
    return signer;
  };
  const seeded = await seedLocal(deployment, signerAt, plan, { log: (line) => out(`   ${shortenAddresses(line)}`) });

  out(`3. ${ACCRUAL_DAYS} days pass: borrowers pay interest, LPs earn it, the reserve takes its cut`);
  const reserveAtStart = await pool.reserveAssets();
  await clock.advance(ACCRUAL_DAYS * 86_400);
  await (await pool.accrueInterest()).wait();
  const statusAfterAccrual = await readPoolStatus(provider, deployment, poolAddress);
  out(
    `   utilization ${formatPercentE18(statusAfterAccrual.utilizationE18)}, borrow APR ${formatAprFromPerSecond(statusAfterAccrual.borrowRatePerSecondE18)}; ` +
      `reserve ${loan(reserveAtStart)} → ${loan(statusAfterAccrual.reserveAssets)}; share price ${formatSharePrice(statusAfterAccrual.sharePrice, loanDecimals)}`,
  );

  out(
    `4. The keeper starts (the modules of npm run keeper, in-process) and indexes the pool; the ${loanSymbol} it repays ` +
      `debt with arrives only after the crash`,
  );
  const keeperWallet = new Wallet(DEMO_KEEPER_KEY);
  await clock.request({ method: "hardhat_setBalance", params: [keeperWallet.address, toBeHex(parseUnits("100", 18))] });
  const keeperFunds = seeded.lps.reduce((sum, lp) => sum + lp.deposited, 0n);
  const keeperLog: { level: number; msg: string }[] = [];
  const stateDir = path.join(rootDir, "keeper-state");
  const { keeper } = await assembleKeeper({
    inner: clock,
    wallet: keeperWallet,
    settings: demoKeeperSettings(deployment, stateDir),
    logger: createLogger({
      level: "info",
      pretty: false,
      destination: { write: (line: string) => void keeperLog.push(JSON.parse(line) as { level: number; msg: string }) },
    }),
    metrics: new KeeperMetrics(),
  });
  const firstTick = await keeper.tick();
  out(
    `   block ${firstTick.block}: tracking ${firstTick.accountsScanned} borrowers, ${firstTick.liquidatable} liquidatable`,
  );

  // Everything "before the crash" is read in one block: the one the crash follows.
  const statusBeforeCrash = await readPoolStatus(provider, deployment, poolAddress);
  const timestampBeforeCrash = await blockTimestamp(provider);
  const lpsBefore = await Promise.all(
    seeded.lps.map(async (lp, index) => {
      const shares = await pool.balanceOf(lp.account);
      return { ...lp, accountIndex: plan.lps[index].accountIndex, shares, valueBeforeCrash: await pool.convertToAssets(shares) };
    }),
  );
  const collateralBalancesBefore = await collateralBalances(deployment, provider, keeperWallet.address);

  out(`5. Every collateral price falls ${options.crashPercent}%`);
  let bands: PoolStatus["bands"] | undefined;
  for (const collateral of DEVNET_COLLATERALS) {
    const change = await setMockPrice(deployment, owner, provider, collateral.symbol, {
      changePercent: `-${options.crashPercent}`,
    });
    bands = change.bands;
    out(
      `   ${collateral.symbol}: ${formatAmountFixed(change.oldWholePriceE18, 18)} → ${formatAmountFixed(change.newWholePriceE18, 18)} ${loanSymbol}`,
    );
  }
  const crashBlock = await provider.getBlockNumber();
  const borrowerAccounts = seeded.borrowers.map((borrower) => borrower.account);
  const liveShortfallAtCrash = sum((await lens.accounts(poolAddress, borrowerAccounts)).map((view) => view.shortfall));
  if (bands !== undefined) {
    out(
      `   borrowers now: ${bands.insolvent} insolvent (debt above collateral value), ${bands.liquidatable} more liquidatable; ` +
        `shortfall ${loan(liveShortfallAtCrash)}`,
    );
  }

  const verification = new Map<string, Realization["verification"]>();
  const recognitionVerifications: string[] = [];
  /** How each realizing transaction realized, by hash: read once, for the progress line and the result. */
  const realizedByHash = new Map<string, Realization["realizedBy"]>();
  let ticks = 0;
  let liquidations = 0;
  let closes = 0;
  let socializations = 0;
  const tick = async (): Promise<TickReport> => {
    const report = await keeper.tick();
    ticks++;
    for (const realization of report.realizations)
      verification.set(realization.borrower.toLowerCase(), realization.status);
    for (const check of report.recognitionChecks) recognitionVerifications.push(check.status);
    const sent = (action: string): number =>
      report.sends.filter((send) => send.action === action && send.result === "sent").length;
    liquidations += sent("liquidate");
    closes += sent("close");
    socializations += sent("socialize");
    out(`   ${describeTick(report, loanSymbol)}`);
    return report;
  };

  out(
    `6. The keeper's first block after the crash: no ${loanSymbol} to close or liquidate with yet, but it recognizes ` +
      `every shortfall`,
  );
  const recognitionTick = await tick();
  // The node mines each sent transaction at once; with nothing sent, one empty block passes.
  if ((await provider.getBlockNumber()) === recognitionTick.block) await clock.mine();
  let recognitionEvents = await pool.queryFilter(pool.filters.ShortfallUpdated(), crashBlock + 1);
  let recognizedByKeeper = true;
  if (liveShortfallAtCrash > 0n && recognitionEvents.length === 0) {
    // Only if the keeper did not do it: the same call, sent by the demo, so the rest of the story can be told.
    recognizedByKeeper = false;
    out(`   the keeper sent no recognizeLosses: the demo sends it itself (a stand-in, flagged in the checks)`);
    await (await pool.recognizeLosses(borrowerAccounts)).wait();
    recognitionEvents = await pool.queryFilter(pool.filters.ShortfallUpdated(), crashBlock + 1);
  }
  for (const event of recognitionEvents) {
    const sender = (await provider.getTransaction(event.transactionHash))?.from ?? "";
    if (sender.toLowerCase() !== keeperWallet.address.toLowerCase()) recognizedByKeeper = false;
  }
  const recognitionBlock = await provider.getBlockNumber();
  const statusAtRecognition = await readPoolStatus(provider, deployment, poolAddress);
  const viewsAtRecognition = await lens.accounts(poolAddress, borrowerAccounts);
  if (recognitionEvents.length > 0) {
    const raised = recognitionEvents.map(
      (event) => `${shortAddress(event.args.account)} ${loan(event.args.shortfallAfter)}`,
    );
    out(`   block ${recognitionEvents[0].blockNumber}: recognizeLosses recorded ${raised.join(", ")}`);
  } else {
    out(`   no account's collateral falls short of its debt: nothing to recognize`);
  }
  out(
    `   recognized shortfall ${loan(statusAtRecognition.totalShortfall)}: the reserve covers ` +
      `${loan(statusAtRecognition.reserveCoveringShortfall)}, exits are priced net of ${loan(statusAtRecognition.shortfallDeductedFromExits)}`,
  );
  out(
    `   exit price ${formatSharePrice(statusBeforeCrash.sharePrice, loanDecimals)} → ${formatSharePrice(statusAtRecognition.sharePrice, loanDecimals)} ${loanSymbol} per share; ` +
      `entry price ${formatSharePrice(statusAtRecognition.entrySharePrice, loanDecimals)} (a deposit buys no share cheap)`,
  );

  // One LP tries to run before the liquidations: the one with the smallest deposit (the idle cash can pay it).
  let run: RunOutcome | undefined;
  if (lpsBefore.length > 1) {
    const runnerIndex = lpsBefore.reduce((best, lp, index) => (lp.deposited < lpsBefore[best].deposited ? index : best), 0);
    const runner = lpsBefore[runnerIndex];
    out(`7. LP ${runnerIndex + 1} tries to run before the liquidations: it redeems all the shares it can`);
    const runnerSigner = await signerAt(runner.accountIndex);
    const shares = await pool.maxRedeem(runner.account);
    if (shares === 0n) throw new Error(`LP ${runnerIndex + 1} can redeem nothing: the pool has no idle cash`);
    const preview = await pool.previewRedeem(shares);
    const receipt = await (
      await pool.connect(runnerSigner).redeemWithMinAssets(shares, runner.account, runner.account, preview)
    ).wait();
    const withdrawal = receipt?.logs
      .map((log) => pool.interface.parseLog(log))
      .find((parsed) => parsed?.name === "Withdraw");
    if (receipt === null || receipt === undefined || withdrawal === undefined || withdrawal === null) {
      throw new Error("the runner's redemption emitted no Withdraw event");
    }
    const assets = withdrawal.args.assets as bigint;
    run = {
      lpIndex: runnerIndex,
      account: runner.account,
      block: receipt.blockNumber,
      shares,
      sharesLeft: runner.shares - shares,
      assets,
      sharePrice: await pool.sharePrice({ blockTag: receipt.blockNumber }),
      entrySharePrice: await pool.entrySharePrice({ blockTag: receipt.blockNumber }),
      totalShortfall: await pool.totalRecognizedShortfall({ blockTag: receipt.blockNumber }),
      entryTotalAssets: await pool.entryTotalAssets({ blockTag: receipt.blockNumber }),
      reserveAssets: await pool.reserveAssets({ blockTag: receipt.blockNumber }),
      borrowRatePerSecondE18: await pool.borrowRatePerSecond({ blockTag: receipt.blockNumber }),
    };
    const shareDecimals = Number(await pool.decimals());
    const formatShares = (value: bigint): string => formatAmountFixed(value, shareDecimals);
    const which =
      shares === runner.shares
        ? `all its ${formatShares(shares)} shares`
        : `${formatShares(shares)} of its ${formatShares(runner.shares)} shares (the idle cash allowed no more)`;
    const redeemedValueBefore = mulDivDown(runner.valueBeforeCrash, shares, runner.shares);
    out(
      `   block ${receipt.blockNumber}: LP ${runnerIndex + 1} (${shortAddress(runner.account)}) redeemed ${which} for ${loan(assets)} ` +
        `at the exit price ${formatSharePrice(run.sharePrice, loanDecimals)}: ` +
        `${formatLossPercent(((redeemedValueBefore - assets) * WAD) / redeemedValueBefore)} less than before the crash`,
    );
  }

  await (
    await MockERC20__factory.connect(await loanToken.getAddress(), owner).mint(keeperWallet.address, keeperFunds)
  ).wait();
  const loanBalanceBefore = await loanToken.balanceOf(keeperWallet.address);
  out(
    `${run === undefined ? 7 : 8}. The keeper receives ${loan(keeperFunds)} and works block by block ` +
      `(each of its transactions mined in a block of its own)`,
  );
  let finished = false;
  let lastEventBlock = await provider.getBlockNumber();
  while (ticks < KEEPER_TICK_BUDGET && !finished) {
    const report = await tick();
    finished = report.liquidatable === 0 && keeper.executor.pending().length === 0;
    if (finished) break;
    // The node mines each sent transaction at once; with nothing sent, one empty block passes.
    if ((await provider.getBlockNumber()) === report.block) await clock.mine();
    const head = await provider.getBlockNumber();
    for (const event of await pool.queryFilter(pool.filters.BadDebtRealized(), lastEventBlock + 1, head)) {
      realizedByHash.set(event.transactionHash, await realizedBy(pool, event.transactionHash));
      out(
        `     block ${event.blockNumber}: bad debt of ${shortAddress(event.args.borrower)} realized ${REALIZED_BY[realizedByHash.get(event.transactionHash) ?? "socializeBadDebt"]}: ` +
          `${loan(event.args.badDebtAssets)} (reserve ${loan(event.args.coveredByReserve)}, LPs ${loan(event.args.socializedAssets)}); ` +
          `exit price ${formatSharePrice(event.args.sharePriceBefore, loanDecimals)} → ${formatSharePrice(event.args.sharePriceAfter, loanDecimals)}`,
      );
    }
    lastEventBlock = head;
  }

  // Measure.
  const blocksAfterCrash = (await provider.getBlockNumber()) - crashBlock;
  const lps: LpOutcome[] = [];
  for (const [index, lp] of lpsBefore.entries()) {
    const ran = run?.lpIndex === index;
    const received = ran ? (run?.assets ?? 0n) : 0n;
    const valueAfter = received + (await pool.convertToAssets(await pool.balanceOf(lp.account)));
    lps.push({
      account: lp.account,
      deposited: lp.deposited,
      shares: lp.shares,
      valueBeforeCrash: lp.valueBeforeCrash,
      valueAfter,
      lossE18: ((lp.valueBeforeCrash - valueAfter) * WAD) / lp.valueBeforeCrash,
      ran,
      received,
    });
  }
  const realizations: Realization[] = [];
  for (const event of await pool.queryFilter(pool.filters.BadDebtRealized(), deployment.deployBlock)) {
    realizations.push({
      borrower: event.args.borrower,
      block: event.blockNumber,
      badDebtAssets: event.args.badDebtAssets,
      coveredByReserve: event.args.coveredByReserve,
      socializedAssets: event.args.socializedAssets,
      sharePriceBefore: event.args.sharePriceBefore,
      sharePriceAfter: event.args.sharePriceAfter,
      reserveAfter: await pool.reserveAssets({ blockTag: event.blockNumber }),
      verification: verification.get(event.args.borrower.toLowerCase()) ?? "not_seen_by_keeper",
      realizedBy: realizedByHash.get(event.transactionHash) ?? (await realizedBy(pool, event.transactionHash)),
    });
  }
  const totals = {
    badDebtAssets: sum(realizations.map((r) => r.badDebtAssets)),
    coveredByReserve: sum(realizations.map((r) => r.coveredByReserve)),
    socializedAssets: sum(realizations.map((r) => r.socializedAssets)),
  };
  const borrowerViews = await lens.accounts(poolAddress, borrowerAccounts);
  const collateralBalancesAfter = await collateralBalances(deployment, provider, keeperWallet.address);
  let collateralValueSeized = 0n;
  for (const [index, collateral] of collateralBalancesAfter.entries()) {
    const priceE36 = await IPriceOracle__factory.connect(collateral.oracle, provider).price();
    collateralValueSeized += mulDivDown(
      collateral.balance - collateralBalancesBefore[index].balance,
      priceE36,
      PRICE_SCALE,
    );
  }

  const totalAssetsAfter = await pool.totalAssets();
  // The pool's interest (LPs' part and reserve's part) from the run to the end: LP assets and the reserve moved by it
  // and by the bad debt realized meanwhile, and by nothing else (no deposit, withdrawal or donation after the run).
  let interestSinceRun = 0n;
  if (run !== undefined) {
    const runBlock = run.block;
    const badDebtSinceRun = sum(realizations.filter((r) => r.block > runBlock).map((r) => r.badDebtAssets));
    interestSinceRun =
      (await pool.entryTotalAssets()) -
      run.entryTotalAssets +
      ((await pool.reserveAssets()) - run.reserveAssets) +
      badDebtSinceRun;
  }
  const checks = demoChecks({
    finished,
    blocksAfterCrash,
    totalAssetsDrop: statusBeforeCrash.totalAssets - (totalAssetsAfter + (run?.assets ?? 0n)),
    secondsSinceBeforeCrash: (await blockTimestamp(provider)) - timestampBeforeCrash,
    borrowsBeforeCrash: statusBeforeCrash.totalBorrowAssets,
    maxBorrowRatePerSecondE18:
      run !== undefined && run.borrowRatePerSecondE18 > statusBeforeCrash.borrowRatePerSecondE18
        ? run.borrowRatePerSecondE18
        : statusBeforeCrash.borrowRatePerSecondE18,
    loanDecimals,
    lps,
    realizations,
    borrowerViews,
    keeperErrors: keeperLog.filter((line) => line.level >= 50).map((line) => line.msg),
    recognition: {
      liveShortfallAtCrash,
      block: recognitionBlock,
      byKeeper: recognizedByKeeper,
      views: viewsAtRecognition,
      verifications: recognitionVerifications,
      beforeFirstAction: realizations.every((r) => r.block > recognitionBlock),
    },
    interestSinceRun,
  });
  return {
    options,
    deployment,
    loanSymbol,
    loanDecimals,
    lps,
    realizations,
    totals,
    sharePriceBeforeCrash: statusBeforeCrash.sharePrice,
    sharePriceAfter: await pool.sharePrice(),
    reserveBeforeCrash: statusBeforeCrash.reserveAssets,
    statusBeforeCrash,
    statusAtRecognition,
    recognizedByKeeper,
    run,
    blocksAfterCrash,
    keeper: {
      liquidations,
      closes,
      socializations,
      loanAssetsSpent: loanBalanceBefore - (await loanToken.balanceOf(keeperWallet.address)),
      collateralValueSeized,
    },
    checks,
    passed: checks.every((check) => check.passed),
  };
}

/** The head block's timestamp, in seconds. */
async function blockTimestamp(provider: BrowserProvider): Promise<number> {
  const head = await provider.getBlock("latest");
  if (head === null) throw new Error("the node returned no latest block");
  return head.timestamp;
}

/** Whether the transaction `hash` realized bad debt in a close (it also emitted InsolventAccountClosed), a liquidation
 *  (Liquidate) or by socializeBadDebt. */
async function realizedBy(pool: Pool, hash: string): Promise<Realization["realizedBy"]> {
  const receipt = await pool.runner?.provider?.getTransactionReceipt(hash);
  if (receipt === null || receipt === undefined) throw new Error(`no receipt for ${hash}`);
  const emitted = (name: "InsolventAccountClosed" | "Liquidate"): boolean =>
    receipt.logs.some((log) => log.topics[0] === pool.interface.getEvent(name).topicHash);
  if (emitted("InsolventAccountClosed")) return "close";
  return emitted("Liquidate") ? "liquidate" : "socializeBadDebt";
}

/** The keeper's settings for the demo: every block final at once (one in-process node), the CLI's defaults otherwise. */
function demoKeeperSettings(deployment: Deployment, stateDir: string): KeeperSettings {
  return {
    pools: deployment.pools.map((pool) => pool.address),
    lens: deployment.contracts.PoolLens,
    startBlock: deployment.deployBlock,
    confirmations: 0,
    pollIntervalMs: 1_000,
    minProfit: "0",
    nativePriceE18: parseUnits(NATIVE_PRICE, 18),
    maxGasPriceWei: parseUnits("100", "gwei"),
    priorityFeeWei: parseUnits("1", "gwei"),
    maxFeeBumps: 3,
    feeBumpPercent: 15,
    bumpAfterBlocks: 2,
    receiptTimeoutBlocks: 25,
    dryRun: false,
    approve: true,
    stateDir,
    logRangeBlocks: 2_000,
    lensBatchSize: 500,
    watchHealthFactorE18: parseUnits("1.05", 18),
    fullScanEveryBlocks: 100,
  };
}

/** `account`'s balance of each of the pool's collaterals, with the collateral's oracle. */
async function collateralBalances(
  deployment: Deployment,
  provider: BrowserProvider,
  account: string,
): Promise<{ collateral: string; oracle: string; balance: bigint }[]> {
  const pool = Pool__factory.connect(deployment.pools[0].address, provider);
  const balances = [];
  for (const collateral of await pool.collaterals()) {
    const { oracle } = await pool.collateralParams(collateral);
    balances.push({
      collateral,
      oracle,
      balance: await IERC20Metadata__factory.connect(collateral, provider).balanceOf(account),
    });
  }
  return balances;
}

/** One progress line per keeper tick. */
function describeTick(report: TickReport, loanSymbol: string): string {
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;
  const count = (action: string, result: string): number =>
    report.sends.filter((send) => send.action === action && send.result === result).length;
  const parts = [`block ${report.block}: ${report.liquidatable} to close or liquidate`];
  const sent = [
    [count("close", "sent"), "close"],
    [count("liquidate", "sent"), "liquidation"],
    [count("socialize", "sent"), "socialization"],
  ] as const;
  const sentParts = sent.filter(([n]) => n > 0).map(([n, what]) => plural(n, what));
  if (sentParts.length > 0) parts.push(`sent ${sentParts.join(" and ")}`);
  const unfunded = report.sends.filter((send) => send.result === "skipped_balance").length;
  if (unfunded > 0) parts.push(`${unfunded} not sent (no ${loanSymbol} to repay with)`);
  const skipped = report.sends.filter((send) => send.result !== "sent" && send.result !== "skipped_balance");
  if (skipped.length > 0) parts.push(`${skipped.length} not sent (${[...new Set(skipped.map((send) => send.result))].join(", ")})`);
  for (const recognition of report.recognitions) {
    parts.push(
      recognition.result === "sent"
        ? `sent recognizeLosses for ${plural(recognition.accounts.length, "account")}`
        : `recognizeLosses not sent (${recognition.result})`,
    );
  }
  for (const refresh of report.trustedPriceRefreshes) {
    parts.push(
      refresh.result === "sent"
        ? `sent refreshTrustedPrices for ${plural(refresh.collaterals.length, "collateral")}`
        : `refreshTrustedPrices not sent (${refresh.result})`,
    );
  }
  const verified = report.realizations.filter((realization) => realization.status === "verified").length;
  if (report.realizations.length > 0)
    parts.push(`${verified} of ${plural(report.realizations.length, "realization")} matched the model to the wei`);
  const recognitionsVerified = report.recognitionChecks.filter((check) => check.status === "verified").length;
  if (report.recognitionChecks.length > 0)
    parts.push(`${recognitionsVerified} of ${plural(report.recognitionChecks.length, "recognition")} matched the model to the wei`);
  if (
    report.liquidatable === 0 &&
    report.sends.length === 0 &&
    report.recognitions.length === 0 &&
    report.trustedPriceRefreshes.length === 0 &&
    report.realizations.length === 0 &&
    report.recognitionChecks.length === 0
  )
    parts.push("nothing left to do");
  return parts.join("; ");
}

const sum = (values: bigint[]): bigint => values.reduce((total, value) => total + value, 0n);

/** `line` with every address shortened to `0x1234…abcd`. */
function shortenAddresses(line: string): string {
  return line.replace(/0x[0-9a-fA-F]{40}/g, (address) => shortAddress(address));
}

interface CheckInputs {
  finished: boolean;
  /** Blocks from the crash to the keeper's last tick. */
  blocksAfterCrash: number;
  /** `totalAssets()` right before the crash minus after the keeper's last tick. */
  totalAssetsDrop: bigint;
  /** Seconds from the block the "before the crash" figures were read at to the keeper's last tick. */
  secondsSinceBeforeCrash: number;
  /** Total borrows right before the crash. */
  borrowsBeforeCrash: bigint;
  /**
   * The highest borrow rate of the story after the crash: before the crash or right after the run (the runner's
   * withdrawal raises utilization; interest and liquidations only lower it afterwards).
   */
  maxBorrowRatePerSecondE18: bigint;
  loanDecimals: number;
  lps: LpOutcome[];
  realizations: Realization[];
  borrowerViews: readonly { account: string; debt: bigint; collateralValue: bigint; liquidatable: boolean }[];
  keeperErrors: string[];
  /** The recognition that followed the crash. */
  recognition: {
    /** Σ of the borrowers' live shortfalls right after the crash: what there was to recognize. */
    liveShortfallAtCrash: bigint;
    /** The block the borrowers were read at, right after the recognition. */
    block: number;
    /** Whether the keeper sent every recognition. */
    byKeeper: boolean;
    /** Every borrower at `block`: its live and its recognized shortfall. */
    views: readonly { account: string; shortfall: bigint; recognizedShortfall: bigint }[];
    /** The keeper's model replay of each of its recognitions. */
    verifications: readonly string[];
    /** No bad debt was realized before the recognition. */
    beforeFirstAction: boolean;
  };
  /**
   * The pool's interest (LPs' and reserve's parts) from the run to the end: what may move the runner's loss from the
   * others' (it earned none of it; the shortfall it paid for grew by some of it before being realized).
   */
  interestSinceRun: bigint;
}

/**
 * The loss rules the demo checks.
 * - The keeper recognized every shortfall the crash opened (each account's recognized shortfall equals its live one
 *   in the block after), before any of it was realized, and its model replay matched every recognition.
 * - LP values are floored to a unit (`convertToAssets`), so two LPs' loss fractions may differ by up to about
 *   1 unit / value for each: the tolerance is 3 units over the smallest value before.
 * - The LP who ran was paid at the exit price, net of the shortfall the reserve did not cover. Its loss fraction
 *   differs from the stayers' by (I − (S − D)) / V: I the LPs' interest after it left (it earned none), S − D what was
 *   socialized beyond the deduction it paid (the shortfall's growth by interest, less the reserve's), V the stayers'
 *   value before the crash. Both terms are at most the pool's interest since the run, so the tolerance is the
 *   rounding one plus 2 × that interest (+ a few units) over V. Had it escaped the loss, the gap would be the whole
 *   loss fraction.
 * - The LPs (the only shareholders, besides the pool's 10**6 virtual shares) lose together what `totalAssets()` lost
 *   (what the runner took out counted in), to a unit per LP; that is the socialized amount less the interest the
 *   borrows paid since the "before" figures. That interest must be at most what the borrows before the crash pay in
 *   that time at the highest borrow rate of the story (the LPs get it less the reserve's cut, which covers compounding).
 */
export function demoChecks(inputs: CheckInputs): DemoCheck[] {
  const { lps, realizations } = inputs;
  const checks: DemoCheck[] = [];
  const insolventLeft = inputs.borrowerViews.filter((view) => view.debt > view.collateralValue);
  const liquidatableLeft = inputs.borrowerViews.filter((view) => view.liquidatable);
  checks.push({
    name: "the keeper cleared every liquidatable account",
    passed: inputs.finished && liquidatableLeft.length === 0,
    detail: inputs.finished
      ? `done ${inputs.blocksAfterCrash} block${inputs.blocksAfterCrash === 1 ? "" : "s"} after the crash; ${liquidatableLeft.length} liquidatable left`
      : `still busy after ${KEEPER_TICK_BUDGET} ticks`,
  });
  checks.push({
    name: "no debt is left that collateral does not back",
    passed: insolventLeft.length === 0,
    detail:
      insolventLeft.length === 0
        ? "every remaining debt is below its collateral's value"
        : `${insolventLeft.length} accounts owe more than their collateral`,
  });
  const { recognition } = inputs;
  const unrecognized = recognition.views.filter((view) => view.recognizedShortfall !== view.shortfall);
  const recognizedTotal = sum(recognition.views.map((view) => view.recognizedShortfall));
  const unverifiedRecognitions = recognition.verifications.filter((status) => status !== "verified");
  const nothingToRecognize = recognition.liveShortfallAtCrash === 0n;
  checks.push({
    name: "the keeper recognized every shortfall before the liquidations",
    passed:
      recognition.byKeeper &&
      recognition.beforeFirstAction &&
      unrecognized.length === 0 &&
      unverifiedRecognitions.length === 0 &&
      (nothingToRecognize || recognition.verifications.length > 0),
    detail: !recognition.byKeeper
      ? "the keeper sent no recognizeLosses: the demo sent it"
      : unrecognized.length > 0
        ? `${unrecognized.length} accounts' recognized shortfall differs from the live one at block ${recognition.block}`
        : nothingToRecognize
          ? "the crash left no shortfall to recognize"
          : `${formatAmountFixed(recognizedTotal, inputs.loanDecimals)} recognized at block ${recognition.block}, every account to the wei; ` +
            `${recognition.verifications.length - unverifiedRecognitions.length} of ${recognition.verifications.length} ` +
            `recognitions matched the model${recognition.beforeFirstAction ? "" : "; but bad debt was realized before it"}`,
  });
  const unbalanced = realizations.filter((r) => r.coveredByReserve + r.socializedAssets !== r.badDebtAssets);
  checks.push({
    name: "each realization: bad debt = covered by reserve + socialized",
    passed: unbalanced.length === 0,
    detail: `${realizations.length - unbalanced.length} of ${realizations.length} balance exactly`,
  });
  const reserveLeftWhileSocializing = realizations.filter((r) => r.socializedAssets > 0n && r.reserveAfter !== 0n);
  checks.push({
    name: "the reserve pays first: LPs are written down only once it is empty",
    passed: reserveLeftWhileSocializing.length === 0,
    detail: `${realizations.filter((r) => r.socializedAssets > 0n).length} of ${realizations.length} realizations reached the LPs, each with the reserve at 0 after it`,
  });
  const unverified = realizations.filter((r) => r.verification !== "verified");
  checks.push({
    name: "the keeper's exact model replay matched every realization",
    passed: unverified.length === 0,
    detail:
      unverified.length === 0
        ? `${realizations.length} verified`
        : unverified.map((r) => `${shortAddress(r.borrower)}: ${r.verification}`).join(", "),
  });
  const stayers = lps.filter((lp) => !lp.ran);
  const losses = stayers.map((lp) => lp.lossE18);
  const spread = losses.length === 0 ? 0n : bigMax(losses) - bigMin(losses);
  const smallestValue = bigMin(lps.map((lp) => lp.valueBeforeCrash));
  const tolerance = (3n * WAD) / smallestValue + 2n;
  checks.push({
    name: "every LP who stayed lost the same fraction",
    passed: spread <= tolerance,
    detail: `losses ${[...new Set(losses.map((loss) => formatLossPercent(loss)))].join(", ")}; spread ${spread} × 1e-18 (rounding allows ${tolerance})`,
  });
  const runner = lps.find((lp) => lp.ran);
  if (runner === undefined || stayers.length === 0) {
    checks.push({
      name: "the LP who ran bore the same fraction as those who stayed",
      passed: lps.length === 1,
      detail: lps.length === 1 ? "a single LP: nobody to run from" : "no LP ran",
    });
  } else {
    const stayersValue = sum(stayers.map((lp) => lp.valueBeforeCrash));
    const gaps = stayers.map((lp) => (runner.lossE18 > lp.lossE18 ? runner.lossE18 - lp.lossE18 : lp.lossE18 - runner.lossE18));
    const gap = bigMax(gaps);
    const runnerTolerance =
      tolerance + ((2n * inputs.interestSinceRun + 4n + 2n * BigInt(realizations.length)) * WAD) / stayersValue + 1n;
    checks.push({
      name: "the LP who ran bore the same fraction as those who stayed",
      passed: gap <= runnerTolerance,
      detail:
        `it lost ${formatLossPercent(runner.lossE18)}, the others ${[...new Set(losses.map((loss) => formatLossPercent(loss)))].join(", ")}; ` +
        `gap ${gap} × 1e-18 (rounding and the ${formatAmountFixed(inputs.interestSinceRun, inputs.loanDecimals, inputs.loanDecimals)} ` +
        `of interest since it left allow ${runnerTolerance})`,
    });
  }
  const lpLoss = sum(lps.map((lp) => lp.valueBeforeCrash - lp.valueAfter));
  const socialized = sum(realizations.map((r) => r.socializedAssets));
  const interestMeanwhile = socialized - inputs.totalAssetsDrop;
  const interestCap =
    (inputs.borrowsBeforeCrash * inputs.maxBorrowRatePerSecondE18 * BigInt(inputs.secondsSinceBeforeCrash)) / WAD + 1n;
  const lpLossGap = lpLoss - inputs.totalAssetsDrop;
  const exact = (amount: bigint): string => formatAmountFixed(amount, inputs.loanDecimals, inputs.loanDecimals);
  checks.push({
    name: "LPs together lost the socialized amount, less the interest earned during the liquidations",
    passed:
      lpLossGap <= BigInt(lps.length) + 1n &&
      -lpLossGap <= BigInt(lps.length) + 1n &&
      interestMeanwhile >= 0n &&
      interestMeanwhile <= interestCap,
    detail:
      `LPs lost ${exact(lpLoss)}, socialized ${exact(socialized)}, ` +
      `interest meanwhile ${exact(interestMeanwhile)} (at most ${exact(interestCap)}); ` +
      `LPs' loss − drop in total assets: ${lpLossGap} unit${lpLossGap === 1n || lpLossGap === -1n ? "" : "s"}`,
  });
  checks.push({
    name: "the keeper logged no error",
    passed: inputs.keeperErrors.length === 0,
    detail: inputs.keeperErrors.length === 0 ? "none" : inputs.keeperErrors.join("; "),
  });
  return checks;
}

/** A 1e18-scaled loss as a percentage with four decimals (negative: a gain). */
export function formatLossPercent(lossE18: bigint): string {
  return `${formatAmountFixed(lossE18 * 100n, 18, 4)}%`;
}

const bigMax = (values: bigint[]): bigint => values.reduce((a, b) => (a > b ? a : b));
const bigMin = (values: bigint[]): bigint => values.reduce((a, b) => (a < b ? a : b));
