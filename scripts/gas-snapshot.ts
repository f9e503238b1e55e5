/**
 * Gas snapshot: runs named scenarios on the in-process Hardhat network and records the receipt `gasUsed` of each
 * measured transaction (intrinsic 21,000 included).
 *
 *   npm run gas:snapshot   writes gas-snapshot.json and prints each figure against Morpho Blue's and the 1.25× target
 *   npm run gas:check      re-measures and exits non-zero on ANY difference from gas-snapshot.json
 *
 * Env: GAS_CHECK=true selects check mode; GAS_SNAPSHOT_OUT=<path> is the snapshot file written (or, with
 * GAS_CHECK, compared against) instead of <root>/gas-snapshot.json — e.g. to measure another compiler config
 * without touching the committed snapshot.
 *
 * Measurement rules (the way the Morpho Blue figures were taken, so the ratios compare like with like):
 * - Loan and collateral are the OpenZeppelin-style MockERC20 (18 decimals); one collateral, listed and enabled,
 *   priced by MockPriceOracle; the KinkedRateModel with realistic parameters so accrual does real work.
 * - Every account a measured call touches — caller, receiver, borrower and the pool itself — already holds a
 *   nonzero balance of both tokens (a transfer to a zero balance costs ~17,100 more). The pool gets 1 wei of
 *   each token by direct transfer, which its accounting ignores. Allowances are max approvals, set beforehand.
 * - Every transaction, setup included, is its own block (automine) at a fixed timestamp set with
 *   `time.setNextBlockTimestamp`, from fixed signers, so accrual spans and storage states repeat exactly and the
 *   figures are identical run after run.
 * - Each scenario asserts it exercised the path it is named after (first deposit into an empty pool, interest
 *   accrued, close-factor cap without bad debt, bad debt realized in the liquidation, ...).
 */
import { poolCreationCode } from "../deploy/lib/poolCreationCode";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Table from "cli-table3";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { BaseContract, ContractTransactionReceipt, ContractTransactionResponse, Log } from "ethers";
import type { MockERC20, Pool } from "../typechain-types";
import { priceE36 } from "../test/helpers/fixtures";
import { permitDomain, signPermit } from "./lib/permit";

type Snapshot = Record<string, number>;

/** Morpho Blue's receipt gasUsed for the comparable operation, on this toolchain. */
const MORPHO_SUPPLY = 95_247;
const MORPHO_SUPPLY_COLLATERAL = 91_119;
const MORPHO_BORROW = 97_947;
const MORPHO_REPAY = 80_910;
const MORPHO_WITHDRAW = 76_368;
const MORPHO_LIQUIDATE = 107_397;
const MORPHO_LIQUIDATE_BAD_DEBT = 96_104;

const MORPHO: Partial<Snapshot> = {
  deposit_first: MORPHO_SUPPLY,
  deposit_second_lp: MORPHO_SUPPLY,
  supplyCollateral: MORPHO_SUPPLY_COLLATERAL,
  borrow_first: MORPHO_BORROW,
  borrow_after_1d_accrual: MORPHO_BORROW,
  repay_partial: MORPHO_REPAY,
  withdraw_partial: MORPHO_WITHDRAW,
  liquidate_partial: MORPHO_LIQUIDATE,
  liquidate_bad_debt: MORPHO_LIQUIDATE_BAD_DEBT,
  socializeBadDebt: MORPHO_LIQUIDATE_BAD_DEBT,
};

/**
 * Every scenario, in the order the story runs them. Those without a MORPHO figure (deposit_with_permit: Morpho Blue
 * takes no permit on supply) are measured and snapshotted, not compared.
 */
const SCENARIOS = [
  "deposit_first",
  "deposit_second_lp",
  "deposit_with_permit",
  "supplyCollateral",
  "borrow_first",
  "borrow_after_1d_accrual",
  "repay_partial",
  "withdraw_partial",
  "liquidate_partial",
  "liquidate_bad_debt",
  "socializeBadDebt",
  "recognizeLosses_one_account",
  "closeInsolventAccount",
];

/** Most a scenario may cost relative to Morpho Blue's figure. */
const TARGET_RATIO = 1.25;
/** EIP-170 runtime bytecode limit. */
const MAX_RUNTIME_SIZE = 24_576;

