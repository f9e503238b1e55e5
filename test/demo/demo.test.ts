/**
 * `npm run demo`'s scenario, imported and run on the test's in-process network. The demo's own checks must pass,
 * and this test re-derives the main ones from the chain in its own way: the recognition's exit price from the pool's
 * totals, the runner's payout from the exit-price formula, the LPs' losses compared by cross multiplication, the
 * BadDebtRealized events summed from logs, the reserve read at each realization's block, every borrower's debt
 * against its collateral value through the lens. Two runs from the same chain state must print the same report.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import hre, { ethers, network } from "hardhat";
import { UsageError } from "../../scripts/lib/connect";
import { buildProgram, renderDemoResult } from "../../scripts/demo";
import {
  DEFAULT_DEMO_OPTIONS,
  DEMO_LIMITS,
  demoChecks,
  demoPlan,
  formatLossPercent,
  parseDemoOptions,
  runDemo,
  type DemoOptions,
  type DemoResult,
  type LpOutcome,
  type Realization,
} from "../../scripts/demo/scenario";
import { DEVNET_COLLATERALS } from "../../deploy/lib/localDevnet";
import * as pm from "../../keepers/src/model/poolMath";

/** Runs the demo from the current chain state and puts the chain back afterwards, so the next run starts alike. */
async function runIsolated(options: DemoOptions): Promise<{ result: DemoResult; progress: string[]; report: string }> {
  const snapshot = await network.provider.send("evm_snapshot", []);
  const progress: string[] = [];
  try {
    const result = await runDemo(hre, options, (line) => progress.push(line));
    return { result, progress, report: renderDemoResult(result) };
  } finally {
    await network.provider.send("evm_revert", [snapshot]);
  }
}

/**
 * Re-derives, from the chain at the run's last block, what the demo's checks state (the run itself is reverted
 * later). It reads other figures than the demo does: every realization's share price from the pool's totals at
 * its block through poolMath, the reserve a block before each one, every LP's expected loss from its shares and the
 * drop in total assets, and every account that ever borrowed.
 */
