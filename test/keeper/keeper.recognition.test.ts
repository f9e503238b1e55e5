import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { repaidForSeizedDown, shortfallOf } from "../../keepers/src/model/poolMath";
import { priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import {
  deployKeeperPool,
  KEEPER_LOAN_DECIMALS,
  KEEPER_WALLET_INDEX,
  keeperFor,
  mineBlock,
  setAutomine,
  transactionsFrom,
} from "./harness";

const LOAN_DECIMALS = KEEPER_LOAN_DECIMALS;
const usd = (amount: number | string): bigint => units(amount, LOAN_DECIMALS);
const SECOND_KEEPER = 13;
/** A minimum profit no close or liquidation here reaches: the keeper only recognizes. */
const NEVER_PROFITABLE = "1000000";
const col0Price = (dollars: number): bigint => priceE36(dollars, LOAN_DECIMALS, 18);
/** priceE36 of COL0 (18 decimals) at `tenths` / 10 dollars. */
const col0PriceTenths = (tenths: number): bigint => col0Price(tenths) / 10n;

/** 6-decimals loan asset; COL0 (18 decimals, bonus 5%) at 2,000, COL1 (8 decimals) at 30,000; dust 5; ~9.5% APR. */
function recognitionPool(): Promise<PoolFixture> {
  return deployKeeperPool([60_000, 40_000], [KEEPER_WALLET_INDEX, SECOND_KEEPER]);
}

/** borrower0: 10 COL0 (20,000), borrows 14,000. At 1,400 it recovers 13,333.33: a shortfall of ~666.67. */
async function oneBorrower(): Promise<PoolFixture> {
  const fx = await recognitionPool();
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
  return fx;
}

/** borrowers 0, 1, 2: 10 COL0 each, borrowing 14,000, 13,800 and 13,600. */
async function threeBorrowers(): Promise<PoolFixture> {
  const fx = await recognitionPool();
  for (const [index, debt] of [14_000, 13_800, 13_600].entries()) {
    await supplyAndBorrow(fx, fx.borrowers[index], [units(10, 18)], usd(debt));
  }
  return fx;
}

/** borrower0: 10 COL0 (20,000) + 0.001 COL1 (30), borrows 14,000. */
async function twoCollateralBorrower(): Promise<PoolFixture> {
  const fx = await recognitionPool();
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18), units("0.001", 8)], usd(14_000));
  return fx;
}

/** The pool's live shortfall of `account` at `blockTag`, checked against the model for a COL0-only position. */
async function liveShortfall(fx: PoolFixture, account: HardhatEthersSigner, blockTag: number): Promise<bigint> {
  const [shortfall, debt, recovery] = await fx.pool.accountShortfall(account.address, { blockTag });
  const balance = await fx.pool.collateralOf(account.address, await fx.collaterals[0].token.getAddress(), { blockTag });
  const price = await fx.collaterals[0].oracle.price({ blockTag });
  expect(recovery).to.equal(repaidForSeizedDown(balance, 500n, price));
  expect(shortfall).to.equal(shortfallOf(debt, recovery));
  return shortfall;
}

