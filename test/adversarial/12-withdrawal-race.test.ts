import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt } from "ethers";
import * as poolMath from "../../keepers/src/model/poolMath";
import {
  ESCAPER,
  cloneFlows,
  formatLoan,
  formatPercent,
  reachCrash,
  realizingCall,
  writeDownSide,
  type LossPath,
  type LpLoss,
} from "../helpers/lossPath";
import { expectBooksReconciled } from "./reconcile";

/**
 * The withdrawal race (docs/design.md §8) on the loss-path scenario (LPs of 100k, 250k, 50k; the crash leaves the
 * heavy account insolvent): an LP who watches the chain redeems everything before the liquidation that realizes the
 * loss. Losses are measured per LP from the books right after the crash to the end (previewRedeem after the
 * realization, or what the LP was paid).
 *
 * - Race closed: a keeper calls recognizeLosses in the block after the crash. From then on exits are priced net of
 *   the shortfall the reserve does not cover, so the LP who redeems before the liquidation bears the same fraction
 *   as the LPs who stay, and the stayers lose what they would have lost had nobody left.
 * - The window that stays open: nobody has recognized the shortfall yet when the LP redeems (the same block as the
 *   oracle update, or before any keeper or liquidator acts). It then loses nothing and the stayers absorb its share
 *   (11.96% → 31.88% each, ×2.67): measured, not closed.
 */
