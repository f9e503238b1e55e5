import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import {
  BORROWER_POSITIONS,
  DUST_POSITION,
  DUST_THRESHOLD,
  ESCAPER,
  INTEREST_PERIOD,
  LATE_DEPOSIT,
  LP_DEPOSITS,
  RESERVE_FACTOR_BPS,
  type BadDebtFigures,
  type Books,
  type LiquidationRecord,
  type LpLoss,
  cloneFlows,
  depositThenRedeem,
  formatLoan,
  formatPercent,
  lifetimeTotals,
  liquidityOf,
  lpLossOf,
  planLiquidationsUntilClosed,
  planRedeem,
  readAccount,
  readMarket,
  reachCrash,
  realizingCall,
  recover,
  redeemEverything,
  recoverAndExit,
  setupLossPath,
  socializeDustAccount,
  writeDownSide,
} from "../helpers/lossPath";
import { totalsOf } from "../helpers/chainReads";

/**
 * The loss path end to end, on a 6-decimal loan asset with an 8- and an 18-decimal collateral, the real
 * KinkedRateModel, a 10% reserve factor and a 1-unit dust threshold (scenario in test/helpers/lossPath.ts):
 *   1. three LPs deposit 100k, 250k and 50k;
 *   2. a heavy (74% LTV), a moderate and a light borrower post both collaterals and borrow; a fourth account
 *      borrows 300 raw units against 1 wei of collateral;
 *   3. 30 days of interest accrue; the treasury then donates 1,000 to the reserve;
 *   4. both collateral prices fall 60%;
 *   5. a liquidator works through the heavy account collateral by collateral, within the close factor and its
 *      20k-per-call inventory, until the last call realizes the residual debt. Nobody calls recognizeLosses here:
 *      the first liquidation recognizes the account's shortfall (the exit price falls then, for every LP at once),
 *      each later one refreshes it, and the last realizes it;
 * then a late LP round-trips, a keeper socializes the 1-wei account, the healthy borrowers repay and everyone
 * withdraws. Every expected figure comes from keepers/src/model/poolMath.ts, applied to the chain's state.
 */