describe("keeper: loss recognition", function () {
  restoreChainAfterSuite();

  it("recognizes in block B+1 the shortfall a crash in block B opened, where closing does not pay, and verifies it", async function () {
    const fx = await loadFixture(oneBorrower);
    const pool = await fx.pool.getAddress();
    const borrower = fx.borrowers[0];
    const { keeper, wallet, logs, metrics } = await keeperFor(fx, { minProfit: NEVER_PROFITABLE });
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(col0Price(1_400));
      await mineBlock();
      const crashBlock = await ethers.provider.getBlockNumber();
      const report = await keeper.tick();
      expect(report.block).to.equal(crashBlock);
      expect(report.sends.map((send) => [send.action, send.result])).to.deep.equal([["close", "skipped_unprofitable"]]);
      expect(report.staleShortfalls).to.equal(1);
      expect(report.recognitions.map((sent) => [sent.accounts, sent.result])).to.deep.equal([
        [[borrower.address], "sent"],
      ]);
      const seenAtScan = await liveShortfall(fx, borrower, crashBlock);
      expect(seenAtScan).to.be.greaterThan(usd(666));

      await mineBlock();
      expect(await transactionsFrom(wallet.address, crashBlock + 1)).to.have.length(1);
      const events = await fx.pool.queryFilter(fx.pool.filters.ShortfallUpdated(borrower.address));
      const recorded = await liveShortfall(fx, borrower, crashBlock + 1);
      expect(recorded).to.be.greaterThanOrEqual(seenAtScan); // interest accrued from B to B+1
      expect(events.map((event) => [event.blockNumber, ...event.args.slice(1)])).to.deep.equal([
        [crashBlock + 1, 0n, recorded, recorded],
      ]);
      expect(await fx.pool.recognizedShortfall(borrower.address)).to.equal(recorded);
      // Exits are priced net of the shortfall the reserve does not cover, from B+1 on.
      const block = { blockTag: crashBlock + 1 };
      const [entry, exit, reserve] = await Promise.all([
        fx.pool.entryTotalAssets(block),
        fx.pool.totalAssets(block),
        fx.pool.reserveAssets(block),
      ]);
      expect(exit).to.equal(entry - (recorded - reserve));

      const next = await keeper.tick(); // B+1: the receipt, checked against the model
      expect(next.recognitionChecks).to.deep.equal([{ pool, accounts: 1, status: "verified" }]);
      expect(next.recognitions).to.deep.equal([]); // one block of interest is far below 10 bps of the debt
    } finally {
      await setAutomine(true);
    }
    const sent = logs.find((line) => line.msg === "recognizing losses");
    expect([sent?.accounts, sent?.recognized, sent?.released, sent?.threshold]).to.deep.equal([1, 1, 0, "10bps"]);
    expect(logs.some((line) => line.msg.startsWith("losses recognized and verified"))).to.equal(true);
    expect(await metrics.valueOf("keeper_recognitions_total", { result: "sent" })).to.equal(1);
    expect(await metrics.valueOf("keeper_recognitions_total", { result: "included" })).to.equal(1);
    expect(await metrics.valueOf("keeper_recognized_accounts_total", { direction: "recognized" })).to.equal(1);
    expect(await metrics.valueOf("keeper_stale_shortfall_accounts")).to.equal(0);
    expect(await metrics.valueOf("keeper_verification_failures_total")).to.equal(0);
    const exposition = await metrics.registry.metrics();
    expect(exposition).to.contain('keeper_blocks_detection_to_inclusion_count{action="recognize"} 1');
    expect(exposition).to.contain('keeper_blocks_detection_to_inclusion_sum{action="recognize"} 1');
  });

  it("releases the recorded shortfall in the block after the price recovers", async function () {
    const fx = await loadFixture(oneBorrower);
    const borrower = fx.borrowers[0];
    const { keeper, metrics } = await keeperFor(fx, { minProfit: NEVER_PROFITABLE });
    await keeper.tick();
    await fx.collaterals[0].oracle.setPrice(col0Price(1_400));
    await keeper.tick(); // recognizes (automine: included at once)
    await keeper.tick(); // verifies
    const recorded = await fx.pool.recognizedShortfall(borrower.address);
    expect(recorded).to.be.greaterThan(usd(666));

    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(col0Price(2_000));
      await mineBlock();
      const recoveryBlock = await ethers.provider.getBlockNumber();
      const report = await keeper.tick();
      expect(report.liquidatable).to.equal(0);
      expect(report.recognitions.map((sent) => [sent.accounts, sent.result])).to.deep.equal([
        [[borrower.address], "sent"],
      ]);
      await mineBlock();
      const [, release] = await fx.pool.queryFilter(fx.pool.filters.ShortfallUpdated(borrower.address));
      expect([release.blockNumber, ...release.args.slice(1)]).to.deep.equal([recoveryBlock + 1, recorded, 0n, 0n]);
      const check = await keeper.tick();
      expect(check.recognitionChecks.map((entry) => entry.status)).to.deep.equal(["verified"]);
    } finally {
      await setAutomine(true);
    }
    expect(await fx.pool.totalRecognizedShortfall()).to.equal(0n);
    expect(await fx.pool.totalAssets()).to.equal(await fx.pool.entryTotalAssets());
    expect(await metrics.valueOf("keeper_recognized_accounts_total", { direction: "released" })).to.equal(1);
    expect(await metrics.valueOf("keeper_recognitions_total", { result: "included" })).to.equal(2);
  });

  it("refreshes only changes above --recognition-threshold (loan-asset units or bps of the debt; 0 = any change)", async function () {
    const fx = await loadFixture(oneBorrower);
    const borrower = fx.borrowers[0];
    const fiveUnits = await keeperFor(fx, { minProfit: NEVER_PROFITABLE, recognitionThreshold: "5" });
    const byDefault = await keeperFor(fx, { minProfit: NEVER_PROFITABLE, dryRun: true }); // 10 bps: 14 on 14,000
    await fiveUnits.keeper.tick();
    await byDefault.keeper.tick();

    // 10 COL0 at 1,469.50 recovers 13,995.24: a shortfall of ~4.76, within 5 units.
    await fx.collaterals[0].oracle.setPrice(col0PriceTenths(14_695));
    const small = await fiveUnits.keeper.tick();
    const shortfall = await liveShortfall(fx, borrower, small.block);
    expect(shortfall).to.be.greaterThan(usd("4.7")).and.lessThanOrEqual(usd(5));
    expect(small.liquidatable).to.equal(1); // insolvent, but closing does not pay here
    expect([small.staleShortfalls, small.recognitions.length]).to.deep.equal([0, 0]);

    // At 1,469 it recovers 13,990.48: ~9.52, above 5 units but within 10 bps of the debt.
    await fx.collaterals[0].oracle.setPrice(col0PriceTenths(14_690));
    const defaultReport = await byDefault.keeper.tick();
    expect([defaultReport.staleShortfalls, defaultReport.recognitions.length]).to.deep.equal([0, 0]);
    const larger = await fiveUnits.keeper.tick();
    expect(larger.recognitions.map((sent) => sent.result)).to.deep.equal(["sent"]);
    const recorded = await fx.pool.recognizedShortfall(borrower.address);
    expect(recorded).to.be.greaterThan(usd("9.5")).and.lessThan(usd(14));

    // A day of interest (~3.63) moves it by less than 5 units: not refreshed. With threshold 0 it would be.
    await ethers.provider.send("evm_increaseTime", [24 * 3600]);
    await mineBlock();
    const drifted = await fiveUnits.keeper.tick();
    const drift = (await liveShortfall(fx, borrower, drifted.block)) - recorded;
    expect(drift).to.be.greaterThan(usd("3.6")).and.lessThan(usd(5));
    expect(drifted.recognitions).to.deep.equal([]);
    expect(drifted.recognitionChecks.map((entry) => entry.status)).to.deep.equal(["verified"]);
    const anyChange = await keeperFor(fx, { minProfit: NEVER_PROFITABLE, recognitionThreshold: "0", dryRun: true });
    const zero = await anyChange.keeper.tick();
    expect(zero.recognitions.map((sent) => [sent.accounts, sent.result])).to.deep.equal([
      [[borrower.address], "dry_run"],
    ]);
    expect(await fx.pool.recognizedShortfall(borrower.address)).to.equal(recorded);
  });

  it("batches every stale account of a pool into recognizeLosses, split above --recognition-batch-size, all in B+1", async function () {
    const fx = await loadFixture(threeBorrowers);
    const pool = await fx.pool.getAddress();
    const { keeper, wallet } = await keeperFor(fx, { minProfit: NEVER_PROFITABLE, recognitionBatchSize: 2 });
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(col0Price(1_400)); // shortfalls ~666.67, ~466.67, ~266.67
      await mineBlock();
      const crashBlock = await ethers.provider.getBlockNumber();
      const report = await keeper.tick();
      const [first, second, third] = fx.borrowers.map((borrower) => borrower.address);
      expect(report.recognitions.map((sent) => [sent.accounts, sent.result])).to.deep.equal([
        [[first, second], "sent"], // largest changes first
        [[third], "sent"],
      ]);
      await mineBlock();
      expect(await transactionsFrom(wallet.address, crashBlock + 1)).to.have.length(2);
      const events = await fx.pool.queryFilter(fx.pool.filters.ShortfallUpdated());
      expect(events.map((event) => [event.blockNumber, event.args.account])).to.deep.equal([
        [crashBlock + 1, first],
        [crashBlock + 1, second],
        [crashBlock + 1, third],
      ]);
      let total = 0n;
      for (const event of events) {
        total += event.args.shortfallAfter;
        expect(event.args.totalShortfall).to.equal(total);
        expect(event.args.shortfallAfter).to.equal(await fx.pool.recognizedShortfall(event.args.account));
      }
      expect(await fx.pool.totalRecognizedShortfall()).to.equal(total);
      const check = await keeper.tick();
      expect(check.recognitionChecks).to.deep.equal([
        { pool, accounts: 2, status: "verified" },
        { pool, accounts: 1, status: "verified" },
      ]);
    } finally {
      await setAutomine(true);
    }
  });

  it("closes an account whose shortfall was recognized: the realization's exit prices match the model and barely move", async function () {
    const fx = await loadFixture(oneBorrower);
    const borrower = fx.borrowers[0];
    const recognizer = await keeperFor(fx, { minProfit: NEVER_PROFITABLE });
    await recognizer.keeper.tick();
    await fx.collaterals[0].oracle.setPrice(col0Price(1_400));
    await recognizer.keeper.tick();
    await recognizer.keeper.tick();
    const recognized = await fx.pool.recognizedShortfall(borrower.address);
    const exitPriceRecognized = await fx.pool.sharePrice();
    expect(exitPriceRecognized).to.be.lessThan(await fx.pool.entrySharePrice());

    const closer = await keeperFor(fx, {}, { walletIndex: SECOND_KEEPER });
    const report = await closer.keeper.tick();
    expect(report.sends.map((send) => [send.action, send.result])).to.deep.equal([["close", "sent"]]);
    expect(report.recognitions).to.deep.equal([]);
    const verification = await closer.keeper.tick();
    expect(verification.realizations.map((entry) => entry.status)).to.deep.equal(["verified"]);

    const [realized] = await fx.pool.queryFilter(fx.pool.filters.BadDebtRealized(borrower.address));
    const { badDebtAssets, sharePriceBefore, sharePriceAfter } = realized.args;
    // The residual is the recognized shortfall plus the interest since: the exit price had already fallen.
    expect(badDebtAssets - recognized).to.be.lessThan(usd("0.01"));
    expect(sharePriceBefore - sharePriceAfter).to.be.lessThanOrEqual(1n);
    expect(exitPriceRecognized - sharePriceAfter).to.be.lessThanOrEqual(1n);
    expect(await fx.pool.sharePrice({ blockTag: realized.blockNumber })).to.equal(sharePriceAfter);
    const [cleared] = (await fx.pool.queryFilter(fx.pool.filters.ShortfallUpdated(borrower.address))).slice(-1);
    expect([cleared.transactionHash, cleared.args.shortfallAfter]).to.deep.equal([realized.transactionHash, 0n]);
    expect(await fx.pool.totalRecognizedShortfall()).to.equal(0n);
    expect(closer.logs.some((line) => line.msg.startsWith("bad debt realized and verified"))).to.equal(true);
    expect(await closer.metrics.valueOf("keeper_verification_failures_total")).to.equal(0);
  });

  it("reports a recognition that does not match the model as an error and an alert metric", async function () {
    const fx = await loadFixture(oneBorrower);
    const { keeper, logs, metrics } = await keeperFor(fx, { minProfit: NEVER_PROFITABLE });
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(col0Price(1_400));
      await mineBlock();
      await keeper.tick();
      // Corrupt the journal: the keeper now believes the account had a recorded shortfall of 1 at the scan.
      const [entry] = keeper.executor.pending();
      expect([entry.action, entry.accounts, entry.recordedAtScan]).to.deep.equal([
        "recognize",
        [fx.borrowers[0].address],
        ["0"],
      ]);
      entry.recordedAtScan = ["1"];
      await mineBlock();
      const report = await keeper.tick();
      expect(report.recognitionChecks.map((check) => check.status)).to.deep.equal(["mismatch"]);
    } finally {
      await setAutomine(true);
    }
    const failure = logs.find((line) => line.msg === "recognition verification FAILED");
    expect(failure?.level).to.equal(50);
    expect((failure?.problems as string[])[0]).to.equal(`${fx.borrowers[0].address}: shortfallBefore 0 != model 1`);
    expect(await metrics.valueOf("keeper_verification_failures_total", { kind: "recognition" })).to.equal(1);
  });

  it("closes an insolvent account whose other collateral's oracle reverts: seizes the priced one, keeps the shortfall recognized", async function () {
    const fx = await loadFixture(twoCollateralBorrower);
    const borrower = fx.borrowers[0];
    const { keeper, wallet, logs, metrics } = await keeperFor(fx);
    await keeper.tick();
    await fx.collaterals[1].oracle.setReverting(true); // 0.001 COL1: 30 at its last trusted price
    await fx.collaterals[0].oracle.setPrice(col0Price(1_400));
    const [view] = await fx.lens.accounts(await fx.pool.getAddress(), [borrower.address]);
    expect([view.priced, view.shortfall > 0n]).to.deep.equal([false, true]);

    const report = await keeper.tick();
    expect(report.decisions.map((decision) => decision.kind)).to.deep.equal(["close"]);
    expect(report.recognitions).to.deep.equal([]);
    const [closed] = await fx.pool.queryFilter(fx.pool.filters.InsolventAccountClosed(wallet.address));
    expect(closed.args.seizedValue).to.equal(usd(14_000));
    expect(closed.args.badDebtAssets).to.equal(0n); // 30 of escrowed collateral is above dust 5
    const seized = await fx.pool.queryFilter(fx.pool.filters.CollateralSeized(borrower.address));
    expect(seized.map((event) => event.args.collateral)).to.deep.equal([await fx.collaterals[0].token.getAddress()]);
    const [shortfall] = await fx.pool.accountShortfall(borrower.address);
    expect(await fx.pool.recognizedShortfall(borrower.address)).to.equal(shortfall);
    expect(shortfall).to.be.greaterThan(usd(600));

    const after = await keeper.tick(); // the close refreshed the shortfall itself: nothing to recognize
    expect([after.staleShortfalls, after.recognitions.length]).to.deep.equal([0, 0]);
    expect(keeper.position(await fx.pool.getAddress(), borrower.address).collateral.size).to.equal(1);
    expect(await metrics.valueOf("keeper_model_divergence_total")).to.equal(0);
    expect(logs.some((line) => line.msg.startsWith("the model's account figures differ"))).to.equal(false);
  });
});