async function assertLossRulesOnChain(result: DemoResult): Promise<void> {
  const pool = await ethers.getContractAt("Pool", result.deployment.pools[0].address);
  const lens = await ethers.getContractAt("PoolLens", result.deployment.contracts.PoolLens);
  const shareDecimals = await pool.decimals();

  // The recognition (one transaction, its own block): from that block the exit figure is the LP assets less the
  // recognized shortfall the reserve does not cover, the exit price is poolMath's price of it, and the entry price
  // is not lowered; nothing was realized before it.
  const recognitions = await pool.queryFilter(pool.filters.ShortfallUpdated(), result.statusBeforeCrash.blockNumber);
  const recognitionBlock = recognitions[0].blockNumber;
  expect(recognitions.filter((event) => event.blockNumber === recognitionBlock)).to.have.length(2);
  const atRecognition = { blockTag: recognitionBlock };
  const totals = {
    totalLpAssets: await pool.entryTotalAssets(atRecognition),
    reserveAssets: await pool.reserveAssets(atRecognition),
    totalShortfallAssets: await pool.totalRecognizedShortfall(atRecognition),
    totalBorrowAssets: await pool.totalBorrowAssets(atRecognition),
    totalBorrowShares: 0n,
  };
  expect(totals.totalShortfallAssets).to.equal(result.statusAtRecognition.totalShortfall);
  expect(totals.totalShortfallAssets).to.be.greaterThan(totals.reserveAssets);
  expect(await pool.totalAssets(atRecognition)).to.equal(pm.exitAssetsOf(totals));
  const supplyAtRecognition = await pool.totalSupply(atRecognition);
  expect(await pool.sharePrice(atRecognition)).to.equal(pm.exitSharePrice(totals, supplyAtRecognition, shareDecimals));
  expect(await pool.entrySharePrice(atRecognition)).to.be.at.least(result.statusBeforeCrash.sharePrice);
  expect(await pool.sharePrice(atRecognition)).to.be.lessThan(result.statusBeforeCrash.sharePrice);

  // The runner (the only pool transaction of its block) was paid at the exit price: its shares × (LP assets before
  // it left − the uncovered shortfall + 1) / (shares before it left + 10**6 virtual shares), rounded down.
  const run = result.run;
  if (run === undefined) throw new Error("the default run has an LP who runs");
  expect(run.block).to.be.greaterThan(recognitionBlock);
  const [withdrawal] = await pool.queryFilter(pool.filters.Withdraw(), run.block, run.block);
  expect(withdrawal.args.owner).to.equal(run.account);
  expect(withdrawal.args.assets).to.equal(run.assets);
  const atRun = { blockTag: run.block };
  const lpAssetsBeforeRun = (await pool.entryTotalAssets(atRun)) + run.assets;
  const uncovered = pm.zeroFloorSub(await pool.totalRecognizedShortfall(atRun), await pool.reserveAssets(atRun));
  const supplyBeforeRun = (await pool.totalSupply(atRun)) + run.shares;
  expect(run.assets).to.equal(pm.lpAssetsDown(run.shares, lpAssetsBeforeRun - uncovered, supplyBeforeRun));

  // Each realization (one transaction per block here): the share price it reports is poolMath's price of the
  // pool's totals at its block, it came after the run, its loss had been recognized already (the exit price moves by
  // at most a unit: the shortfall's interest since), and the reserve it found was spent before the LPs paid.
  const events = await pool.queryFilter(pool.filters.BadDebtRealized(), result.deployment.deployBlock);
  expect(events).to.have.length(result.realizations.length);
  for (const event of events) {
    const at = { blockTag: event.blockNumber };
    const [totalAssets, totalSupply] = [await pool.totalAssets(at), await pool.totalSupply(at)];
    expect(event.blockNumber).to.be.greaterThan(run.block);
    expect(event.args.sharePriceAfter).to.equal(pm.sharePrice(totalAssets, totalSupply, shareDecimals));
    expect(event.args.sharePriceBefore - event.args.sharePriceAfter).to.be.within(0n, 1n);
    const reserveBlockBefore = await pool.reserveAssets({ blockTag: event.blockNumber - 1 });
    if (event.args.badDebtAssets >= reserveBlockBefore) {
      // The reserve only grows between blocks, so a realization at least as large took all of it, and more.
      expect(event.args.coveredByReserve).to.be.at.least(reserveBlockBefore);
      expect(await pool.reserveAssets(at)).to.equal(0n);
    }
  }

  // The LPs who stayed hold every share but the pool's 10**6 virtual ones: each one's value now is its shares' part
  // of the total assets (within one unit of flooring), and their shares did not move.
  const totalAssetsNow = await pool.totalAssets();
  const totalSupplyWithVirtual = (await pool.totalSupply()) + pm.VIRTUAL_SHARES;
  const stayers = result.lps.filter((lp) => !lp.ran);
  expect(stayers).to.have.length(result.lps.length - 1);
  for (const lp of stayers) {
    expect(await pool.balanceOf(lp.account)).to.equal(lp.shares);
    expect(lp.valueAfter - pm.mulDivDown(totalAssetsNow, lp.shares, totalSupplyWithVirtual)).to.be.within(-1n, 1n);
  }
  expect(await pool.balanceOf(run.account)).to.equal(run.sharesLeft);
  // The stayers lost the same fraction: after_i × before_j and after_j × before_i differ by at most before_i + before_j.
  for (const a of stayers) {
    for (const b of stayers) {
      const crossDifference = a.valueAfter * b.valueBeforeCrash - b.valueAfter * a.valueBeforeCrash;
      expect(crossDifference < 0n ? -crossDifference : crossDifference).to.be.at.most(
        a.valueBeforeCrash + b.valueBeforeCrash,
      );
    }
  }
  // The runner lost the same fraction as each of them, to a millionth of it (escaping would have been 6.9%).
  const runner = result.lps[run.lpIndex];
  expect(runner.ran).to.equal(true);
  for (const stayer of stayers) {
    const crossDifference = runner.valueAfter * stayer.valueBeforeCrash - stayer.valueAfter * runner.valueBeforeCrash;
    expect(crossDifference < 0n ? -crossDifference : crossDifference).to.be.at.most(
      (runner.valueBeforeCrash * stayer.valueBeforeCrash) / 10n ** 6n,
    );
  }

  // No debt is left that collateral does not back, and nobody is liquidatable.
  const borrowers = (await pool.queryFilter(pool.filters.Borrow(), result.deployment.deployBlock)).map(
    (event) => event.args.account,
  );
  for (const view of await lens.accounts(await pool.getAddress(), [...new Set(borrowers)])) {
    expect(view.debt).to.be.at.most(view.collateralValue);
    expect(view.liquidatable).to.equal(false);
  }
}

