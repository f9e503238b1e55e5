/**
 * `npm run demo`: the whole loss path in one command, on the in-process Hardhat network (no node, no internet).
 * Deploys LocalDevnet with Ignition, funds LPs and borrowers, lets interest accrue, crashes the collateral prices, lets
 * the real keeper recognize the shortfall, lets one LP run (redeem all) before the liquidations, then runs the keeper
 * block by block; then prints what every LP lost (the one who ran included), how the loss was split between the
 * reserve and the LPs, and the checks. Exits 1 if a check fails.
 *
 *   ts-node scripts/demo.ts [--lps 3] [--borrowers 6] [--crash 40] [--seed 4]
 */
import Table from "cli-table3";
import { Command, Option } from "commander";
import { runProgram } from "./lib/connect";
import { formatAmountFixed, formatSharePrice, shortAddress } from "./lib/format";
import {
  DEFAULT_DEMO_OPTIONS,
  DEMO_LIMITS,
  formatLossPercent,
  parseDemoOptions,
  runDemo,
  type DemoResult,
} from "./demo/scenario";

/** Tables without a rule between rows. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/** The closing report: per-LP table, loss split, exit price, keeper figures and the checks. */
export function renderDemoResult(result: DemoResult): string {
  const loan = (amount: bigint): string => formatAmountFixed(amount, result.loanDecimals);
  const lines: string[] = [];
  // The story's steps end at 8 with an LP who ran, at 7 without one.
  const section = result.run === undefined ? 8 : 9;
  lines.push(`${section}. What each LP lost (${result.loanSymbol})`);
  const table = new Table({
    chars: COMPACT,
    style: { head: [], border: [] },
    head: ["LP", "account", "deposited", "value before crash", "value after", "loss", "loss %"],
    colAligns: ["left", "left", "right", "right", "right", "right", "right"],
  });
  for (const [index, lp] of result.lps.entries()) {
    table.push([
      `${index + 1}${lp.ran ? " (ran)" : ""}`,
      shortAddress(lp.account),
      loan(lp.deposited),
      loan(lp.valueBeforeCrash),
      loan(lp.valueAfter),
      loan(lp.valueBeforeCrash - lp.valueAfter),
      formatLossPercent(lp.lossE18),
    ]);
  }
  const total = (pick: (lp: DemoResult["lps"][number]) => bigint): bigint =>
    result.lps.reduce((s, lp) => s + pick(lp), 0n);
  table.push([
    "all",
    "",
    loan(total((lp) => lp.deposited)),
    loan(total((lp) => lp.valueBeforeCrash)),
    loan(total((lp) => lp.valueAfter)),
    loan(total((lp) => lp.valueBeforeCrash - lp.valueAfter)),
    "",
  ]);
  lines.push(table.toString());
  const { run } = result;
  if (run !== undefined) {
    lines.push(
      `LP ${run.lpIndex + 1} ran: its value after is what its redemption paid at the exit price in block ${run.block}` +
        `${run.sharesLeft > 0n ? ", plus the shares the idle cash left it" : ""}.`,
    );
  }

  const { totals } = result;
  // Rounded to the nearest 0.01%, so the two parts add up to 100.00% as often as rounding allows.
  const shareOf = (part: bigint): string =>
    totals.badDebtAssets === 0n
      ? "-"
      : `${formatAmountFixed((part * 20_000n + totals.badDebtAssets) / (2n * totals.badDebtAssets), 2, 2)}%`;
  const priceDropE18 =
    result.sharePriceBeforeCrash === 0n
      ? 0n
      : ((result.sharePriceBeforeCrash - result.sharePriceAfter) * 10n ** 18n) / result.sharePriceBeforeCrash;
  lines.push("");
  lines.push(`${section + 1}. Who bore the bad debt`);
  const split = new Table({ chars: COMPACT, style: { head: [], border: [] }, colAligns: ["left", "right", "left"] });
  const recognized = result.statusAtRecognition;
  split.push(
    [
      "recognized before the liquidations",
      loan(recognized.totalShortfall),
      recognized.totalShortfall === 0n
        ? "no shortfall"
        : `reserve ${loan(recognized.reserveCoveringShortfall)}, exits priced net of ${loan(recognized.shortfallDeductedFromExits)} from then on`,
    ],
    [
      "bad debt realized",
      loan(totals.badDebtAssets),
      `${result.realizations.length} borrower${result.realizations.length === 1 ? "" : "s"}`,
    ],
    [
      "covered by the reserve (first loss)",
      loan(totals.coveredByReserve),
      `${shareOf(totals.coveredByReserve)} (reserve before the crash: ${loan(result.reserveBeforeCrash)})`,
    ],
    ["socialized across all LPs", loan(totals.socializedAssets), shareOf(totals.socializedAssets)],
    [
      "exit price (per whole share)",
      `${formatSharePrice(result.sharePriceBeforeCrash, result.loanDecimals)} → ${formatSharePrice(result.sharePriceAfter, result.loanDecimals)}`,
      `${formatLossPercent(priceDropE18)} lower; ${formatSharePrice(recognized.sharePrice, result.loanDecimals)} from the recognition on`,
    ],
  );
  if (run !== undefined) {
    const runner = result.lps[run.lpIndex];
    split.push([
      `LP ${run.lpIndex + 1} ran before the liquidations`,
      loan(run.assets),
      `for its shares at the exit price: it lost ${formatLossPercent(runner.lossE18)}, the others ` +
        `${[...new Set(result.lps.filter((lp) => !lp.ran).map((lp) => formatLossPercent(lp.lossE18)))].join(", ")}`,
    ]);
  }
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;
  split.push([
    "keeper's liquidation bonus",
    loan(result.keeper.collateralValueSeized - result.keeper.loanAssetsSpent),
    `${plural(result.keeper.closes, "close")}, ${plural(result.keeper.liquidations, "liquidation")}, ` +
      `${plural(result.keeper.socializations, "socialization")}: ` +
      `repaid ${loan(result.keeper.loanAssetsSpent)} for ${loan(result.keeper.collateralValueSeized)} of collateral`,
  ]);
  lines.push(split.toString());

  lines.push("");
  lines.push(`${section + 2}. Checks`);
  for (const check of result.checks) lines.push(`   ${check.passed ? "PASS" : "FAIL"}  ${check.name}: ${check.detail}`);
  const failed = result.checks.filter((check) => !check.passed).length;
  lines.push("");
  lines.push(
    failed > 0
      ? `${failed} of ${result.checks.length} checks FAILED.`
      : totals.badDebtAssets === 0n
        ? `No bad debt: every debt stayed backed by its collateral, and no LP lost anything. All ${result.checks.length} checks passed.`
        : `The reserve paid first, then every LP lost the same fraction ` +
          `(${formatLossPercent((result.lps.find((lp) => !lp.ran) ?? result.lps[0]).lossE18)})` +
          `${run === undefined ? "" : `, LP ${run.lpIndex + 1} who ran included`}. All ${result.checks.length} checks passed.`,
  );
  return lines.join("\n");
}