describe("Adversarial 12: the withdrawal race (an LP exits before a realization)", () => {
  const abs = (value: bigint): bigint => (value < 0n ? -value : value);
  const lost = (loss: LpLoss): bigint => loss.before - loss.after;
  /** Loss as a fraction of the value before, scaled by 1e18 (rounded toward zero; negative for a gain). */
  const lossE18 = (loss: LpLoss): bigint =>
    loss.before === 0n ? 0n : (lost(loss) * poolMath.WAD) / loss.before;
  /** A fraction scaled by 1e18, as a percentage rounded to 2 decimals (half up), e.g. "11.96". */
  const twoDecimals = (fractionE18: bigint): string => {
    const basisPointsTimes100 = (fractionE18 * 1_000_000n + poolMath.WAD / 2n) / poolMath.WAD; // 1e-4 % units
    const hundredths = (basisPointsTimes100 + 50n) / 100n;
    return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}`;
  };
  /** A signed fraction scaled by 1e18 as a percentage with 8 decimals (for the printed figures). */
  const percentE18 = (fractionE18: bigint): string => {
    const sign = fractionE18 < 0n ? "-" : "";
    const magnitude = abs(fractionE18) / 10n ** 8n; // 1e-10 units = 1e-8 %
    return `${sign}${magnitude / 10n ** 8n}.${(magnitude % 10n ** 8n).toString().padStart(8, "0")}%`;
  };

  async function raceFixture() {
    return reachCrash();
  }

  /** Interest accrued (InterestAccrued.interestAssets) in the blocks after `from` up to and including `to`. */
  async function interestBetween(
    lp: LossPath,
    from: ContractTransactionReceipt,
    to: ContractTransactionReceipt,
  ): Promise<bigint> {
    const logs = await lp.pool.queryFilter(lp.pool.filters.InterestAccrued, from.blockNumber + 1, to.blockNumber);
    return logs.reduce((sum, log) => sum + log.args.interestAssets, 0n);
  }

  async function run(escape: boolean, recognizeFirst: boolean) {
    const crashed = await loadFixture(raceFixture);
    const result = await writeDownSide(crashed, cloneFlows(crashed.flows), escape, recognizeFirst);
    await expectBooksReconciled(
      crashed.lp.pool,
      crashed.lp.loanToken,
      crashed.lp.collaterals.map((c) => c.token),
    );
    return { ...crashed, ...result };
  }

  it("race closed: after recognizeLosses, the LP who redeems before the liquidation loses the same fraction as the stayers", async () => {
    const stay = await run(false, true);
    const race = await run(true, true);
    const { lp } = race;
    const { pool } = lp;
    const heavy = lp.actors.heavy.address;

    // The recognition: one ShortfallUpdated(heavy, 0, s, s) with s = poolMath's shortfallOf(debt, recoveryValue).
    for (const side of [stay, race]) {
      const recognition = side.recognition;
      if (recognition === null) throw new Error("no recognition");
      const [shortfall] = recognition.expected;
      expect(shortfall).to.be.greaterThan(recognition.booksBefore.totals.reserveAssets);
      expect(recognition.observed.updates).to.deep.equal([
        { account: heavy, before: 0n, after: shortfall, total: shortfall },
      ]);
      expect(recognition.observed.recognized).to.deep.equal([shortfall]);
      expect(recognition.observed.booksAfter).to.deep.equal(recognition.booksAfterPlanned);
    }
    const recognition = race.recognition;
    const escape = race.escape;
    if (recognition === null || escape === null) throw new Error("no recognition or no escape");
    const [recognizedShortfall] = recognition.expected;
    // The escaper is paid at the exit price: its shares' value at LP assets − (shortfall − reserve).
    expect(escape.plan.booksBefore.totals.totalShortfallAssets).to.equal(recognizedShortfall);
    expect(escape.payout).to.equal(
      poolMath.lpAssetsDown(
        escape.plan.shares,
        poolMath.exitAssetsOf(escape.plan.booksBefore.totals),
        escape.plan.booksBefore.lpSupply,
      ),
    );
    expect(await pool.balanceOf(lp.actors.lps[ESCAPER].address)).to.equal(0n);

    /*
     * Bound. Per share, the escaper is paid the exit price of the escape block, p_esc; the stayers are left with the
     * exit price after the realization, p_end. Between the two the exit figure moves only by the interest accrued
     * (LPs' part plus the reserve's, which covers the shortfall first), I, and by what the realized residual B exceeds
     * the recognized shortfall S (interest on the insolvent debt, liquidation rounding), plus 1 wei for the escaper's
     * payout rounded down: |p_end − p_esc| ≤ (I + |B − S| + 1) / (S' + V), S' the shares left, V = 10**6 virtual.
     * Relative to the price at the crash, p_ref = (T + 1) / (S0 + V), and with < 2 wei of each LP's values lost to
     * the floors of its before and after figures: |f_escaper − f_stayer| ≤ (I + |B − S| + 1)·(S0 + V) /
     * ((S' + V)·(T + 1)) + 2/before_escaper + 2/before_stayer (+ 2 for the fractions' own roundings, in 1e18 units).
     */
    const realizing = realizingCall(race.records);
    const interest = await interestBetween(lp, escape.receipt, realizing.receipt);
    const residualGap = abs(realizing.plan.realization.badDebtAssets - recognizedShortfall);
    const reference = race.side.reference;
    const sharesLeft = realizing.plan.booksAfter.lpSupply;
    const virtual = 10n ** poolMath.DECIMALS_OFFSET;
    const escaperLoss = race.side.lpLosses[ESCAPER];
    const driftBoundE18 = poolMath.mulDivUp(
      (interest + residualGap + 1n) * poolMath.WAD,
      reference.lpSupply + virtual,
      (sharesLeft + virtual) * (poolMath.exitAssetsOf(reference.totals) + 1n),
    );
    const stayers = [0, 2];
    const rows: string[] = [];
    for (const index of stayers) {
      const stayer = race.side.lpLosses[index];
      const bound = driftBoundE18 + (2n * poolMath.WAD) / escaperLoss.before + (2n * poolMath.WAD) / stayer.before + 2n;
      const gap = abs(lossE18(escaperLoss) - lossE18(stayer));
      expect(gap).to.be.at.most(bound);
      rows.push(`LP${index} ${percentE18(lossE18(stayer))} (|gap| ${percentE18(gap)} ≤ bound ${percentE18(bound)})`);
    }
    // The stayers lose what they would have lost had nobody left: the same bound, against the run without the exit.
    for (const index of stayers) {
      const gap = abs(lossE18(race.side.lpLosses[index]) - lossE18(stay.side.lpLosses[index]));
      expect(gap).to.be.at.most(
        driftBoundE18 + (4n * poolMath.WAD) / stay.side.lpLosses[index].before + 2n,
      );
    }
    // Every LP of the run without the exit loses the same fraction: 11.96%, as in the unrecognized case (design §8).
    for (const loss of stay.side.lpLosses) expect(twoDecimals(lossE18(loss))).to.equal("11.96");
    expect(twoDecimals(lossE18(escaperLoss))).to.equal("11.96");

    console.log(
      `      race closed (recognizeLosses in the block after the crash, recognized shortfall ${formatLoan(recognizedShortfall)}):\n` +
        `        escaper LP${ESCAPER} redeems before the liquidation: loss ${percentE18(lossE18(escaperLoss))}` +
        ` (${formatLoan(lost(escaperLoss))} of ${formatLoan(escaperLoss.before)})\n` +
        `        stayers: ${rows.join(", ")}\n` +
        `        without the exit: ${stay.side.lpLosses.map((loss, index) => `LP${index} ${percentE18(lossE18(loss))}`).join(", ")}\n` +
        `        bound terms: interest ${formatLoan(interest)}, |realized − recognized| ${formatLoan(residualGap)}`,
    );
  });

  it("window still open: nobody recognized the shortfall before the escaper redeemed; it loses nothing and each stayer's loss rises from 11.96% to 31.88% (design §8)", async () => {
    const stay = await run(false, false);
    const race = await run(true, false);
    const { lp } = race;
    expect(race.escape?.plan.booksBefore.totals.totalShortfallAssets).to.equal(0n);

    const rows: string[] = [];
    for (const [index, signer] of lp.actors.lps.entries()) {
      const without = stay.side.lpLosses[index];
      const withExit = race.side.lpLosses[index];
      rows.push(
        `      LP${index} (${signer.address.slice(0, 8)}): loss without early exit ${formatPercent(lost(without), without.before)}` +
          `, with LP${ESCAPER} exiting first unrecognized ${index === ESCAPER ? `${percentE18(lossE18(withExit))} (exited)` : formatPercent(lost(withExit), withExit.before)}`,
      );
    }
    console.log(rows.join("\n"));

    // Without the race every LP loses the same fraction: 11.96% (design §8).
    for (const loss of stay.side.lpLosses) expect(twoDecimals(lossE18(loss))).to.equal("11.96");
    // With it: the escaper is paid more than its shares were worth at the crash (a second of interest), i.e. it loses
    // nothing; each stayer loses 31.88% (design §8).
    const escaper = race.side.lpLosses[ESCAPER];
    expect(escaper.after).to.be.at.least(escaper.before);
    const stayers = [0, 2];
    for (const index of stayers) expect(twoDecimals(lossE18(race.side.lpLosses[index]))).to.equal("31.88");

    // The shift: what the stayers lose in addition = what the escaper avoided + the difference in the value that left
    // the LPs on either side (W = exit assets at the crash − after − payouts; the race runs a second later, at a
    // higher utilization, so more interest), within a wei per LP and side of rounding.
    const written = (side: typeof race): bigint =>
      side.side.lpAssetsBefore - side.side.lpAssetsAfter - side.escaperPayout;
    const avoided = lost(stay.side.lpLosses[ESCAPER]) - lost(escaper);
    const extraStayerLoss = stayers.reduce(
      (sum, index) => sum + lost(race.side.lpLosses[index]) - lost(stay.side.lpLosses[index]),
      0n,
    );
    const gap = extraStayerLoss - avoided - (written(race) - written(stay));
    expect(abs(gap)).to.be.at.most(6n);
    const amplificationE4 = poolMath.mulDivDown(
      lossE18(race.side.lpLosses[0]),
      10_000n,
      lossE18(stay.side.lpLosses[0]),
    );
    expect(amplificationE4).to.equal(26_666n);
    console.log(
      `      window open: escaper avoided ${avoided} raw; stayers absorbed ${extraStayerLoss} raw more (x${Number(amplificationE4) / 10_000} each)`,
    );
  });
});