const CHECK_NAMES = [
  "the keeper cleared every liquidatable account",
  "no debt is left that collateral does not back",
  "the keeper recognized every shortfall before the liquidations",
  "each realization: bad debt = covered by reserve + socialized",
  "the reserve pays first: LPs are written down only once it is empty",
  "the keeper's exact model replay matched every realization",
  "every LP who stayed lost the same fraction",
  "the LP who ran bore the same fraction as those who stayed",
  "LPs together lost the socialized amount, less the interest earned during the liquidations",
  "the keeper logged no error",
];

describe("demo: the loss path in one command (npm run demo)", function () {
  describe("the default run", function () {
    let run: Awaited<ReturnType<typeof runIsolated>>;

    before(async function () {
      run = await runIsolated(DEFAULT_DEMO_OPTIONS);
    });

    it("passes every check it prints", function () {
      expect(run.result.checks.map((check) => [check.name, check.passed])).to.deep.equal(
        CHECK_NAMES.map((name) => [name, true]),
      );
      expect(run.result.passed).to.equal(true);
      expect(run.report).to.contain(`All ${run.result.checks.length} checks passed.`);
      expect(run.report).not.to.contain("FAIL");
    });

    it("tells the story: the keeper recognizes, one LP runs, two borrowers closed, every LP written down alike", function () {
      const { result } = run;
      expect(result.lps).to.have.length(3);
      // The keeper recognized the two insolvent borrowers' shortfall (more than the reserve) before acting.
      expect(result.recognizedByKeeper).to.equal(true);
      const recognized = result.statusAtRecognition;
      expect(recognized.accounts.filter((account) => account.recognizedShortfall > 0n)).to.have.length(2);
      expect(recognized.reserveCoveringShortfall).to.equal(recognized.reserveAssets);
      expect(recognized.shortfallDeductedFromExits).to.equal(recognized.totalShortfall - recognized.reserveAssets);
      expect(recognized.sharePrice).to.be.lessThan(result.sharePriceBeforeCrash);
      expect(recognized.entrySharePrice).to.be.at.least(result.sharePriceBeforeCrash);
      // LP 1 (the smallest deposit) ran with all its shares, at the exit price of the recognition.
      expect(result.run?.lpIndex).to.equal(0);
      expect(result.run?.sharesLeft).to.equal(0n);
      expect(result.lps.map((lp) => lp.ran)).to.deep.equal([true, false, false]);
      expect(result.lps[0].received).to.equal(result.lps[0].valueAfter);
      // The closes came after it: the exit price it got is the one the LPs who stayed end with, to a unit.
      expect(result.realizations.every((r) => r.block > (result.run?.block ?? Infinity))).to.equal(true);
      expect((result.run?.sharePrice ?? 0n) - result.sharePriceAfter).to.be.within(-1n, 1n);
      expect(result.realizations).to.have.length(2);
      // The realized bad debt is what was recognized, and a few blocks of interest on it (under 0.02 mUSDC).
      expect(result.totals.badDebtAssets - recognized.totalShortfall).to.be.within(0n, 20_000n);
      const [first, second] = result.realizations;
      // The reserve (30 days of interest × the 10% reserve factor) absorbed the start of the first realization.
      expect(result.reserveBeforeCrash).to.be.greaterThan(0n);
      expect(first.coveredByReserve).to.be.at.least(result.reserveBeforeCrash);
      expect(first.socializedAssets).to.be.greaterThan(0n);
      // The second found only the reserve's cut of the few blocks of interest since the first (under 0.01 mUSDC).
      expect(second.coveredByReserve).to.be.lessThan(10_000n);
      expect(second.socializedAssets).to.be.greaterThan(0n);
      expect(result.realizations.map((r: Realization) => [r.verification, r.realizedBy])).to.deep.equal([
        ["verified", "close"],
        ["verified", "close"],
      ]);
      expect(result.sharePriceAfter).to.be.lessThan(result.sharePriceBeforeCrash);
      expect(result.lps.every((lp: LpOutcome) => lp.valueBeforeCrash > lp.deposited)).to.equal(true);
      expect(result.lps.every((lp: LpOutcome) => lp.valueAfter < lp.valueBeforeCrash)).to.equal(true);
      expect(result.keeper.closes).to.equal(2);
      expect(result.keeper.liquidations).to.be.greaterThan(0);
      expect(result.keeper.collateralValueSeized).to.be.greaterThan(result.keeper.loanAssetsSpent);
      const progress = run.progress.join("\n");
      expect(progress).to.match(/bad debt of 0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4} realized by closeInsolventAccount/);
      expect(progress).to.match(/sent recognizeLosses for 2 accounts/);
      expect(progress).to.match(/LP 1 \(0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}\) redeemed all its [\d,.]+ shares for [\d,.]+ mUSDC at the exit price/);
    });

    it("leaves a chain on which the loss rules hold when re-read independently", async function () {
      // The run was reverted: replay it and read the chain before reverting again.
      const snapshot = await network.provider.send("evm_snapshot", []);
      try {
        const result = await runDemo(hre, DEFAULT_DEMO_OPTIONS, () => undefined);
        await assertLossRulesOnChain(result);
      } finally {
        await network.provider.send("evm_revert", [snapshot]);
      }
    });

    it("prints what the README's excerpt shows (block numbers aside: they depend on what ran before)", function () {
      const blocksAside = (text: string): string => text.replace(/block \d+/g, "block N");
      const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
      const printed = [...run.progress, "", ...run.report.split("\n")];
      const start = printed.findIndex((line) => line.startsWith("5. Every collateral price falls"));
      const end = printed.findIndex((line) => line.startsWith("11. Checks"));
      const closing = printed.find((line) => line.startsWith("The reserve paid first"));
      const excerpt = [...printed.slice(start, end).join("\n").trimEnd().split("\n"), "", closing].join("\n");
      expect(start).to.be.greaterThan(0);
      expect(blocksAside(readme)).to.contain(blocksAside(excerpt));
    });

    it("exits 1 when a check fails, and 0 when all pass", async function () {
      const failing: DemoResult = {
        ...run.result,
        passed: false,
        checks: run.result.checks.map((check, index) => (index === 6 ? { ...check, passed: false } : check)),
      };
      const previousExitCode = process.exitCode;
      const printed: string[] = [];
      try {
        process.exitCode = undefined;
        await buildProgram({ runDemo: async () => run.result, print: (line) => printed.push(line) }).parseAsync([], {
          from: "user",
        });
        expect(process.exitCode).to.equal(undefined);
        await buildProgram({ runDemo: async () => failing, print: (line) => printed.push(line) }).parseAsync([], {
          from: "user",
        });
        expect(process.exitCode).to.equal(1);
      } finally {
        process.exitCode = previousExitCode;
      }
      expect(printed.join("\n")).to.contain("FAIL  every LP who stayed lost the same fraction");
      expect(printed.join("\n")).to.contain("1 of 10 checks FAILED.");
    });

    it("prints the same report and progress on a second run from the same state", async function () {
      const second = await runIsolated(DEFAULT_DEMO_OPTIONS);
      expect(second.progress).to.deep.equal(run.progress);
      expect(second.report).to.equal(run.report);
    });
  });

  it("passes its checks with other options: 2 LPs, 4 borrowers, a 55% crash, seed 9", async function () {
    const { result, report } = await runIsolated({ lps: 2, borrowers: 4, crashPercent: "55", seed: 9 });
    expect(result.lps).to.have.length(2);
    expect(result.lps.filter((lp) => lp.ran)).to.have.length(1);
    expect(result.realizations.length).to.be.greaterThan(0);
    expect(result.passed, report).to.equal(true);
  });

  it("with a single LP nobody runs, and the story still adds up", async function () {
    const { result, report, progress } = await runIsolated({ lps: 1, borrowers: 3, crashPercent: "45", seed: 4 });
    expect(result.run).to.equal(undefined);
    expect(result.lps.map((lp) => lp.ran)).to.deep.equal([false]);
    expect(progress.some((line) => line.startsWith("7. The keeper receives"))).to.equal(true);
    expect(report).to.contain("8. What each LP lost");
    expect(report).to.contain("PASS  the LP who ran bore the same fraction as those who stayed: a single LP: nobody to run from");
    expect(result.passed, report).to.equal(true);
  });

  it("reports no loss when the crash leaves every debt backed", async function () {
    const { result, report } = await runIsolated({ ...DEFAULT_DEMO_OPTIONS, crashPercent: "5" });
    expect(result.realizations).to.deep.equal([]);
    expect(result.statusAtRecognition.totalShortfall).to.equal(0n);
    expect(report).to.contain("the crash left no shortfall to recognize");
    expect(result.passed).to.equal(true);
    expect(result.lps.every((lp) => lp.valueAfter >= lp.valueBeforeCrash)).to.equal(true);
    expect(report).to.contain("No bad debt");
  });

  describe("options", function () {
    it("defaults to 3 LPs, 6 borrowers, a 40% crash and seed 4", function () {
      expect(parseDemoOptions({})).to.deep.equal({ lps: 3, borrowers: 6, crashPercent: "40", seed: 4 });
      expect(parseDemoOptions({ lps: "5", borrowers: "12", crash: "62.5", seed: "77" })).to.deep.equal({
        lps: 5,
        borrowers: 12,
        crashPercent: "62.5",
        seed: 77,
      });
    });

    const refused: [Record<string, string>, RegExp][] = [
      [{ lps: "0" }, /--lps expects a whole number from 1 to 20, got "0"/],
      [{ lps: String(DEMO_LIMITS.lps.max + 1) }, /--lps expects a whole number from 1 to 20/],
      [{ borrowers: "two" }, /--borrowers expects a whole number from 1 to 60, got "two"/],
      [{ crash: "100" }, /--crash expects a percentage above 0 and below 100/],
      [{ crash: "0" }, /--crash expects a percentage above 0 and below 100/],
      [{ crash: "-40" }, /--crash expects a percentage above 0 and below 100 \(e\.g\. 40\), got "-40"/],
      [{ seed: "1.5" }, /--seed expects a whole number/],
    ];
    for (const [raw, message] of refused) {
      it(`refuses ${JSON.stringify(raw)} with a message naming the option`, function () {
        expect(() => parseDemoOptions(raw)).to.throw(UsageError, message);
      });
    }
  });

  describe("the plan", function () {
    it("is drawn from the seed: the same seed gives the same plan, another seed another", function () {
      expect(demoPlan({ ...DEFAULT_DEMO_OPTIONS })).to.deep.equal(demoPlan({ ...DEFAULT_DEMO_OPTIONS }));
      expect(demoPlan({ ...DEFAULT_DEMO_OPTIONS, seed: 5 })).not.to.deep.equal(demoPlan(DEFAULT_DEMO_OPTIONS));
    });

    it("gives every borrower both collaterals and keeps the collateral at 120% of the deposits", function () {
      const plan = demoPlan({ lps: 4, borrowers: 7, crashPercent: "40", seed: 11 });
      expect(plan.lps).to.have.length(4);
      expect(plan.borrowers).to.have.length(7);
      const deposits = plan.lps.reduce((sum, lp) => sum + Number(lp.deposit), 0);
      let collateralValue = 0;
      for (const borrower of plan.borrowers) {
        expect(Object.keys(borrower.collateral)).to.deep.equal(
          DEVNET_COLLATERALS.map((collateral) => collateral.symbol),
        );
        for (const collateral of DEVNET_COLLATERALS) {
          expect(Number(borrower.collateral[collateral.symbol])).to.be.greaterThan(0);
          collateralValue += Number(borrower.collateral[collateral.symbol]) * Number(collateral.initialPrice);
        }
        expect(Number(borrower.targetHealthFactor)).to.be.within(1.05, 1.75);
      }
      // Amounts are rounded down to 4 decimals of a token: within 0.1% of 120%.
      expect(collateralValue / deposits).to.be.within(1.198, 1.2);
      // Accounts are numbered LPs first, then borrowers, without gaps.
      expect([...plan.lps, ...plan.borrowers].map((entry) => entry.accountIndex)).to.deep.equal([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);
    });
  });

  describe("the checks fail when a loss rule is broken", function () {
    const WAD = 10n ** 18n;
    const lp = (before: bigint, after: bigint, ran = false): LpOutcome => ({
      account: ethers.ZeroAddress,
      deposited: before,
      shares: before,
      valueBeforeCrash: before,
      valueAfter: after,
      lossE18: ((before - after) * WAD) / before,
      ran,
      received: ran ? after : 0n,
    });
    const realization = (overrides: Partial<Realization>): Realization => ({
      borrower: ethers.ZeroAddress,
      block: 1,
      badDebtAssets: 100n,
      coveredByReserve: 10n,
      socializedAssets: 90n,
      sharePriceBefore: 1_000_000n,
      sharePriceAfter: 999_000n,
      reserveAfter: 0n,
      verification: "verified",
      realizedBy: "liquidate",
      ...overrides,
    });
    const base = {
      finished: true,
      blocksAfterCrash: 3,
      totalAssetsDrop: 90n,
      secondsSinceBeforeCrash: 36,
      borrowsBeforeCrash: 0n,
      maxBorrowRatePerSecondE18: 0n,
      loanDecimals: 6,
      lps: [lp(1_000_000n, 999_910n)],
      realizations: [realization({})],
      borrowerViews: [{ account: ethers.ZeroAddress, debt: 5n, collateralValue: 6n, liquidatable: false }],
      keeperErrors: [],
      recognition: {
        liveShortfallAtCrash: 100n,
        block: 2,
        byKeeper: true,
        views: [{ account: ethers.ZeroAddress, shortfall: 100n, recognizedShortfall: 100n }],
        verifications: ["verified"],
        beforeFirstAction: true,
      },
      interestSinceRun: 0n,
    };
    // Two LPs of 500,000: one ran, one stayed; 90 was socialized, 45 from each.
    const withRunner = {
      ...base,
      lps: [lp(500_000n, 499_955n, true), lp(500_000n, 499_955n)],
    };
    const failed = (inputs: Parameters<typeof demoChecks>[0]): string[] =>
      demoChecks(inputs)
        .filter((check) => !check.passed)
        .map((check) => check.name);

    it("all pass on consistent inputs", function () {
      expect(failed(base)).to.deep.equal([]);
      expect(failed(withRunner)).to.deep.equal([]);
    });

    it("flags a recognition the keeper did not make, missed, or made after a realization", function () {
      const recognition = "the keeper recognized every shortfall before the liquidations";
      expect(failed({ ...base, recognition: { ...base.recognition, byKeeper: false } })).to.deep.equal([recognition]);
      expect(
        failed({
          ...base,
          recognition: {
            ...base.recognition,
            views: [{ account: ethers.ZeroAddress, shortfall: 100n, recognizedShortfall: 0n }],
          },
        }),
      ).to.deep.equal([recognition]);
      expect(failed({ ...base, recognition: { ...base.recognition, verifications: ["mismatch"] } })).to.deep.equal([
        recognition,
      ]);
      expect(failed({ ...base, recognition: { ...base.recognition, verifications: [] } })).to.deep.equal([recognition]);
      expect(failed({ ...base, recognition: { ...base.recognition, beforeFirstAction: false } })).to.deep.equal([
        recognition,
      ]);
      // Nothing to recognize: nothing needed.
      expect(
        failed({
          ...base,
          recognition: { ...base.recognition, liveShortfallAtCrash: 0n, views: [], verifications: [] },
        }),
      ).to.deep.equal([]);
    });

    it("flags an LP who ran and escaped the loss, but allows the interest it gave up", function () {
      const runner = "the LP who ran bore the same fraction as those who stayed";
      // It left with 499,999: the LP who stayed bore the other 89 of the 90 socialized.
      expect(failed({ ...withRunner, lps: [lp(500_000n, 499_999n, true), lp(500_000n, 499_911n)] })).to.deep.equal([
        runner,
      ]);
      // 20 units apart with no interest since the run: beyond rounding.
      expect(failed({ ...withRunner, lps: [lp(500_000n, 499_945n, true), lp(500_000n, 499_965n)] })).to.deep.equal([
        runner,
      ]);
      // The same gap, explained by the 10 units of interest the stayer earned after the run.
      expect(
        failed({ ...withRunner, interestSinceRun: 10n, lps: [lp(500_000n, 499_945n, true), lp(500_000n, 499_965n)] }),
      ).to.deep.equal([]);
      // Two LPs and nobody ran: the run step is missing.
      expect(failed({ ...base, lps: [lp(500_000n, 499_955n), lp(500_000n, 499_955n)] })).to.deep.equal([runner]);
    });

    it("flags each broken rule by name", function () {
      expect(failed({ ...base, finished: false })).to.deep.equal(["the keeper cleared every liquidatable account"]);
      expect(
        failed({
          ...base,
          borrowerViews: [{ account: ethers.ZeroAddress, debt: 7n, collateralValue: 6n, liquidatable: false }],
        }),
      ).to.deep.equal(["no debt is left that collateral does not back"]);
      expect(failed({ ...base, realizations: [realization({ socializedAssets: 89n })] })).to.include(
        "each realization: bad debt = covered by reserve + socialized",
      );
      expect(failed({ ...base, realizations: [realization({ reserveAfter: 1n })] })).to.deep.equal([
        "the reserve pays first: LPs are written down only once it is empty",
      ]);
      expect(failed({ ...base, realizations: [realization({ verification: "mismatch" })] })).to.deep.equal([
        "the keeper's exact model replay matched every realization",
      ]);
      expect(
        failed({ ...base, lps: [lp(1_000_000n, 999_970n), lp(1_000_000n, 999_940n), lp(1_000_000n, 1_000_000n, true)] }),
      ).to.include("every LP who stayed lost the same fraction");
      const lossRule = "LPs together lost the socialized amount, less the interest earned during the liquidations";
      // The LPs lost less than the pool's assets fell (the write-down went elsewhere).
      expect(failed({ ...base, lps: [lp(1_000_000n, 999_990n)] })).to.deep.equal([lossRule]);
      // The assets fell by less than was socialized: more interest came in than the borrows could have paid.
      expect(failed({ ...base, totalAssetsDrop: 50n, lps: [lp(1_000_000n, 999_950n)] })).to.deep.equal([lossRule]);
      // The same 40 units are interest 1,000,000 of borrows pay in 36 s at 2e-6 per second: allowed.
      expect(
        failed({
          ...base,
          totalAssetsDrop: 50n,
          lps: [lp(1_000_000n, 999_950n)],
          borrowsBeforeCrash: 1_000_000n,
          maxBorrowRatePerSecondE18: 2n * 10n ** 12n,
        }),
      ).to.deep.equal([]);
      // The assets fell by more than was socialized.
      expect(failed({ ...base, totalAssetsDrop: 95n, lps: [lp(1_000_000n, 999_905n)] })).to.deep.equal([lossRule]);
      expect(failed({ ...base, keeperErrors: ["tick failed"] })).to.deep.equal(["the keeper logged no error"]);
    });

    it("formats losses with four decimals and no sign on a rounded-away gain", function () {
      expect(formatLossPercent(69_044_000_000_000_000n)).to.equal("6.9044%");
      expect(formatLossPercent(-1n)).to.equal("0.0000%");
      expect(formatLossPercent(-(WAD / 100n))).to.equal("-1.0000%");
    });
  });
});