describe("Loss path: interest, crash, liquidations, bad debt, recovery", function () {
  async function lossPathFixture() {
    return setupLossPath();
  }

  async function crashedFixture() {
    return reachCrash();
  }

  /** Steps 1–5 with every LP in the pool. */
  async function writtenDownFixture() {
    const crashed = await reachCrash();
    const flows = cloneFlows(crashed.flows);
    const writeDown = await writeDownSide(crashed, flows, false);
    return { ...crashed, flows, ...writeDown };
  }

  const abs = (value: bigint): bigint => (value < 0n ? -value : value);

  /** Loss as a fraction of the assets before, scaled by 1e18 (rounded down). */
  const lossFractionE18 = (loss: LpLoss): bigint =>
    poolMath.mulDivDown(loss.before - loss.after, poolMath.WAD, loss.before);

  /** The BadDebtRealized figures poolMath plans: the loss waterfall and the share price on either side. */
  function plannedBadDebt(
    realization: poolMath.BadDebtRealization,
    sharePrices: { sharePriceBefore: bigint; sharePriceAfter: bigint },
  ): BadDebtFigures {
    return {
      badDebtAssets: realization.badDebtAssets,
      coveredByReserve: realization.coveredByReserve,
      socializedAssets: realization.socializedAssets,
      sharePriceBefore: sharePrices.sharePriceBefore,
      sharePriceAfter: sharePrices.sharePriceAfter,
    };
  }

  /** Every field of a liquidation's event and of the state after it equals poolMath's plan. */
  function expectLiquidationAsPlanned(record: LiquidationRecord): void {
    const { plan, observed } = record;
    expect(observed.repaidAssets).to.equal(plan.quote.repaidAssets);
    expect(observed.repaidShares).to.equal(plan.quote.repaidShares);
    expect(observed.seizedCollateral).to.equal(plan.quote.seizedCollateral);
    expect(observed.badDebtAssets).to.equal(plan.quote.badDebtAssets);
    expect(observed.swept).to.deep.equal(plan.swept);
    expect(observed.liquidatorPaid).to.equal(plan.quote.repaidAssets);
    expect(observed.liquidatorCollateralReceived).to.deep.equal(
      plan.swept.map(
        (swept, index) =>
          swept +
          (index === plan.collateralIndex ? plan.quote.seizedCollateral : 0n),
      ),
    );
    expect(observed.booksAfter).to.deep.equal(plan.booksAfter);
    expect(observed.accountAfter).to.deep.equal(plan.accountAfter);
    if (plan.realization === null) {
      expect(observed.badDebt).to.equal(null);
    } else {
      expect(observed.badDebt).to.deep.equal(
        plannedBadDebt(plan.realization, plan),
      );
    }
  }

  it("steps 1–2: LPs fund the pool and four accounts borrow against both collaterals", async function () {
    const { lp, flows } = await loadFixture(lossPathFixture);
    const { pool, actors } = lp;
    // No borrows yet when the LPs deposit: each gets assets × 10**6 shares (the decimals offset).
    for (const [index, signer] of actors.lps.entries()) {
      expect(await pool.balanceOf(signer.address)).to.equal(
        LP_DEPOSITS[index] * 10n ** poolMath.DECIMALS_OFFSET,
      );
    }
    const borrowers = [
      actors.heavy,
      actors.moderate,
      actors.light,
      actors.dust,
    ];
    const specs = [...BORROWER_POSITIONS, DUST_POSITION];
    for (const [index, borrower] of borrowers.entries()) {
      const account = await readAccount(lp, borrower.address);
      expect(account.collateral).to.deep.equal(specs[index].collateral);
      // The borrows were a second apart, so the earlier ones already carry a few seconds of interest.
      expect(await pool.debtOf(borrower.address)).to.be.at.least(
        specs[index].borrow,
      );
      expect(await pool.healthFactor(borrower.address)).to.be.greaterThan(
        poolMath.WAD,
      );
    }
    const lent = specs.reduce((sum, spec) => sum + spec.borrow, 0n);
    expect(flows.loan.borrowed).to.equal(lent);
    expect(flows.loan.lpDeposits).to.equal(
      LP_DEPOSITS.reduce((sum, assets) => sum + assets, 0n),
    );
    // The heavy account: 135k of collateral, limit 101.25k, debt 100k.
    const heavy = await pool.accountLiquidity(actors.heavy.address);
    expect(heavy.collateralValue).to.equal(135_000n * 10n ** 6n);
    expect(heavy.borrowLimit).to.equal(101_250n * 10n ** 6n);
  });

  it("step 3: 30 days at the kinked rate grow the reserve by exactly poolMath's accrue() share", async function () {
    const { accrual } = await loadFixture(crashedFixture);
    expect(accrual.elapsed).to.equal(INTEREST_PERIOD);
    expect(accrual.observedRatePerSecondE18).to.equal(accrual.ratePerSecondE18);
    expect(accrual.observed).to.deep.equal(accrual.expected);
    const reserveAdded =
      accrual.observed.reserveAssets - accrual.booksBefore.totals.reserveAssets;
    expect(reserveAdded).to.be.greaterThan(0n);
    const interest =
      accrual.observed.totalBorrowAssets -
      accrual.booksBefore.totals.totalBorrowAssets;
    expect(reserveAdded).to.equal(
      poolMath.bpsDown(interest, BigInt(RESERVE_FACTOR_BPS)),
    );
  });

  it("step 4: the crash leaves the heavy account insolvent, the dust account below dust, the others healthy", async function () {
    const { lp, postCrashBooks } = await loadFixture(crashedFixture);
    const { pool, actors } = lp;
    const market = await readMarket(lp);
    const heavy = liquidityOf(
      await readAccount(lp, actors.heavy.address),
      postCrashBooks,
      market,
    );
    expect(heavy.collateralValue).to.equal(54_000n * 10n ** 6n); // 1.5 × 20k + 30 × 800
    expect(heavy.collateralValue).to.be.lessThan(heavy.debt);
    expect(
      poolMath.healthFactorDown(heavy.liquidationLimit, heavy.debt),
    ).to.be.lessThan(market.liquidation.fullLiquidationHealthFactor);
    for (const healthy of [actors.moderate, actors.light]) {
      expect(await pool.healthFactor(healthy.address)).to.be.greaterThan(
        poolMath.WAD,
      );
    }
    const dust = liquidityOf(
      await readAccount(lp, actors.dust.address),
      postCrashBooks,
      market,
    );
    expect(dust.collateralValue).to.equal(200n); // 1 wei × 20,000e6 / 1e8
    expect(dust.collateralValue).to.be.at.most(DUST_THRESHOLD);
    expect(poolMath.canSocialize(dust, DUST_THRESHOLD)).to.equal(true);
  });

  it("step 5: liquidates collateral by collateral within the close factor; only the last call realizes bad debt", async function () {
    const { lp, records } = await loadFixture(writtenDownFixture);
    const { pool, actors, collaterals } = lp;
    expect(records.length).to.be.greaterThan(2);
    for (const [index, record] of records.entries()) {
      expectLiquidationAsPlanned(record);
      expect(record.plan.repayAssets).to.be.at.most(record.closeFactorShare);
      expect(record.observed.repaidAssets).to.be.at.most(
        record.plan.repayAssets,
      );
      const isLast = index === records.length - 1;
      expect(record.observed.badDebt !== null).to.equal(isLast);
      expect(record.observed.badDebtAssets > 0n).to.equal(isLast);
    }
    // The first call recognizes the account's shortfall: the exit price falls in its block, before any realization.
    const [first] = records;
    expect(first.observed.accountAfter.recognizedShortfall).to.be.greaterThan(
      0n,
    );
    expect(first.sharePriceViewAfter).to.be.lessThan(
      first.sharePriceViewBefore,
    );
    for (const record of records.slice(0, -1)) {
      expect(record.observed.booksAfter.totals.totalShortfallAssets).to.equal(
        record.observed.accountAfter.recognizedShortfall,
      );
    }
    // The realization leaves no recognized shortfall behind.
    expect(await pool.recognizedShortfall(actors.heavy.address)).to.equal(0n);
    expect(await pool.totalRecognizedShortfall()).to.equal(0n);
    // Collateral by collateral: every call on collateral 0 comes before any call on collateral 1.
    const order = records.map((record) => record.plan.collateralIndex);
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    expect(new Set(order)).to.deep.equal(new Set([0, 1]));
    // The account is closed.
    expect(await pool.debtOf(actors.heavy.address)).to.equal(0n);
    expect(await pool.borrowSharesOf(actors.heavy.address)).to.equal(0n);
    for (const collateral of collaterals) {
      expect(
        await pool.collateralOf(
          actors.heavy.address,
          await collateral.token.getAddress(),
        ),
      ).to.equal(0n);
    }
  });

  it("the reserve covers min(reserve, bad debt), the rest is socialized, and BadDebtRealized matches the state", async function () {
    const { lp, records } = await loadFixture(writtenDownFixture);
    const { pool } = lp;
    const last = realizingCall(records);
    const { realization, booksBefore } = last.plan;
    const reserveBefore = booksBefore.totals.reserveAssets;
    const lpAssetsBefore = booksBefore.totals.totalLpAssets;
    const observed = last.observed.badDebt;
    if (observed === null) throw new Error("no BadDebtRealized event");

    // The waterfall.
    expect(reserveBefore).to.be.greaterThan(0n);
    expect(observed.badDebtAssets).to.equal(realization.badDebtAssets);
    expect(observed.coveredByReserve).to.equal(
      poolMath.min(reserveBefore, observed.badDebtAssets),
    );
    expect(observed.socializedAssets).to.equal(
      observed.badDebtAssets - observed.coveredByReserve,
    );
    expect(observed.socializedAssets).to.be.greaterThan(0n);

    // The event's figures match the state before and after the call.
    const after = last.observed.booksAfter.totals;
    expect(after).to.deep.equal(await totalsOf(pool));
    expect(lpAssetsBefore - after.totalLpAssets).to.equal(
      observed.socializedAssets,
    );
    expect(reserveBefore - after.reserveAssets).to.equal(
      observed.coveredByReserve,
    );
    expect(after.reserveAssets).to.equal(0n);
    // The event's share prices are sharePrice(), the exit price. "Before" is read on the call's own block before the
    // call (the pending block, after its accrual): the recognized shortfall the reserve does not cover is already
    // deducted from it.
    const shareDecimals = BigInt(await pool.decimals());
    expect(observed.sharePriceBefore).to.equal(last.sharePriceViewBefore);
    expect(observed.sharePriceBefore).to.equal(
      poolMath.sharePrice(
        poolMath.exitAssetsOf(booksBefore.totals),
        booksBefore.lpSupply,
        shareDecimals,
      ),
    );
    expect(booksBefore.totals.totalShortfallAssets).to.be.greaterThan(
      reserveBefore,
    );
    expect(observed.sharePriceAfter).to.equal(last.sharePriceViewAfter);
    expect(observed.sharePriceAfter).to.equal(await pool.sharePrice());
    // The loss was recognized by the first liquidation: the exit price fell then. The realization only adds what the
    // residual grew by since the last refresh (interest, rounding), so it moves the exit price little if at all.
    const [first] = records;
    const dropAtRecognition =
      first.sharePriceViewBefore - first.sharePriceViewAfter;
    const dropAtRealization =
      observed.sharePriceBefore - observed.sharePriceAfter;
    expect(dropAtRealization).to.be.at.least(0n);
    expect(dropAtRealization * 1_000n).to.be.lessThan(dropAtRecognition);

    console.log(
      `loss-path: badDebt=${formatLoan(observed.badDebtAssets)} coveredByReserve=${formatLoan(observed.coveredByReserve)}` +
        ` socialized=${formatLoan(observed.socializedAssets)} lpAssetsBefore=${formatLoan(lpAssetsBefore)}` +
        ` lpLoss=${formatPercent(observed.socializedAssets, lpAssetsBefore)} liquidationCalls=${records.length}` +
        ` exitSharePrice: at recognition ${formatLoan(first.sharePriceViewBefore)}->${formatLoan(first.sharePriceViewAfter)}` +
        `, at realization ${formatLoan(observed.sharePriceBefore)}->${formatLoan(observed.sharePriceAfter)}`,
    );
  });

  it("every LP's redeemable assets fall by the same fraction from the crash to the realization", async function () {
    const { lp, records, side } = await loadFixture(writtenDownFixture);
    const { pool, actors } = lp;
    const first = records[0];
    const last = realizingCall(records);
    const { realization } = last.plan;
    const { reference } = side;
    /*
     * Every LP holds from the crash (`reference`, no shortfall recognized yet) to after the realization, and the
     * share supply does not change meanwhile, so each LP's value moves with the exit figure T = totalAssets() alone:
     * from T = exit(reference) to T − X, X = T − exit(after the realization).
     */
    const T = side.lpAssetsBefore;
    const X = T - side.lpAssetsAfter;
    const S = reference.lpSupply;
    expect(last.plan.booksAfter.lpSupply).to.equal(S);
    expect(reference.totals.totalShortfallAssets).to.equal(0n);
    expect(T).to.equal(reference.totals.totalLpAssets);
    // X is the socialized loss less the LPs' interest from the crash to the realizing call: the entry figure moves by
    // nothing else, and after the realization no shortfall is recognized any more.
    expect(last.plan.booksAfter.totals.totalShortfallAssets).to.equal(0n);
    expect(X).to.equal(
      realization.socializedAssets -
        (last.plan.booksBefore.totals.totalLpAssets -
          reference.totals.totalLpAssets),
    );
    expect(X).to.be.greaterThan(0n);
    /*
     * Bound. With s an LP's shares, V = 10**6 virtual shares, and r = s·(T+1)/(S+V) its exact claim before,
     * its redeemable assets are a = ⌊r⌋ before and a' = ⌊r − δ⌋ after, where δ = s·X/(S+V) exactly (the share
     * supply does not change and T drops by exactly X). Hence:
     *   (a) loss = a − a' ∈ {⌊δ⌋, ⌈δ⌉}: each LP bears its pro-rata share of X by shares, to within 1 wei;
     *   (b) |a·X/T − δ| < 1, because r ∈ [a, a+1), a ≤ T and X < T+1 give
     *       a·X/T − r·X/(T+1) ∈ (−X/(T+1), a·X/(T·(T+1))] ⊂ (−1, 1);
     *       with (a), |loss − a·X/T| < 2, i.e. |loss·T − a·X| < 2·T: every LP's loss fraction equals X/T to
     *       within 2 wei of its balance (2 / a ≈ 2e-11 here).
     *   (c) summing (a) over the n LPs (Σs = S): Σδ = X − X·V/(S+V) ∈ (X − 1, X], so |Σloss − X| ≤ n.
     * ⌊δ⌋ and ⌈δ⌉ are lpAssetsDown / lpAssetsUp of s shares when total assets are X − 1 (s·(X−1+1)/(S+V)).
     */
    let totalLoss = 0n;
    const fractions: bigint[] = [];
    for (const [index, signer] of actors.lps.entries()) {
      const shares = await pool.balanceOf(signer.address);
      const loss = side.lpLosses[index];
      expect(loss).to.deep.equal(
        lpLossOf(shares, reference, last.plan.booksAfter),
      );
      // previewRedeem(balanceOf) on the chain: on the first liquidation's block before it (the exit price had not
      // moved since the crash but for a second of interest), and now.
      expect(first.lpRedeemableViewBefore[index]).to.equal(
        lpLossOf(shares, first.plan.booksBefore, last.plan.booksAfter).before,
      );
      expect(loss.after).to.equal(
        await pool.previewRedeem(await pool.balanceOf(signer.address)),
      );
      const lost = loss.before - loss.after;
      expect(lost).to.be.within(
        poolMath.lpAssetsDown(shares, X - 1n, S),
        poolMath.lpAssetsUp(shares, X - 1n, S),
      );
      expect(abs(lost * T - loss.before * X) < 2n * T).to.equal(true);
      totalLoss += lost;
      fractions.push(lossFractionE18(loss));
    }
    expect(abs(totalLoss - X)).to.be.at.most(BigInt(actors.lps.length));
    // In 1e18 units, by (b): |lost/a − X/T| < 2/a, plus < 1 for each of the two roundings down.
    const expected = poolMath.mulDivDown(X, poolMath.WAD, T);
    for (const [index, fraction] of fractions.entries()) {
      const bound = (2n * poolMath.WAD) / side.lpLosses[index].before + 2n;
      expect(abs(fraction - expected)).to.be.at.most(bound);
    }
  });

  it("an LP who deposits after the write-down loses nothing from it", async function () {
    const fixture = await loadFixture(writtenDownFixture);
    const { lp } = fixture;
    const flows = cloneFlows(fixture.flows);
    const sharePriceBefore = await lp.pool.sharePrice();
    const trip = await depositThenRedeem(
      lp,
      flows,
      lp.actors.lateLp,
      LATE_DEPOSIT,
    );
    expect(trip.shares).to.equal(trip.plannedShares);
    expect(trip.redeem.payout).to.equal(trip.redeem.plan.assets);
    // Two roundings down (shares, then assets), each worth < 1 wei: at most 1 wei lost.
    expect(trip.deposited - trip.redeem.payout).to.be.within(0n, 1n);
    expect(await lp.pool.sharePrice()).to.be.at.least(sharePriceBefore);
  });

  it("socializeBadDebt on the 1-wei-collateral account succeeds and pays the dust to the caller", async function () {
    const fixture = await loadFixture(writtenDownFixture);
    const { lp } = fixture;
    const { pool, actors } = lp;
    const flows = cloneFlows(fixture.flows);
    expect(
      await pool.collateralOf(
        actors.dust.address,
        await lp.collaterals[0].token.getAddress(),
      ),
    ).to.equal(1n);
    const record = await socializeDustAccount(
      lp,
      flows,
      actors.dust.address,
      actors.keeper,
    );
    const { plan, observed } = record;
    expect(plan.liquidity.collateralValue).to.equal(200n);
    expect(plan.liquidity.collateralValue).to.be.at.most(DUST_THRESHOLD);
    expect(plan.realization.badDebtAssets).to.equal(plan.liquidity.debt);
    expect(observed.badDebt).to.deep.equal(
      plannedBadDebt(plan.realization, plan),
    );
    expect(observed.badDebt.coveredByReserve).to.equal(
      poolMath.min(
        plan.booksBefore.totals.reserveAssets,
        plan.realization.badDebtAssets,
      ),
    );
    expect(observed.swept).to.deep.equal([1n, 0n]);
    expect(observed.callerCollateralReceived).to.deep.equal([1n, 0n]);
    expect(observed.booksAfter).to.deep.equal(plan.booksAfter);
    expect(observed.accountAfter.borrowShares).to.equal(0n);
    expect(observed.accountAfter.collateral).to.deep.equal([0n, 0n]);
    expect(await pool.debtOf(actors.dust.address)).to.equal(0n);
  });

  it("LPs withdraw what is left: once the healthy borrowers repaid, every LP redeems its whole balance", async function () {
    const fixture = await loadFixture(writtenDownFixture);
    const { lp } = fixture;
    const { pool, actors } = lp;
    const flows = cloneFlows(fixture.flows);
    await depositThenRedeem(lp, flows, actors.lateLp, LATE_DEPOSIT);
    await socializeDustAccount(lp, flows, actors.dust.address, actors.keeper);
    await recover(lp, flows);
    expect(await pool.totalBorrowAssets()).to.equal(0n);

    // Once no debt is left and the reserve is withdrawn, cash = totalAssets(). After a loss the share price is below
    // 1 asset per 10**6 shares, so the last holder's previewRedeem(balance) is exactly totalAssets() = cash: fully
    // covered. (Pool.maxRedeem's min(balance, convertToShares(cash, Floor)) undershoots the balance in exactly that
    // case, because of the floor and the 10**6 virtual shares; redeem(balanceOf) then reverts.)
    for (const signer of actors.lps) {
      const balance = await pool.balanceOf(signer.address);
      // The idle cash covers everything this LP's shares are worth, so nothing may stop it from redeeming them all.
      expect(await pool.previewRedeem(balance)).to.be.at.most(
        await pool.cash(),
      );
      expect(await pool.maxRedeem(signer.address)).to.equal(balance);
      const redemption = await redeemEverything(lp, flows, signer);
      expect(redemption.payout).to.equal(redemption.plan.assets);
      expect(await pool.balanceOf(signer.address)).to.equal(0n);
    }
    expect(await pool.totalSupply()).to.equal(0n);
  });

  it("every token balances to the wei once all LPs have exited", async function () {
    const fixture = await loadFixture(writtenDownFixture);
    const { lp } = fixture;
    const { pool, actors, loanToken, collaterals } = lp;
    const poolAddress = await pool.getAddress();
    const flows = cloneFlows(fixture.flows);

    await depositThenRedeem(lp, flows, actors.lateLp, LATE_DEPOSIT);
    await socializeDustAccount(lp, flows, actors.dust.address, actors.keeper);
    // Each LP redeems maxRedeem: its whole balance but for what the previous test shows it cannot redeem.
    const redemptions = await recoverAndExit(lp, flows);
    for (const redemption of redemptions) {
      expect(redemption.plan.shares).to.equal(redemption.maxRedeem);
      expect(redemption.payout).to.equal(redemption.plan.assets);
    }
    const sharesLeft = await pool.totalSupply();
    expect(await pool.previewRedeem(sharesLeft)).to.equal(0n); // whatever is left is worth less than 1 wei
    expect(await pool.totalBorrowAssets()).to.equal(0n);
    expect(await pool.totalBorrowShares()).to.equal(0n);
    expect(flows.loan.reserveWithdrawn).to.be.greaterThan(0n);

    // Loan asset: every token in and out, measured on the actors' balances.
    const { loan } = flows;
    const expectedLoanBalance =
      loan.lpDeposits +
      loan.repaid +
      loan.liquidatorPaid +
      loan.donated -
      loan.lpWithdrawals -
      loan.borrowed -
      loan.reserveWithdrawn;
    const loanBalance = await loanToken.balanceOf(poolAddress);
    expect(loanBalance).to.equal(expectedLoanBalance);
    expect(await pool.cash()).to.equal(loanBalance);

    // Each collateral.
    for (const [index, collateral] of collaterals.entries()) {
      const { supplied, withdrawn, seized, swept } = flows.collateral[index];
      const balance = await collateral.token.balanceOf(poolAddress);
      expect(supplied - withdrawn - seized - swept).to.equal(balance);
      expect(
        await pool.totalCollateral(await collateral.token.getAddress()),
      ).to.equal(balance);
    }

    // The books: LP payouts, bad debt socialized and the reserve reconcile with the interest earned.
    const lifetime = await lifetimeTotals(lp);
    const residualLpAssets = await pool.totalAssets();
    const residualReserve = await pool.reserveAssets();
    expect(lifetime.badDebt).to.equal(
      lifetime.coveredByReserve + lifetime.socialized,
    );
    expect(
      loan.lpWithdrawals + lifetime.socialized + residualLpAssets,
    ).to.equal(loan.lpDeposits + lifetime.interest - lifetime.reserveInterest);
    expect(
      loan.reserveWithdrawn + lifetime.coveredByReserve + residualReserve,
    ).to.equal(lifetime.reserveInterest + loan.donated);
    expect(loan.repaid + loan.liquidatorPaid + lifetime.badDebt).to.equal(
      loan.borrowed + lifetime.interest,
    );
    expect(loanBalance).to.equal(residualLpAssets + residualReserve);
    // Nothing is left but rounding: less than 1 wei per redemption stays behind (each payout rounds down).
    expect(residualLpAssets).to.be.at.most(BigInt(redemptions.length + 1));

    console.log(
      `loss-path-exit: lpDeposits=${formatLoan(loan.lpDeposits)} lpPayouts=${formatLoan(loan.lpWithdrawals)}` +
        ` lpInterest=${formatLoan(lifetime.interest - lifetime.reserveInterest)} socialized=${formatLoan(lifetime.socialized)}` +
        ` reserveInterest=${formatLoan(lifetime.reserveInterest)} donated=${formatLoan(loan.donated)}` +
        ` coveredByReserve=${formatLoan(lifetime.coveredByReserve)} reserveWithdrawn=${formatLoan(loan.reserveWithdrawn)}` +
        ` residualLpAssets=${residualLpAssets} residualReserve=${residualReserve}`,
    );
  });

  it("withdrawal race, before anyone recognizes the shortfall: an LP who exits first shifts its share of the loss onto the stayers", async function () {
    // Without the escape: every LP is in the pool when the bad debt is recognized and realized.
    const base = await loadFixture(writtenDownFixture);
    const baseBooks: Books = base.postCrashBooks;

    // With the escape: same state after the crash; the 250k LP redeems everything in the next block, before any
    // recognizeLosses or liquidation (the window recognition cannot close: nothing has looked at the new price yet),
    // then the same liquidations.
    const crashed = await loadFixture(crashedFixture);
    const { lp } = crashed;
    const { pool, actors } = lp;
    expect(crashed.postCrashBooks.totals).to.deep.equal(baseBooks.totals);
    expect(crashed.postCrashBooks.lpSupply).to.equal(baseBooks.lpSupply);
    expect(crashed.postCrashHeavy.borrowShares).to.equal(
      base.postCrashHeavy.borrowShares,
    );
    expect(crashed.postCrashHeavy.recognizedShortfall).to.equal(0n);

    // poolMath's prediction, from the post-crash state alone: the redemption, then the liquidation loop.
    const market = await readMarket(lp);
    const escaperShares = await pool.balanceOf(actors.lps[ESCAPER].address);
    const predictedEscape = planRedeem(
      crashed.postCrashBooks,
      market,
      escaperShares,
      crashed.postCrashBooks.timestamp + 1n,
    );
    const predictedLiquidations = planLiquidationsUntilClosed(
      predictedEscape.booksAfter,
      crashed.postCrashHeavy,
      market,
    );
    const predicted = predictedLiquidations[predictedLiquidations.length - 1];
    if (predicted.realization === null)
      throw new Error("poolMath predicts no bad debt");

    const flows = cloneFlows(crashed.flows);
    const race = await writeDownSide(crashed, flows, true);
    if (race.escape === null) throw new Error("no escape");
    expect(race.escape.maxRedeem).to.equal(escaperShares);
    expect(race.escape.payout).to.equal(predictedEscape.assets);
    for (const record of race.records) expectLiquidationAsPlanned(record);
    expect(race.records.map((record) => record.plan)).to.deep.equal(
      predictedLiquidations,
    );
    expect(race.side.realization).to.deep.equal(predicted.realization);

    // The escaper lost nothing: paid its shares' full value at the gross figure (nothing recognized yet), one second
    // of interest more than at the crash; it holds no shares at the loss.
    expect(predictedEscape.booksBefore.totals.totalShortfallAssets).to.equal(
      0n,
    );
    const escaperValueAtExit = poolMath.lpAssetsDown(
      escaperShares,
      predictedEscape.booksBefore.totals.totalLpAssets,
      predictedEscape.booksBefore.lpSupply,
    );
    expect(race.escaperPayout).to.equal(escaperValueAtExit);
    expect(await pool.balanceOf(actors.lps[ESCAPER].address)).to.equal(0n);
    const escaperRace = race.side.lpLosses[ESCAPER];
    expect(escaperRace.after).to.be.at.least(escaperRace.before);
    const lost = (loss: LpLoss): bigint => loss.before - loss.after;
    const baseEscaperLoss = lost(base.side.lpLosses[ESCAPER]);
    expect(baseEscaperLoss).to.be.greaterThan(0n);

    // The stayers' losses: each equals poolMath's prediction, and each fraction is larger than without the escape.
    const stayers = actors.lps
      .map((_, index) => index)
      .filter((index) => index !== ESCAPER);
    for (const index of stayers) {
      const predictedLoss = lpLossOf(
        race.side.lpLosses[index].shares,
        crashed.postCrashBooks,
        predicted.booksAfter,
      );
      expect(race.side.lpLosses[index]).to.deep.equal(predictedLoss);
      expect(lossFractionE18(race.side.lpLosses[index])).to.be.greaterThan(
        lossFractionE18(base.side.lpLosses[index]),
      );
    }
    // The stayers hold through the same share-price path: their fractions agree to within the rounding of bound (b)
    // of the fraction test (< 2 wei of each balance, plus a rounding down each).
    const [s0, s2] = stayers.map((index) => race.side.lpLosses[index]);
    expect(abs(lossFractionE18(s0) - lossFractionE18(s2))).to.be.at.most(
      (2n * poolMath.WAD) / s0.before + (2n * poolMath.WAD) / s2.before + 2n,
    );

    // Aggregated: the value that left the LPs is W = exit assets at the crash − exit assets after − payouts; every
    // LP's loss sums to it within 1 wei each (bound (c)). So the stayers absorb exactly what the escaper avoided,
    // plus the difference between the two sides' W (the race side runs a second later at another utilization).
    const written = (side: typeof race): bigint =>
      side.side.lpAssetsBefore - side.side.lpAssetsAfter - side.escaperPayout;
    const sumOf = (losses: LpLoss[], pick: (loss: LpLoss) => bigint): bigint =>
      stayers.reduce((sum, index) => sum + pick(losses[index]), 0n);
    const stayersBefore = (losses: LpLoss[]): bigint =>
      sumOf(losses, (loss) => loss.before);
    const stayersLost = (losses: LpLoss[]): bigint => sumOf(losses, lost);
    const baseLost = stayersLost(base.side.lpLosses);
    const raceLost = stayersLost(race.side.lpLosses);
    for (const side of [base, race]) {
      const allLost = side.side.lpLosses.reduce(
        (sum, loss) => sum + lost(loss),
        0n,
      );
      expect(abs(allLost - written(side))).to.be.at.most(
        BigInt(actors.lps.length),
      );
    }
    const avoided = baseEscaperLoss - lost(escaperRace);
    expect(
      abs(raceLost - baseLost - avoided - (written(race) - written(base))),
    ).to.be.at.most(2n * BigInt(actors.lps.length));

    const baseFraction = poolMath.mulDivDown(
      baseLost,
      poolMath.WAD,
      stayersBefore(base.side.lpLosses),
    );
    const raceFraction = poolMath.mulDivDown(
      raceLost,
      poolMath.WAD,
      stayersBefore(race.side.lpLosses),
    );
    expect(raceFraction).to.be.greaterThan(baseFraction);
    const amplificationE4 = poolMath.mulDivDown(
      raceFraction,
      10_000n,
      baseFraction,
    );
    console.log(
      `withdrawal-race (unrecognized): badDebt=${formatLoan(race.side.realization.badDebtAssets)}` +
        ` (without escape ${formatLoan(base.side.realization.badDebtAssets)})` +
        ` socialized=${formatLoan(race.side.realization.socializedAssets)}` +
        ` (without escape ${formatLoan(base.side.realization.socializedAssets)})` +
        ` lpAssetsAtCrash=${formatLoan(race.side.lpAssetsBefore)}` +
        ` escaperPayout=${formatLoan(race.escaperPayout)} escaperLoss=${formatLoan(lost(escaperRace))} escaperAvoided=${formatLoan(avoided)}` +
        ` stayersLossWithoutEscape=${formatPercent(baseLost, stayersBefore(base.side.lpLosses))}` +
        ` stayersLossWithEscape=${formatPercent(raceLost, stayersBefore(race.side.lpLosses))}` +
        ` amplification=x${(Number(amplificationE4) / 10_000).toFixed(4)}` +
        ` stayersExtraLoss=${formatLoan(raceLost - baseLost)}`,
    );
  });
});
