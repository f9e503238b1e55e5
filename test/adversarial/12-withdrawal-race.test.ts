import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { ESCAPER, cloneFlows, formatPercent, reachCrash, writeDownSide, type LpLoss } from "../helpers/lossPath";
import { expectBooksReconciled } from "./reconcile";

/**
 * The withdrawal race (docs/design.md §8, a known limit kept as a quantified test until the protocol addresses it):
 * on the loss-path scenario (LPs of 100k, 250k, 50k; the crash leaves the heavy account insolvent), an LP who watches
 * the chain redeems everything before the liquidation that realizes the loss. It loses nothing; the LPs who stay
 * absorb the share it avoided. Measured per LP with and without the early exit, and checked against the figures the
 * design document quotes (11.96% → 31.88%).
 */
describe("Adversarial 12: the withdrawal race (an LP exits before a realization)", () => {
  const lossE18 = (loss: LpLoss): bigint =>
    loss.before === 0n ? 0n : poolMath.mulDivDown(loss.before - loss.after, poolMath.WAD, loss.before);
  /** A fraction scaled by 1e18, as a percentage rounded to 2 decimals (half up), e.g. "11.96". */
  const twoDecimals = (fractionE18: bigint): string => {
    const basisPointsTimes100 = (fractionE18 * 1_000_000n + poolMath.WAD / 2n) / poolMath.WAD; // 1e-4 % units
    const hundredths = (basisPointsTimes100 + 50n) / 100n;
    return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}`;
  };

  async function raceFixture() {
    return reachCrash();
  }

  it("the escaper loses 0; each stayer's loss rises from 11.96% to 31.88% (design §8), the shift measured to the wei", async () => {
    const base = await loadFixture(raceFixture);
    const stay = await writeDownSide(base, cloneFlows(base.flows), false);
    await expectBooksReconciled(base.lp.pool, base.lp.loanToken, base.lp.collaterals.map((c) => c.token));
    const raced = await loadFixture(raceFixture);
    const race = await writeDownSide(raced, cloneFlows(raced.flows), true);
    await expectBooksReconciled(raced.lp.pool, raced.lp.loanToken, raced.lp.collaterals.map((c) => c.token));

    const rows: string[] = [];
    for (const [index, signer] of base.lp.actors.lps.entries()) {
      const without = stay.side.lpLosses[index];
      const withExit = race.side.lpLosses[index];
      rows.push(
        `      LP${index} (${signer.address.slice(0, 8)}): loss without early exit ${formatPercent(without.before - without.after, without.before)}` +
          `, with LP${ESCAPER} exiting first ${index === ESCAPER ? "0% (exited)" : formatPercent(withExit.before - withExit.after, withExit.before)}`,
      );
    }
    console.log(rows.join("\n"));

    // Without the race every LP loses the same fraction: 11.96% (design §8).
    for (const loss of stay.side.lpLosses) expect(twoDecimals(lossE18(loss))).to.equal("11.96");
    // With it: the escaper holds nothing at the realization; each stayer loses 31.88% (design §8).
    expect(race.side.lpLosses[ESCAPER].shares).to.equal(0n);
    const stayers = [0, 2];
    for (const index of stayers) expect(twoDecimals(lossE18(race.side.lpLosses[index]))).to.equal("31.88");

    // The shift: what the stayers lose in addition = what the escaper avoided + the extra socialized interest of
    // the later block (within a wei per LP of rounding).
    const lost = (loss: LpLoss): bigint => loss.before - loss.after;
    const avoided = lost(stay.side.lpLosses[ESCAPER]);
    const extraStayerLoss = stayers.reduce(
      (sum, index) => sum + lost(race.side.lpLosses[index]) - lost(stay.side.lpLosses[index]),
      0n,
    );
    const extraSocialized = race.side.realization.socializedAssets - stay.side.realization.socializedAssets;
    const gap = extraStayerLoss - avoided - extraSocialized;
    expect(gap < 0n ? -gap : gap).to.be.at.most(5n);
    const amplificationE4 = poolMath.mulDivDown(
      lossE18(race.side.lpLosses[0]),
      10_000n,
      lossE18(stay.side.lpLosses[0]),
    );
    expect(amplificationE4).to.equal(26_666n);
    console.log(
      `      escaper avoided ${avoided} raw; stayers absorbed ${extraStayerLoss} raw more (x${Number(amplificationE4) / 10_000} each)`,
    );
  });
});