/** First block timestamp (2033-05-18): fixed, and later than any wall-clock start of the in-process chain. */
const START_TIMESTAMP = 2_000_000_000;
/** Seconds between consecutive blocks unless a scenario asks for another span. */
const BLOCK_GAP = 12;
const HOUR = 3_600;
const DAY = 86_400;
const YEAR = 365n * 86_400n;

const e18 = (whole: bigint): bigint => whole * 10n ** 18n;
/** Per-second rate, scaled by 1e18, for a yearly rate given in basis points. */
const aprBps = (bps: bigint): bigint => (bps * 10n ** 14n) / YEAR;

// Realistic kinked curve: 2% APR at 0% utilization, 10% at the 80% kink, 40% at 100%.
const RATE_BASE = aprBps(200n);
const RATE_SLOPE_BELOW_KINK = aprBps(1_000n); // +8% APR across 0–80% utilization
const RATE_SLOPE_ABOVE_KINK = aprBps(15_000n); // +30% APR across 80–100% utilization
const RATE_KINK = e18(8n) / 10n;

const RESERVE_FACTOR_BPS = 1_000;
const CLOSE_FACTOR_BPS = 5_000;
const FULL_LIQUIDATION_HEALTH_FACTOR = e18(95n) / 100n;
/** Dust threshold set before `socializeBadDebt`: 10 loan assets. */
const DUST_THRESHOLD = e18(10n);

let clock = START_TIMESTAMP;

async function nextBlockAt(timestamp: number): Promise<void> {
  if (timestamp <= clock) throw new Error(`timestamp ${timestamp} is not after the last block (${clock})`);
  clock = timestamp;
  await time.setNextBlockTimestamp(clock);
}

/** Sends one transaction in its own block `gapSeconds` after the previous one and checks it succeeded there. */
async function send(
  tx: () => Promise<ContractTransactionResponse>,
  gapSeconds: number = BLOCK_GAP,
): Promise<ContractTransactionReceipt> {
  await nextBlockAt(clock + gapSeconds);
  const receipt = await (await tx()).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null || block.timestamp !== clock) {
    throw new Error(`transaction mined at ${block?.timestamp ?? "?"}, expected ${clock}`);
  }
  return receipt;
}

/** Deploys one contract in its own block at the next fixed timestamp. */
async function deployed<T extends BaseContract>(deploy: () => Promise<T>): Promise<T> {
  await nextBlockAt(clock + BLOCK_GAP);
  const contract = await deploy();
  await contract.waitForDeployment();
  return contract;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`scenario setup is wrong: ${message}`);
}

