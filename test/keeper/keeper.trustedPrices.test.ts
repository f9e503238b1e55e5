import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MAX_TRUSTED_PRICE_AGE, repaidForSeizedDown, shortfallOf } from "../../keepers/src/model/poolMath";
import { DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS } from "../../keepers/src/trustedPrices";
import { priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import {
  deployKeeperPool,
  KEEPER_LOAN_DECIMALS,
  keeperFor,
  mineBlock,
  setAutomine,
  transactionsFrom,
  type LogLine,
} from "./harness";

const LOAN_DECIMALS = KEEPER_LOAN_DECIMALS;
const usd = (amount: number | string): bigint => units(amount, LOAN_DECIMALS);
/** A minimum profit no close or liquidation here reaches: the keeper only recognizes. */
const NEVER_PROFITABLE = "1000000";
/** priceE36 of COL0 (18 decimals) at `dollars`. */
const col0Price = (dollars: number): bigint => priceE36(dollars, LOAN_DECIMALS, 18);
/** priceE36 of COL1 (8 decimals) at `dollars`. */
const col1Price = (dollars: number): bigint => priceE36(dollars, LOAN_DECIMALS, 8);
const WARN = 40;
const UNPRICED_MESSAGE =
  "accounts hold a collateral with no price (a failing oracle and an expired trusted price): not liquidating, " +
  "closing or socializing them; their shortfall is recognized with that collateral at 0";

/** 6-decimals loan asset; COL0 (18 decimals) at 2,000, COL1 (8 decimals) at 30,000, bonus 5%; dust 5; ~9.5% APR. */
function twoCollateralPool(): Promise<PoolFixture> {
  return deployKeeperPool([100_000]);
}

/** borrower0: 10 COL0 (20,000) + 0.001 COL1 (30), borrows 14,000: healthy (health 1.14). */
async function bothCollaterals(): Promise<PoolFixture> {
  const fx = await twoCollateralPool();
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18), units("0.001", 8)], usd(14_000));
  return fx;
}

/** borrower0: 10 COL0 (20,000), borrows 14,000; nobody holds COL1. */
async function col0Only(): Promise<PoolFixture> {
  const fx = await twoCollateralPool();
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
  return fx;
}

async function collateralAddresses(fx: PoolFixture): Promise<[string, string]> {
  return [await fx.collaterals[0].token.getAddress(), await fx.collaterals[1].token.getAddress()];
}

/** The collaterals and prices of the `LastTrustedPriceUpdated` events of transaction `hash`. */
async function trustedPriceUpdates(fx: PoolFixture, hash: string): Promise<[string, bigint][]> {
  const receipt = await ethers.provider.getTransactionReceipt(hash);
  return (receipt?.logs ?? [])
    .map((log) => fx.pool.interface.parseLog(log))
    .filter((parsed) => parsed?.name === "LastTrustedPriceUpdated")
    .map((parsed) => [parsed!.args.collateral as string, parsed!.args.priceE36 as bigint]);
}

/** The keeper's `refreshTrustedPrices()` transactions in its journal, oldest first. */
function refreshEntries(keeper: Awaited<ReturnType<typeof keeperFor>>["keeper"]) {
  return keeper.state.journal.filter((entry) => entry.action === "refresh");
}

const linesWith = (logs: readonly LogLine[], msg: string): LogLine[] => logs.filter((line) => line.msg === msg);