/** What the CLI runs and where it prints; tests replace them. */
export interface DemoProgramDependencies {
  runDemo: typeof runDemo;
  print: (line: string) => void;
}

export function buildProgram(
  dependencies: DemoProgramDependencies = { runDemo, print: (line) => console.log(line) },
): Command {
  const { print } = dependencies;
  const program = new Command("demo")
    .description(
      "The loss path in one command, on the in-process Hardhat network: deposits, borrows, 30 days of interest, a price crash, " +
        "the keeper's loss recognition, an LP who runs, the keeper's closes and liquidations, and the write-down every LP shares.",
    )
    .addOption(
      new Option("--lps <n>", `number of LPs (${DEMO_LIMITS.lps.min}-${DEMO_LIMITS.lps.max})`).default(
        String(DEFAULT_DEMO_OPTIONS.lps),
      ),
    )
    .addOption(
      new Option(
        "--borrowers <n>",
        `number of borrowers (${DEMO_LIMITS.borrowers.min}-${DEMO_LIMITS.borrowers.max})`,
      ).default(String(DEFAULT_DEMO_OPTIONS.borrowers)),
    )
    .addOption(
      new Option("--crash <percent>", "how far every collateral price falls, in percent").default(
        DEFAULT_DEMO_OPTIONS.crashPercent,
      ),
    )
    .addOption(
      new Option("--seed <n>", "seed of the deposits and positions").default(String(DEFAULT_DEMO_OPTIONS.seed)),
    )
    .allowExcessArguments(false);
  program.action(async (raw: { lps: string; borrowers: string; crash: string; seed: string }) => {
    const options = parseDemoOptions(raw);
    const started = performance.now();
    const hre = (await import("hardhat")).default;
    print(
      `Mutual Pools demo: ${options.lps} LPs, ${options.borrowers} borrowers, a ${options.crashPercent}% crash (seed ${options.seed}).\n`,
    );
    const result = await dependencies.runDemo(hre, options, print);
    print("");
    print(renderDemoResult(result));
    print(`\nFinished in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    if (!result.passed) process.exitCode = 1;
  });
  return program;
}

if (require.main === module) void runProgram(buildProgram());
