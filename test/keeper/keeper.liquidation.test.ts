import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sharePrice } from "../../keepers/src/model/poolMath";
import { priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import {
  deployKeeperPool,
  KEEPER_LOAN_DECIMALS,
  keeperFor,
  mineBlock,
  setAutomine,
  transactionsFrom,
} from "./harness";

const LOAN_DECIMALS = KEEPER_LOAN_DECIMALS;
const usd = (amount: number | string): bigint => units(amount, LOAN_DECIMALS);

/** 6-decimals loan asset; COL0 (18 decimals) at 2,000 and COL1 (8 decimals) at 30,000; dust 5; ~9.5% APR. */
function keeperPool(): Promise<PoolFixture> {
  return deployKeeperPool([60_000, 40_000]);
}

/** borrower0: 10 COL0 (20,000), borrows 14,000. */
async function oneBorrower(): Promise<PoolFixture> {
  const fx = await keeperPool();
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
  return fx;
}

/** borrower0: 5 COL0 (10,000) + 0.5 COL1 (15,000), borrows 18,000; 30 days of interest. */
async function multiCollateralBorrower(): Promise<PoolFixture> {
  const fx = await keeperPool();
  await supplyAndBorrow(fx, fx.borrowers[0], [units(5, 18), units("0.5", 8)], usd(18_000));
  await network.provider.send("evm_increaseTime", [30 * 24 * 3600]);
  await fx.pool.accrueInterest();
  return fx;
}

/** borrower1: 0.01 COL0 (20), borrows 14: a crash to 400 leaves 4 of collateral (≤ dust 5) against 14 of debt. */
async function dustBorrower(): Promise<PoolFixture> {
  const fx = await keeperPool();
  await supplyAndBorrow(fx, fx.borrowers[1], [units("0.01", 18)], usd(14));
  return fx;
}

describe("keeper: liquidation strategy and execution", function () {
  restoreChainAfterSuite();

  it("liquidates in block B+1 an account a price crash in block B made unhealthy", async function () {
    const fx = await loadFixture(oneBorrower);
    const { keeper, wallet } = await keeperFor(fx);
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
      await mineBlock();
      const crashBlock = await ethers.provider.getBlockNumber();
      const report = await keeper.tick();
      expect(report.block).to.equal(crashBlock);
      expect(report.liquidatable).to.equal(1);
      expect(report.sends.map((send) => [send.borrower, send.action, send.result])).to.deep.equal([
        [fx.borrowers[0].address, "liquidate", "sent"],
      ]);
      await mineBlock();
      expect(await transactionsFrom(wallet.address, crashBlock + 1)).to.have.length(1);
      const events = await fx.pool.queryFilter(fx.pool.filters.Liquidate(wallet.address), crashBlock + 1);
      expect(events.map((event) => [event.blockNumber, event.args.borrower])).to.deep.equal([
        [crashBlock + 1, fx.borrowers[0].address],
      ]);
    } finally {
      await setAutomine(true);
    }
  });

  it("closes a multi-collateral insolvent account in one call, seizing every collateral and realizing and verifying the bad debt", async function () {
    const fx = await loadFixture(multiCollateralBorrower);
    const poolAddress = await fx.pool.getAddress();
    const { keeper, wallet, logs, metrics } = await keeperFor(fx);
    await keeper.tick();
    // Both collaterals lose half their value: 5,000 + 7,500 against ~18,140 of debt.
    await fx.collaterals[0].oracle.setPrice(priceE36(1_000, LOAN_DECIMALS, 18));
    await fx.collaterals[1].oracle.setPrice(priceE36(15_000, LOAN_DECIMALS, 8));

    const detection = await keeper.tick(); // one call: closeInsolventAccount
    await keeper.tick(); // its receipt: verification
    expect(detection.decisions.map((decision) => decision.kind)).to.deep.equal(["close"]);
    const [plan] = detection.decisions;
    if (plan.kind !== "close") throw new Error("expected a close");
    expect(plan.quote.seizedValue).to.equal(usd(12_500));
    expect(plan.minSeizedValue).to.equal(usd(12_500) - usd(12_500) / 200n); // 0.5% under the quote
    // The keeper's close refreshes the account itself: no separate recognition.
    expect(detection.recognitions).to.deep.equal([]);

    const [closed] = await fx.pool.queryFilter(fx.pool.filters.InsolventAccountClosed(wallet.address));
    expect(closed.args.borrower).to.equal(fx.borrowers[0].address);
    expect(closed.args.seizedValue).to.equal(usd(12_500));
    const seized = await fx.pool.queryFilter(fx.pool.filters.CollateralSeized(fx.borrowers[0].address));
    expect(seized.map((event) => [event.args.collateral, event.args.assets, event.blockNumber])).to.deep.equal([
      [await fx.collaterals[0].token.getAddress(), units(5, 18), closed.blockNumber],
      [await fx.collaterals[1].token.getAddress(), units("0.5", 8), closed.blockNumber],
    ]);
    const [realized] = await fx.pool.queryFilter(fx.pool.filters.BadDebtRealized(fx.borrowers[0].address));
    expect(realized.transactionHash).to.equal(closed.transactionHash);
    expect(realized.args.badDebtAssets).to.equal(closed.args.badDebtAssets);
    expect(await fx.pool.debtOf(fx.borrowers[0].address)).to.equal(0n);
    expect(await fx.pool.queryFilter(fx.pool.filters.Liquidate())).to.deep.equal([]);

    // LPs lost exactly the socialized amount: exit assets after = before − socialized, at the same share supply
    // (nothing was recognized before, and the reserve covered part of it).
    const { badDebtAssets, coveredByReserve, socializedAssets, sharePriceBefore, sharePriceAfter } = realized.args;
    expect(coveredByReserve + socializedAssets).to.equal(badDebtAssets);
    expect(coveredByReserve).to.be.greaterThan(0n);
    const block = realized.blockNumber;
    const totalAssetsAfter = await fx.pool.totalAssets({ blockTag: block });
    const supply = await fx.pool.totalSupply({ blockTag: block });
    const shareDecimals = await fx.pool.decimals();
    expect(sharePriceAfter).to.equal(sharePrice(totalAssetsAfter, supply, shareDecimals));
    expect(sharePriceBefore).to.equal(sharePrice(totalAssetsAfter + socializedAssets, supply, shareDecimals));
    expect(await fx.pool.sharePrice({ blockTag: block })).to.equal(sharePriceAfter);

    const verified = logs.find((line) => line.msg.startsWith("bad debt realized and verified"));
    expect(verified?.badDebt).to.equal(badDebtAssets.toString());
    expect(verified?.socialized).to.equal(socializedAssets.toString());
    expect(await metrics.valueOf("keeper_verification_failures_total")).to.equal(0);
    expect(await metrics.valueOf("keeper_bad_debt_realized_assets_total")).to.equal(Number(badDebtAssets));
    expect(await metrics.valueOf("keeper_liquidations_total", { action: "close", result: "included" })).to.equal(1);
    // The mirror followed the close's events: the account is gone.
    expect(keeper.tracked()[poolAddress]).to.deep.equal([]);
  });

  it("reports a realization that does not match the model as an error and an alert metric", async function () {
    const fx = await loadFixture(multiCollateralBorrower);
    const { keeper, logs, metrics } = await keeperFor(fx);
    await keeper.tick();
    await fx.collaterals[0].oracle.setPrice(priceE36(1_000, LOAN_DECIMALS, 18));
    await fx.collaterals[1].oracle.setPrice(priceE36(15_000, LOAN_DECIMALS, 8));
    await setAutomine(false);
    try {
      await mineBlock();
      await keeper.tick(); // sends the close
      // Corrupt the journal: the keeper now believes it sent a socialization, so the model expects the whole debt.
      const [entry] = keeper.executor.pending();
      expect(entry.action).to.equal("close");
      expect(entry.expectsBadDebtRealization).to.equal(true);
      entry.action = "socialize";
      await mineBlock();
      await keeper.tick();
    } finally {
      await setAutomine(true);
    }
    const failure = logs.find((line) => line.msg === "realization verification FAILED");
    expect(failure?.level).to.equal(50); // pino "error"
    expect((failure?.problems as string[])[0]).to.match(/^badDebt \d+ != model \d+ \(±1\)$/);
    expect(await metrics.valueOf("keeper_verification_failures_total", { kind: "realization" })).to.equal(1);
  });

  it("socializes a dust account even though no liquidation bonus pays for the gas", async function () {
    const fx = await loadFixture(dustBorrower);
    // A liquidation would have to earn 1 dollar net: this one cannot.
    const { keeper, wallet, logs } = await keeperFor(fx, { minProfit: "1" });
    await keeper.tick();
    await fx.collaterals[0].oracle.setPrice(priceE36(400, LOAN_DECIMALS, 18)); // 4 of collateral, 14 of debt
    const report = await keeper.tick();
    expect(report.decisions.map((decision) => decision.kind)).to.deep.equal(["socialize"]);
    expect(report.sends.map((send) => send.result)).to.deep.equal(["sent"]);
    await keeper.tick();

    const [swept] = await fx.pool.queryFilter(fx.pool.filters.DustCollateralSwept(fx.borrowers[1].address));
    expect(swept.args.receiver).to.equal(wallet.address);
    expect(swept.args.assets).to.equal(units("0.01", 18));
    const [realized] = await fx.pool.queryFilter(fx.pool.filters.BadDebtRealized(fx.borrowers[1].address));
    expect(realized.args.badDebtAssets).to.be.greaterThanOrEqual(usd(14));
    expect(logs.some((line) => line.msg.startsWith("bad debt realized and verified"))).to.equal(true);
  });

  it("skips a liquidation that the current fee makes unprofitable, with the reason in the log and a metric", async function () {
    const fx = await loadFixture(oneBorrower);
    const { keeper, wallet, logs, metrics } = await keeperFor(fx);
    await keeper.tick();
    await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
    // Fees spike: at 2,000 gwei a liquidation costs ~0.3 native tokens (~1,000 dollars), more than its ~350 bonus.
    await network.provider.send("hardhat_setNextBlockBaseFeePerGas", [
      ethers.toQuantity(ethers.parseUnits("2000", "gwei")),
    ]);
    await mineBlock();
    const nonceBefore = await ethers.provider.getTransactionCount(wallet.address);
    const report = await keeper.tick();
    expect(report.sends.map((send) => send.result)).to.deep.equal(["skipped_unprofitable"]);
    const skipped = logs.find((line) => line.msg === "liquidation skipped");
    expect(skipped?.reason).to.equal("unprofitable");
    expect(String(skipped?.detail)).to.match(/^bonus \d+ - gas \d+ = -\d+ < minimum profit 0/);
    expect(
      await metrics.valueOf("keeper_liquidations_total", {
        result: "skipped_unprofitable",
      }),
    ).to.equal(1);
    expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonceBefore);
  });

  it("bumps the fee of a stuck liquidation with the same nonce, within the profit cap", async function () {
    const fx = await loadFixture(oneBorrower);
    const { keeper, wallet } = await keeperFor(fx, { bumpAfterBlocks: 1 });
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
      await mineBlock();
      await keeper.tick();
      const [entry] = keeper.executor.pending();
      // The next block's base fee is above the transaction's max fee: it stays in the mempool.
      const stuckFee = BigInt(entry.maxFeePerGasWei) + 1n;
      await network.provider.send("hardhat_setNextBlockBaseFeePerGas", [ethers.toQuantity(stuckFee)]);
      await mineBlock();
      expect(await transactionsFrom(wallet.address, await ethers.provider.getBlockNumber())).to.have.length(0);
      await keeper.tick(); // sees no receipt after 1 block: replaces with a higher fee
      expect(entry.hashes).to.have.length(2);
      expect(entry.bumps).to.equal(1);
      expect(BigInt(entry.maxFeePerGasWei)).to.be.greaterThan(stuckFee);
      await mineBlock();
      await keeper.tick();
      expect(entry.status).to.equal("included");
      expect(entry.includedHash).to.equal(entry.hashes[1]);
      const liquidations = await fx.pool.queryFilter(fx.pool.filters.Liquidate(wallet.address));
      expect(liquidations).to.have.length(1);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(entry.nonce + 1);
    } finally {
      await setAutomine(true);
    }
  });

  it("gives up on a transaction stuck beyond the fee caps after --receipt-timeout-blocks, with an error and a metric", async function () {
    const fx = await loadFixture(oneBorrower);
    const { keeper, logs, metrics } = await keeperFor(fx, {
      bumpAfterBlocks: 1,
      receiptTimeoutBlocks: 3,
      maxGasPriceWei: ethers.parseUnits("3", "gwei"),
    });
    await keeper.tick();
    await setAutomine(false);
    try {
      await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
      await mineBlock();
      await keeper.tick();
      const [entry] = keeper.executor.pending();
      // The base fee jumps above the 3 gwei cap: the keeper may not follow it.
      for (let block = 0; block < 3; block++) {
        await network.provider.send("hardhat_setNextBlockBaseFeePerGas", [
          ethers.toQuantity(ethers.parseUnits("5", "gwei")),
        ]);
        await mineBlock();
        await keeper.tick();
      }
      expect(entry.status).to.equal("timed_out");
      expect(entry.hashes.length).to.be.lessThanOrEqual(2);
      expect(logs.some((line) => line.msg.startsWith("transaction stuck and its fee cannot be bumped"))).to.equal(true);
      expect(logs.some((line) => line.msg.startsWith("no receipt within --receipt-timeout-blocks"))).to.equal(true);
      expect(await metrics.valueOf("keeper_liquidations_total", { result: "timed_out" })).to.equal(1);
      await network.provider.send("hardhat_dropTransaction", [entry.hashes[entry.hashes.length - 1]]);
    } finally {
      await setAutomine(true);
    }
  });
});