async function measureScenarios(): Promise<Snapshot> {
  if (hre.network.name !== "hardhat") throw new Error("run the gas snapshot on the in-process hardhat network");
  const results: Snapshot = {};
  const [owner, lp1, lp2, borrower1, borrower2, borrower3, borrower4, borrower5, liquidator, borrower6] =
    await ethers.getSigners();

  // ------------------------------------------------------------------ setup: tokens, oracle, rate model, pool
  const loanToken = await deployed(() => ethers.deployContract("MockERC20", ["Loan Dollar", "LUSD", 18]));
  const collateralToken = await deployed(() => ethers.deployContract("MockERC20", ["Collateral", "COL", 18]));
  const oracle = await deployed(() => ethers.deployContract("MockPriceOracle"));
  const rateModel = await deployed(() =>
    ethers.deployContract("KinkedRateModel", [RATE_BASE, RATE_SLOPE_BELOW_KINK, RATE_SLOPE_ABOVE_KINK, RATE_KINK]),
  );
  const factory = await deployed(() => ethers.deployContract("PoolFactory", [poolCreationCode()]));
  await send(() => oracle.setPrice(priceE36(2_000, 18, 18)));

  const config = {
    loanAsset: await loanToken.getAddress(),
    name: "Mutual Pool LUSD",
    symbol: "mpLUSD",
    owner: owner.address,
    guardian: owner.address,
    rateModel: await rateModel.getAddress(),
    reserveFactorBps: RESERVE_FACTOR_BPS,
    liquidationParams: {
      closeFactorBps: CLOSE_FACTOR_BPS,
      fullLiquidationHealthFactor: FULL_LIQUIDATION_HEALTH_FACTOR,
      dustThresholdAssets: 0n,
    },
  };
  const salt = ethers.ZeroHash;
  const poolAddress = await factory.computePoolAddress(config, salt);
  await send(() => factory.createPool(config, salt));
  const pool: Pool = await ethers.getContractAt("Pool", poolAddress);
  const collateral = await collateralToken.getAddress();
  await send(() =>
    pool.connect(owner).listCollateral(collateral, {
      oracle: oracle.getAddress(),
      ltvBps: 7_500,
      liquidationThresholdBps: 8_000,
      liquidationBonusBps: 500,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    }),
  );

  const tokens: MockERC20[] = [loanToken, collateralToken];
  const actors = [owner, lp1, lp2, borrower1, borrower2, borrower3, borrower4, borrower5, borrower6, liquidator];
  for (const actor of actors) {
    for (const token of tokens) {
      await send(() => token.mint(actor.address, e18(1_000_000n)));
      await send(() => token.connect(actor).approve(poolAddress, ethers.MaxUint256));
    }
  }
  // The pool holds tokens too (ignored by its accounting), as Morpho Blue's singleton does.
  for (const token of tokens) await send(() => token.connect(owner).transfer(poolAddress, 1n));

  /** Measures one scenario after checking every account it touches holds both tokens. */
  async function measure(
    name: string,
    accounts: string[],
    tx: () => Promise<ContractTransactionResponse>,
    gapSeconds: number = BLOCK_GAP,
  ): Promise<Log[]> {
    check(SCENARIOS.includes(name), `unknown scenario ${name}`);
    for (const account of [...accounts, poolAddress]) {
      for (const token of tokens) {
        check((await token.balanceOf(account)) > 0n, `${name}: ${account} holds no ${await token.symbol()}`);
      }
    }
    const receipt = await send(tx, gapSeconds);
    results[name] = Number(receipt.gasUsed);
    return [...receipt.logs];
  }

  /** Names of the pool events in `logs`. */
  const eventsOf = (logs: Log[]): string[] =>
    logs
      .filter((log) => log.address === poolAddress)
      .map((log) => pool.interface.parseLog(log)?.name ?? "?");
  const poolEvent = (logs: Log[], name: string) => {
    for (const log of logs) {
      if (log.address !== poolAddress) continue;
      const parsed = pool.interface.parseLog(log);
      if (parsed?.name === name) return parsed;
    }
    throw new Error(`scenario setup is wrong: no ${name} event`);
  };
  const accrued = (name: string, logs: Log[]) =>
    check(eventsOf(logs).includes("InterestAccrued"), `${name} did not accrue interest`);

  // ------------------------------------------------------------------ LP side and borrows
  check((await pool.totalSupply()) === 0n, "pool not empty before deposit_first");
  await measure("deposit_first", [lp1.address], () => pool.connect(lp1).deposit(e18(100_000n), lp1.address));

  // Another borrower already holds this collateral; borrower1 supplies it for the first time.
  await send(() => pool.connect(borrower2).supplyCollateral(collateral, e18(100n), borrower2.address));
  check((await pool.collateralOf(borrower1.address, collateral)) === 0n, "borrower1 already has collateral");
  await measure("supplyCollateral", [borrower1.address], () =>
    pool.connect(borrower1).supplyCollateral(collateral, e18(100n), borrower1.address),
  );

  check((await pool.totalBorrowShares()) === 0n, "a borrow precedes borrow_first");
  await measure("borrow_first", [borrower1.address], () =>
    pool.connect(borrower1).borrow(e18(30_000n), borrower1.address),
  );

  const logsSecondLp = await measure(
    "deposit_second_lp",
    [lp2.address],
    () => pool.connect(lp2).deposit(e18(50_000n), lp2.address),
    HOUR,
  );
  accrued("deposit_second_lp", logsSecondLp);

  // The owner deposits with a signed permit instead of a standing approval: the permit sets the allowance from 0
  // and the deposit spends it back to 0, as for a wallet that never approved the pool.
  await send(() => loanToken.connect(owner).approve(poolAddress, 0n));
  const permitDeadline = BigInt(clock + DAY);
  const permitAssets = e18(25_000n);
  const permit = await signPermit(owner, permitDomain(await loanToken.eip712Domain()), {
    owner: owner.address,
    spender: poolAddress,
    value: permitAssets,
    nonce: await loanToken.nonces(owner.address),
    deadline: permitDeadline,
  });
  const logsPermit = await measure("deposit_with_permit", [owner.address], () =>
    pool.connect(owner).depositWithPermit(permitAssets, owner.address, 0n, permitDeadline, permit.v, permit.r, permit.s),
  );
  check(eventsOf(logsPermit).includes("Deposit"), "deposit_with_permit deposited nothing");
  check((await loanToken.allowance(owner.address, poolAddress)) === 0n, "deposit_with_permit left an allowance");
  await send(() => loanToken.connect(owner).approve(poolAddress, ethers.MaxUint256));

  // Collateral of the accounts liquidated later (supplying collateral does not accrue interest).
  await send(() => pool.connect(borrower3).supplyCollateral(collateral, e18(10n), borrower3.address));
  await send(() => pool.connect(borrower4).supplyCollateral(collateral, e18(10n), borrower4.address));
  await send(() => pool.connect(borrower5).supplyCollateral(collateral, e18(1n), borrower5.address));

  // The second borrower borrows exactly one day after the last accrual.
  const lastAccrual = Number(await pool.lastAccrualTimestamp());
  check(lastAccrual + DAY > clock, "setup took longer than a day");
  const logsBorrow1d = await measure(
    "borrow_after_1d_accrual",
    [borrower2.address],
    () => pool.connect(borrower2).borrow(e18(20_000n), borrower2.address),
    lastAccrual + DAY - clock,
  );
  accrued("borrow_after_1d_accrual", logsBorrow1d);
  check((await pool.lastAccrualTimestamp()) === BigInt(lastAccrual + DAY), "borrow_after_1d_accrual span");

  // Positions liquidated later, each within its borrow limit at the price of 2,000 (LTV 75%).
  await send(() => pool.connect(borrower3).borrow(e18(14_000n), borrower3.address));
  await send(() => pool.connect(borrower4).borrow(e18(14_900n), borrower4.address));
  await send(() => pool.connect(borrower5).borrow(e18(1_450n), borrower5.address));

  const logsRepay = await measure(
    "repay_partial",
    [borrower1.address],
    () => pool.connect(borrower1).repay(e18(10_000n), borrower1.address),
    HOUR,
  );
  accrued("repay_partial", logsRepay);
  check((await pool.borrowSharesOf(borrower1.address)) > 0n, "repay_partial repaid everything");

  const logsWithdraw = await measure(
    "withdraw_partial",
    [lp1.address],
    () => pool.connect(lp1).withdraw(e18(10_000n), lp1.address, lp1.address),
    HOUR,
  );
  accrued("withdraw_partial", logsWithdraw);
  check((await pool.balanceOf(lp1.address)) > 0n, "withdraw_partial withdrew everything");

  // ------------------------------------------------------------------ liquidations
  // At 1,700: borrower3 (10 COL, ~14,000 debt) has health ~0.97, between the full-liquidation health factor
  // (0.95) and 1, so the close factor caps the repayment at 50% and collateral remains: no bad debt.
  await send(() => oracle.setPrice(priceE36(1_700, 18, 18)));
  const debt3 = await pool.debtOf(borrower3.address);
  const logsLiquidate = await measure(
    "liquidate_partial",
    [liquidator.address, borrower3.address],
    () => pool.connect(liquidator).liquidate(borrower3.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
    HOUR,
  );
  accrued("liquidate_partial", logsLiquidate);
  {
    const { repaidAssets, badDebtAssets } = poolEvent(logsLiquidate, "Liquidate").args;
    check(badDebtAssets === 0n, "liquidate_partial realized bad debt");
    // Half the debt (plus an hour of interest), not all of it.
    check(repaidAssets * 100n < debt3 * 51n, "liquidate_partial was not capped by the close factor");
    check((await pool.collateralOf(borrower3.address, collateral)) > 0n, "liquidate_partial seized everything");
  }

  // At 1,300: borrower4 (10 COL = 13,000, ~14,900 debt) has health ~0.70 < 0.95, so it may be repaid in full,
  // but its collateral covers only 13,000 / 1.05 of the debt: all of it is seized and the ~2,500 left is
  // realized in the same call — the reserve covers what it holds, the rest is socialized.
  await send(() => oracle.setPrice(priceE36(1_300, 18, 18)));
  const logsBadDebt = await measure(
    "liquidate_bad_debt",
    [liquidator.address, borrower4.address],
    () => pool.connect(liquidator).liquidate(borrower4.address, collateral, ethers.MaxUint256, 0n, liquidator.address),
    HOUR,
  );
  accrued("liquidate_bad_debt", logsBadDebt);
  {
    const { coveredByReserve, socializedAssets } = poolEvent(logsBadDebt, "BadDebtRealized").args;
    check(coveredByReserve > 0n && socializedAssets > 0n, "liquidate_bad_debt did not use reserve and LPs");
    check((await pool.collateralOf(borrower4.address, collateral)) === 0n, "liquidate_bad_debt left collateral");
    check((await pool.borrowSharesOf(borrower4.address)) === 0n, "liquidate_bad_debt left debt");
  }

  // borrower5 (1 COL = 1,300, ~1,450 debt, health ~0.72): a liquidation repaying 1,236 seizes
  // 1,236 × 1.05 / 1,300 ≈ 0.9983 COL and leaves ~0.0017 COL (~2.2 loan assets) with ~214 of debt; with a
  // dust threshold of 0 nothing is realized. Raising the threshold to 10 makes that position socializable.
  await send(() =>
    pool.connect(liquidator).liquidate(borrower5.address, collateral, e18(1_236n), 0n, liquidator.address),
  );
  check((await pool.collateralOf(borrower5.address, collateral)) > 0n, "borrower5 kept no dust collateral");
  check((await pool.borrowSharesOf(borrower5.address)) > 0n, "borrower5 kept no debt");
  await send(() =>
    pool.connect(owner).setLiquidationParams({
      closeFactorBps: CLOSE_FACTOR_BPS,
      fullLiquidationHealthFactor: FULL_LIQUIDATION_HEALTH_FACTOR,
      dustThresholdAssets: DUST_THRESHOLD,
    }),
  );
  const logsSocialize = await measure(
    "socializeBadDebt",
    [liquidator.address, borrower5.address],
    () => pool.connect(liquidator).socializeBadDebt(borrower5.address),
    HOUR,
  );
  accrued("socializeBadDebt", logsSocialize);
  check(eventsOf(logsSocialize).includes("BadDebtRealized"), "socializeBadDebt realized nothing");
  check(eventsOf(logsSocialize).includes("DustCollateralSwept"), "socializeBadDebt swept no dust");

  // ------------------------------------------------------------------ loss recognition and the one-call close
  // borrower6 borrows 14,000 against 10 COL at 2,000; at 1,300 its collateral recovers 13,000 / 1.05 ≈ 12,381:
  // the keeper recognizes the ~1,600 shortfall, then the account is closed in one call and the residual realized.
  await send(() => oracle.setPrice(priceE36(2_000, 18, 18)));
  await send(() => pool.connect(borrower6).supplyCollateral(collateral, e18(10n), borrower6.address));
  await send(() => pool.connect(borrower6).borrow(e18(14_000n), borrower6.address));
  await send(() => oracle.setPrice(priceE36(1_300, 18, 18)));
  const logsRecognize = await measure(
    "recognizeLosses_one_account",
    [liquidator.address, borrower6.address],
    () => pool.connect(liquidator).recognizeLosses([borrower6.address]),
    HOUR,
  );
  check(eventsOf(logsRecognize).includes("ShortfallUpdated"), "recognizeLosses recognized nothing");
  const logsClose = await measure(
    "closeInsolventAccount",
    [liquidator.address, borrower6.address],
    () => pool.connect(liquidator).closeInsolventAccount(borrower6.address, 0n, liquidator.address),
    HOUR,
  );
  check(eventsOf(logsClose).includes("BadDebtRealized"), "closeInsolventAccount realized nothing");
  check((await pool.borrowSharesOf(borrower6.address)) === 0n, "closeInsolventAccount left debt");

  for (const name of SCENARIOS) check(results[name] !== undefined, `scenario ${name} not measured`);
  return results;
}

// ------------------------------------------------------------------ output

function sorted(snapshot: Snapshot): Snapshot {
  return Object.fromEntries(Object.entries(snapshot).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const fmt = (gas: number | undefined): string => (gas === undefined ? "—" : gas.toLocaleString("en-US"));
const signed = (diff: number): string => (diff > 0 ? `+${fmt(diff)}` : fmt(diff));

function newTable(head: string[]): Table.Table {
  return new Table({
    head,
    colAligns: ["left", ...head.slice(1).map(() => "right" as const)],
    style: { head: [], border: [] },
  });
}

async function runtimeSize(contractName: string): Promise<number> {
  const artifact = await hre.artifacts.readArtifact(contractName);
  return (artifact.deployedBytecode.length - 2) / 2;
}

async function printSettings(): Promise<void> {
  const settings = hre.config.solidity.compilers[0]?.settings as
    | { viaIR?: boolean; optimizer?: { enabled?: boolean; runs?: number } }
    | undefined;
  const sizes = newTable(["contract", "runtime bytes", `EIP-170 limit ${fmt(MAX_RUNTIME_SIZE)}`]);
  for (const name of ["Pool", "PoolFactory"]) {
    const size = await runtimeSize(name);
    sizes.push([name, fmt(size), size <= MAX_RUNTIME_SIZE ? `ok (${fmt(MAX_RUNTIME_SIZE - size)} left)` : "OVER"]);
  }
  console.log(
    `compiler: viaIR ${settings?.viaIR === true}, optimizer ${settings?.optimizer?.enabled === true} ` +
      `(runs ${settings?.optimizer?.runs ?? "?"})`,
  );
  console.log(sizes.toString());
}

async function main(): Promise<void> {
  const file = path.resolve(process.env.GAS_SNAPSHOT_OUT ?? path.join(hre.config.paths.root, "gas-snapshot.json"));
  await printSettings();
  const measured = sorted(await measureScenarios());

  if (process.env.GAS_CHECK === "true") {
    if (!existsSync(file)) throw new Error(`${file} does not exist: run npm run gas:snapshot first`);
    const snapshot = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
    const table = newTable(["scenario", "snapshot", "measured", "diff"]);
    let differences = 0;
    for (const name of Object.keys(sorted({ ...snapshot, ...measured }))) {
      const [before, now] = [snapshot[name], measured[name]];
      const same = before === now;
      if (!same) differences += 1;
      const diff =
        before === undefined ? "new" : now === undefined ? "not measured" : signed(now - before);
      table.push([name, fmt(before), fmt(now), same ? "0" : diff]);
    }
    console.log(table.toString());
    if (differences > 0) {
      console.error(`gas check FAILED: ${differences} scenario(s) differ from ${file}; run npm run gas:snapshot`);
      process.exitCode = 1;
    } else {
      console.log(`gas check passed: ${Object.keys(measured).length} scenarios match ${file}`);
    }
    return;
  }

  writeFileSync(file, `${JSON.stringify(measured, null, 2)}\n`);
  const table = newTable(["scenario", "gasUsed", "Morpho Blue", "ratio", `target ${TARGET_RATIO}×`, ""]);
  let over = 0;
  // Scenario order (the order they run in the story), not the file's alphabetical order.
  for (const name of SCENARIOS) {
    const [gas, morpho] = [measured[name] ?? 0, MORPHO[name]];
    if (morpho === undefined) {
      table.push([name, fmt(gas), "—", "—", "—", "no Morpho equivalent"]);
      continue;
    }
    const target = Math.floor(morpho * TARGET_RATIO);
    if (gas > target) over += 1;
    table.push([
      name,
      fmt(gas),
      fmt(morpho),
      `${(gas / morpho).toFixed(3)}×`,
      fmt(target),
      gas <= target ? "ok" : `OVER by ${fmt(gas - target)}`,
    ]);
  }
  console.log(table.toString());
  console.log(`wrote ${file}; ${over} of ${Object.keys(measured).length} scenarios above ${TARGET_RATIO}× Morpho Blue`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