describe("keeper: trusted-price upkeep", function () {
  restoreChainAfterSuite();

  it("refreshes every listed collateral's trusted price once it is --trusted-price-refresh old (90 minutes by default), not before", async function () {
    const fx = await loadFixture(bothCollaterals);
    const pool = await fx.pool.getAddress();
    const [col0, col1] = await collateralAddresses(fx);
    const { keeper, metrics } = await keeperFor(fx);
    const refreshAge = BigInt(DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS);
    expect(refreshAge).to.equal(MAX_TRUSTED_PRICE_AGE / 4n);
    expect(refreshAge).to.equal(5_400n);
    expect((await keeper.tick()).trustedPriceRefreshes).to.deep.equal([]);

    const [, col0ListedAt] = await fx.pool.lastTrustedPrice(col0);
    const [, col1ListedAt] = await fx.pool.lastTrustedPrice(col1);
    expect(col1ListedAt).to.be.greaterThan(col0ListedAt); // listed a few blocks later
    await time.increaseTo(col0ListedAt + refreshAge - 1n);
    const early = await keeper.tick();
    expect(early.trustedPriceRefreshes).to.deep.equal([]);
    expect(await metrics.valueOf("keeper_trusted_price_age_seconds", { collateral: col0 })).to.equal(5_399);

    await time.increaseTo(col1ListedAt + refreshAge); // both are 90 minutes old or more
    const due = await keeper.tick();
    expect(due.trustedPriceRefreshes).to.deep.equal([
      { pool, collaterals: [col0, col1], result: "sent", detail: undefined },
    ]);
    const [entry] = refreshEntries(keeper);
    expect(await trustedPriceUpdates(fx, entry.hashes[0])).to.deep.equal([
      [col0, col0Price(2_000)],
      [col1, col1Price(30_000)],
    ]);
    const receipt = await ethers.provider.getTransactionReceipt(entry.hashes[0]);
    const refreshBlock = await ethers.provider.getBlock(receipt!.blockNumber);
    for (const collateral of [col0, col1]) {
      const [, updatedAt] = await fx.pool.lastTrustedPrice(collateral);
      expect(updatedAt).to.equal(BigInt(refreshBlock!.timestamp));
    }

    const after = await keeper.tick(); // the receipt; both prices fresh again
    expect(after.trustedPriceRefreshes).to.deep.equal([]);
    expect(await metrics.valueOf("keeper_trusted_price_refreshes_total", { result: "sent" })).to.equal(1);
    expect(await metrics.valueOf("keeper_trusted_price_refreshes_total", { result: "included" })).to.equal(1);
    // Scanned at the refresh's own block (automine): both prices were stored at its timestamp.
    expect(await metrics.valueOf("keeper_trusted_price_age_seconds", { collateral: col0 })).to.equal(0);
  });

  it("refreshes a price that moved beyond --trusted-price-tolerance-bps (100 by default), not one that moved less", async function () {
    const fx = await loadFixture(bothCollaterals);
    const pool = await fx.pool.getAddress();
    const [col0] = await collateralAddresses(fx);
    const { keeper, logs } = await keeperFor(fx);
    const loose = await keeperFor(fx, { trustedPriceToleranceBps: 200, dryRun: true });
    await keeper.tick();
    await loose.keeper.tick();

    await fx.collaterals[0].oracle.setPrice(col0Price(2_018)); // +0.9%
    expect((await keeper.tick()).trustedPriceRefreshes).to.deep.equal([]);

    await fx.collaterals[0].oracle.setPrice(col0Price(2_030)); // +1.5%
    expect((await loose.keeper.tick()).trustedPriceRefreshes).to.deep.equal([]);
    const moved = await keeper.tick();
    // Only COL0 is due: COL1's price is unchanged and recent, so the pool would not store it again.
    expect(moved.trustedPriceRefreshes).to.deep.equal([
      { pool, collaterals: [col0], result: "sent", detail: undefined },
    ]);
    const [sent] = linesWith(logs, "refreshing trusted prices");
    const [logged] = sent.collaterals as Record<string, string>[];
    expect([
      logged.collateral,
      logged.reason,
      logged.livePriceE36,
      logged.trustedPriceE36,
      logged.deviationBps,
    ]).to.deep.equal([col0, "deviation", String(col0Price(2_030)), String(col0Price(2_000)), "150"]);
    expect([sent.level, sent.toleranceBps, sent.refreshSeconds]).to.deep.equal([30, "100", "5400"]);
    const [entry] = refreshEntries(keeper);
    expect(await trustedPriceUpdates(fx, entry.hashes[0])).to.deep.equal([[col0, col0Price(2_030)]]);
    const [trustedPrice] = await fx.pool.lastTrustedPrice(col0);
    expect(trustedPrice).to.equal(col0Price(2_030));
    expect((await keeper.tick()).trustedPriceRefreshes).to.deep.equal([]);
  });

  it("with a shorter --trusted-price-refresh refreshes a price that moved a little, and never sends a call that would store nothing", async function () {
    const fx = await loadFixture(bothCollaterals);
    const pool = await fx.pool.getAddress();
    const [col0, col1] = await collateralAddresses(fx);
    const { keeper, wallet } = await keeperFor(fx, { trustedPriceRefreshSeconds: 3_600 });
    await keeper.tick();
    const [, col1ListedAt] = await fx.pool.lastTrustedPrice(col1);
    await time.increaseTo(col1ListedAt + 4_000n);
    const nonceBefore = await ethers.provider.getTransactionCount(wallet.address);
    // Over an hour old but unchanged: the pool re-dates an unchanged price only after MAX_TRUSTED_PRICE_AGE / 4.
    expect((await keeper.tick()).trustedPriceRefreshes).to.deep.equal([]);
    expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonceBefore);

    await fx.collaterals[0].oracle.setPrice(col0Price(2_002)); // +0.1%: within tolerance, but over an hour old
    const report = await keeper.tick();
    expect(report.trustedPriceRefreshes).to.deep.equal([
      { pool, collaterals: [col0], result: "sent", detail: undefined },
    ]);
    const [entry] = refreshEntries(keeper);
    expect(await trustedPriceUpdates(fx, entry.hashes[0])).to.deep.equal([[col0, col0Price(2_002)]]);
  });

  it("leaves to a recognition the price it records, and refreshes the other collateral in the same block after it", async function () {
    const fx = await loadFixture(col0Only);
    const pool = await fx.pool.getAddress();
    const borrower = fx.borrowers[0].address;
    const [col0, col1] = await collateralAddresses(fx);
    const { keeper, wallet } = await keeperFor(fx, { minProfit: NEVER_PROFITABLE });
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(col0Price(1_400)); // borrower0 insolvent
      await fx.collaterals[1].oracle.setPrice(col1Price(27_000)); // −10%, nobody holds it
      await mineBlock();
      const crashBlock = await ethers.provider.getBlockNumber();
      const report = await keeper.tick();
      expect(report.recognitions.map((sent) => [sent.accounts, sent.result])).to.deep.equal([[[borrower], "sent"]]);
      expect(report.trustedPriceRefreshes).to.deep.equal([
        { pool, collaterals: [col1], result: "sent", detail: undefined },
      ]);
      await mineBlock();
      const [recognition, refresh] = await transactionsFrom(wallet.address, crashBlock + 1);
      expect(await trustedPriceUpdates(fx, recognition)).to.deep.equal([[col0, col0Price(1_400)]]);
      expect(await trustedPriceUpdates(fx, refresh)).to.deep.equal([[col1, col1Price(27_000)]]);
      const next = await keeper.tick();
      expect(next.recognitionChecks.map((check) => check.status)).to.deep.equal(["verified"]);
      expect(next.trustedPriceRefreshes).to.deep.equal([]);
    } finally {
      await setAutomine(true);
    }
  });

  it("does not refresh a price a competitor's pending liquidation records, nor twice while its own refresh is pending", async function () {
    const fx = await loadFixture(col0Only);
    const [col0] = await collateralAddresses(fx);
    const { keeper, wallet } = await keeperFor(fx, { minProfit: NEVER_PROFITABLE });
    await keeper.tick();
    await setAutomine(false);
    try {
      // A competitor liquidates borrower0 at 1,700 (health 0.97): its pending call records COL0's new price.
      await fx.collaterals[0].oracle.setPrice(col0Price(1_700));
      await mineBlock();
      await fx.pool
        .connect(fx.liquidator)
        .liquidate(fx.borrowers[0].address, col0, usd(1_000), 0n, fx.liquidator.address);
      const report = await keeper.tick();
      expect([report.liquidatable, report.trustedPriceRefreshes]).to.deep.equal([1, []]);
      await mineBlock();
      const [liquidation] = await fx.pool.queryFilter(fx.pool.filters.Liquidate(fx.liquidator.address));
      expect(await trustedPriceUpdates(fx, liquidation.transactionHash)).to.deep.equal([[col0, col0Price(1_700)]]);
      expect(await transactionsFrom(wallet.address, liquidation.blockNumber)).to.deep.equal([]);

      // Its own refresh, not yet mined, is not sent again in the next block.
      await fx.collaterals[0].oracle.setPrice(col0Price(1_900));
      await mineBlock();
      const first = await keeper.tick();
      expect(first.trustedPriceRefreshes.map((sent) => sent.result)).to.deep.equal(["sent"]);
      const [entry] = refreshEntries(keeper);
      await ethers.provider.send("hardhat_dropTransaction", [entry.hashes[0]]); // stuck: the node forgot it
      await mineBlock();
      const second = await keeper.tick(); // re-broadcasts the journaled one, plans no other
      expect(second.trustedPriceRefreshes).to.deep.equal([]);
      await mineBlock();
      await keeper.tick();
      expect(refreshEntries(keeper).map((refresh) => refresh.status)).to.deep.equal(["included"]);
      const [trustedPrice] = await fx.pool.lastTrustedPrice(col0);
      expect(trustedPrice).to.equal(col0Price(1_900));
    } finally {
      await setAutomine(true);
    }
  });

  it("never closes an account whose failing collateral's trusted price expired, recognizes its shortfall with it at 0, warns once, and closes it once the feed returns", async function () {
    const fx = await loadFixture(bothCollaterals);
    const pool = await fx.pool.getAddress();
    const borrower = fx.borrowers[0].address;
    const [col0, col1] = await collateralAddresses(fx);
    const { keeper, wallet, logs, metrics } = await keeperFor(fx); // closes whenever it pays
    await keeper.tick();

    // COL1's feed fails: valued at its trusted price for MAX_TRUSTED_PRICE_AGE, with one warning saying until when.
    await fx.collaterals[1].oracle.setReverting(true);
    expect((await keeper.tick()).unpricedAccounts).to.equal(0);
    const [, col1TrustedAt] = await fx.pool.lastTrustedPrice(col1);
    const failing = linesWith(
      logs,
      "collateral's oracle fails: the pool values it at its last trusted price until trustedPriceExpiresAt; after " +
        "that its holders can be neither liquidated, closed nor socialized, and their shortfall counts it at 0, until " +
        "the oracle answers or the pool owner replaces it (setCollateralParams)",
    );
    expect(failing.map((line) => [line.level, line.collateral, line.trustedPriceExpiresAt])).to.deep.equal([
      [WARN, col1, String(col1TrustedAt + MAX_TRUSTED_PRICE_AGE)],
    ]);

    // Past it, COL1 has no price; then COL0 crashes: insolvent, and closing would pay, but the pool refuses it.
    await time.increaseTo(col1TrustedAt + MAX_TRUSTED_PRICE_AGE + 1n);
    await fx.collaterals[0].oracle.setPrice(col0Price(1_400));
    const nonceBefore = await ethers.provider.getTransactionCount(wallet.address);
    const crash = await keeper.tick();
    expect(crash.unpricedAccounts).to.equal(1);
    expect([crash.decisions, crash.sends]).to.deep.equal([[], []]);
    await expect(fx.pool.closeInsolventAccount.staticCall(borrower, 0n, wallet.address))
      .to.be.revertedWithCustomError(fx.pool, "PriceUnavailable")
      .withArgs(col1);
    await expect(fx.pool.liquidate.staticCall(borrower, col0, usd(1_000), 0n, wallet.address))
      .to.be.revertedWithCustomError(fx.pool, "PriceUnavailable")
      .withArgs(col1);
    // Its shortfall is recognized as the pool values it: COL0 at its live price, COL1 at 0. The recognition also
    // stores COL0's price, so no refresh is needed.
    expect(crash.recognitions.map((sent) => [sent.accounts, sent.result])).to.deep.equal([[[borrower], "sent"]]);
    expect(crash.trustedPriceRefreshes).to.deep.equal([]);
    expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonceBefore + 1);
    const [shortfall, debt, recovery] = await fx.pool.accountShortfall(borrower);
    expect(recovery).to.equal(repaidForSeizedDown(units(10, 18), 500n, col0Price(1_400)));
    expect(shortfall).to.equal(shortfallOf(debt, recovery));
    expect(await fx.pool.recognizedShortfall(borrower)).to.equal(shortfall);
    const [view] = await fx.lens.accounts(pool, [borrower]);
    expect([view.priced, view.shortfall, view.recognizedShortfall]).to.deep.equal([false, shortfall, shortfall]);

    const [warning] = linesWith(logs, UNPRICED_MESSAGE);
    expect(warning.level).to.equal(WARN);
    expect(warning.accounts).to.deep.equal([
      {
        account: borrower,
        debt: String(await fx.pool.debtOf(borrower, { blockTag: crash.block })),
        recognizedShortfall: "0",
        collaterals: [col1],
      },
    ]);
    expect(String(warning.action)).to.match(
      /^wait for the collateral's oracle to answer again .*\(setCollateralParams\)/,
    );
    const noPrice = linesWith(
      logs,
      "collateral has no price: its oracle fails and its last trusted price is older than MAX_TRUSTED_PRICE_AGE",
    );
    expect(noPrice.map((line) => [line.level, line.collateral, line.oracle])).to.deep.equal([
      [WARN, col1, await fx.collaterals[1].oracle.getAddress()],
    ]);

    // Logged once: the next block verifies the recognition and adds no warning and no transaction.
    const later = await keeper.tick();
    expect(later.recognitionChecks.map((check) => check.status)).to.deep.equal(["verified"]);
    expect([later.unpricedAccounts, later.sends, later.recognitions, later.trustedPriceRefreshes]).to.deep.equal([
      1,
      [],
      [],
      [],
    ]);
    expect(linesWith(logs, UNPRICED_MESSAGE)).to.have.length(1);
    expect(await metrics.valueOf("keeper_unpriced_accounts", { pool })).to.equal(1);
    for (const result of ["reverted", "skipped_simulation_reverted", "skipped_unpriced"]) {
      expect(await metrics.valueOf("keeper_liquidations_total", { result })).to.equal(0);
      expect(await metrics.valueOf("keeper_recognitions_total", { result })).to.equal(0);
      expect(await metrics.valueOf("keeper_trusted_price_refreshes_total", { result })).to.equal(0);
    }
    expect(await metrics.valueOf("keeper_model_divergence_total")).to.equal(0);

    // The feed answers again: the account is priced, and closed in the same block.
    await fx.collaterals[1].oracle.setReverting(false);
    const back = await keeper.tick();
    expect(back.unpricedAccounts).to.equal(0);
    expect(back.sends.map((send) => [send.action, send.result])).to.deep.equal([["close", "sent"]]);
    expect(await metrics.valueOf("keeper_unpriced_accounts", { pool })).to.equal(0);
    expect(
      linesWith(logs, "collateral's oracle answers again: its holders are valued at the live price"),
    ).to.have.length(1);
    const seized = await fx.pool.queryFilter(fx.pool.filters.CollateralSeized(borrower));
    expect(seized.map((event) => event.args.collateral)).to.deep.equal([col0, col1]);
  });
});
