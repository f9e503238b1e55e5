import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployPool, priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import type { Eip1193Transport } from "../../keepers/src/rpc";
import {
  createTestKeeper,
  fundKeeper,
  hardhatWallet,
  mineBlock,
  newStateDir,
  setAutomine,
  transactionsFrom,
} from "./harness";

const LOAN_DECIMALS = 6;
const usd = (amount: number | string): bigint => units(amount, LOAN_DECIMALS);
const KEEPER_A = 12;
const KEEPER_B = 13;

/** One borrower (10 COL0 = 20,000, debt 14,000) that a crash to 1,600 puts below the full-liquidation health 0.95. */
async function twoKeepersPool(): Promise<PoolFixture> {
  const fx = await deployPool({
    loanDecimals: LOAN_DECIMALS,
    collateralDecimals: [18],
    collateralPrices: [2_000],
    dustThresholdAssets: usd(5),
  });
  await fx.pool.connect(fx.lps[0]).deposit(usd(100_000), fx.lps[0].address);
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
  await fundKeeper(fx, hardhatWallet(KEEPER_A), 1_000_000n);
  await fundKeeper(fx, hardhatWallet(KEEPER_B), 1_000_000n);
  return fx;
}

/** A view of the node whose simulations and gas estimates ignore the mempool. */
function withoutPendingView(inner: Eip1193Transport): Eip1193Transport {
  return {
    request: (args) => {
      if ((args.method === "eth_call" || args.method === "eth_estimateGas") && Array.isArray(args.params)) {
        return inner.request({
          method: args.method,
          params: [args.params[0], "latest"],
        });
      }
      return inner.request(args);
    },
  };
}

async function crash(fx: PoolFixture): Promise<void> {
  // HF 0.91: one liquidation may repay the whole debt, and 16,000 of collateral covers it with the bonus.
  await fx.collaterals[0].oracle.setPrice(priceE36(1_600, LOAN_DECIMALS, 18));
}

/**
 * Keeper A, with its own state dir, ticks once, sees the crash in the next block and sends its liquidation (automine
 * off, so it stays pending); then its process "dies": no stop(), no more ticks.
 */
async function sendThenDie(fx: PoolFixture) {
  const options = { pool: await fx.pool.getAddress(), lens: await fx.lens.getAddress(), walletIndex: KEEPER_A };
  const stateDir = newStateDir();
  const first = await createTestKeeper({ ...options, stateDir });
  await first.keeper.tick();
  const nonceBefore = await ethers.provider.getTransactionCount(first.wallet.address);
  await setAutomine(false);
  await crash(fx);
  await mineBlock();
  await first.keeper.tick();
  const [journaled] = first.keeper.state.journal;
  return { options, stateDir, first, nonceBefore, journaled };
}

describe("keeper: competition and restarts", function () {
  restoreChainAfterSuite();

  it("two keepers on one pool: the first sends, the second sees the pending liquidation and skips", async function () {
    const fx = await loadFixture(twoKeepersPool);
    const options = {
      pool: await fx.pool.getAddress(),
      lens: await fx.lens.getAddress(),
    };
    const a = await createTestKeeper({ ...options, walletIndex: KEEPER_A });
    const b = await createTestKeeper({ ...options, walletIndex: KEEPER_B });
    await a.keeper.tick();
    await b.keeper.tick();
    const noncesBefore = [
      await ethers.provider.getTransactionCount(a.wallet.address),
      await ethers.provider.getTransactionCount(b.wallet.address),
    ];
    await setAutomine(false);
    try {
      await crash(fx);
      await mineBlock();
      const reportA = await a.keeper.tick();
      const reportB = await b.keeper.tick();
      expect(reportA.sends.map((send) => send.result)).to.deep.equal(["sent"]);
      expect(reportB.sends.map((send) => [send.result, send.detail])).to.deep.equal([
        // After A's pending liquidation the account owes nothing: health factor max.
        ["skipped_simulation_reverted", `PositionHealthy(${fx.borrowers[0].address}, ${ethers.MaxUint256})`],
      ]);
      for (let block = 0; block < 3; block++) {
        await mineBlock();
        await a.keeper.tick();
        await b.keeper.tick();
      }
      expect(await ethers.provider.getTransactionCount(a.wallet.address)).to.equal(noncesBefore[0] + 1);
      expect(await ethers.provider.getTransactionCount(b.wallet.address)).to.equal(noncesBefore[1]);
      expect(await fx.pool.queryFilter(fx.pool.filters.Liquidate())).to.have.length(1);
    } finally {
      await setAutomine(true);
    }
  });

  it("two keepers sending in the same block: one wins, the loser's revert is recorded once and never retried", async function () {
    const fx = await loadFixture(twoKeepersPool);
    const options = {
      pool: await fx.pool.getAddress(),
      lens: await fx.lens.getAddress(),
    };
    const a = await createTestKeeper({ ...options, walletIndex: KEEPER_A });
    // B's node does not show A's pending transaction (as when A uses a private relay): B simulates on the latest block.
    const b = await createTestKeeper({
      ...options,
      walletIndex: KEEPER_B,
      wrapTransport: withoutPendingView,
    });
    await a.keeper.tick();
    await b.keeper.tick();
    const noncesBefore =
      (await ethers.provider.getTransactionCount(a.wallet.address)) +
      (await ethers.provider.getTransactionCount(b.wallet.address));
    await setAutomine(false);
    try {
      await crash(fx);
      await mineBlock();
      const [reportA, reportB] = [await a.keeper.tick(), await b.keeper.tick()];
      expect([...reportA.sends, ...reportB.sends].map((send) => send.result)).to.deep.equal(["sent", "sent"]);
      await mineBlock();
      const block = await ethers.provider.getBlockNumber();
      const sent = [
        ...(await transactionsFrom(a.wallet.address, block)),
        ...(await transactionsFrom(b.wallet.address, block)),
      ];
      const statuses = await Promise.all(
        sent.map(async (hash) => (await ethers.provider.getTransactionReceipt(hash))?.status),
      );
      expect(statuses.sort()).to.deep.equal([0, 1]);
      for (let next = 0; next < 3; next++) {
        await a.keeper.tick();
        await b.keeper.tick();
        await mineBlock();
      }
      const results = [...a.keeper.state.journal, ...b.keeper.state.journal].map((entry) => entry.status).sort();
      expect(results).to.deep.equal(["included", "reverted"]);
      const reverted =
        (await a.metrics.valueOf("keeper_liquidations_total", {
          result: "reverted",
        })) +
        (await b.metrics.valueOf("keeper_liquidations_total", {
          result: "reverted",
        }));
      expect(reverted).to.equal(1);
      expect(
        (await ethers.provider.getTransactionCount(a.wallet.address)) +
          (await ethers.provider.getTransactionCount(b.wallet.address)),
      ).to.equal(noncesBefore + 2);
    } finally {
      await setAutomine(true);
    }
  });

  it("restarted between send and receipt: finds the journal, does not send again, and finishes the job", async function () {
    const fx = await loadFixture(twoKeepersPool);
    try {
      const { options, stateDir, first, nonceBefore, journaled } = await sendThenDie(fx);
      expect(journaled.status).to.equal("pending");

      const second = await createTestKeeper({ ...options, stateDir });
      expect(second.keeper.executor.pending().map((entry) => entry.hashes)).to.deep.equal([journaled.hashes]);
      const sameBlock = await second.keeper.tick();
      expect(sameBlock.skippedSameBlock).to.equal(true);
      await mineBlock();
      const next = await second.keeper.tick();
      expect(next.sends).to.deep.equal([]);
      const [entry] = second.keeper.state.journal;
      expect(entry.status).to.equal("included");
      expect(entry.includedHash).to.equal(journaled.hashes[0]);
      expect(await ethers.provider.getTransactionCount(first.wallet.address)).to.equal(nonceBefore + 1);
    } finally {
      await setAutomine(true);
    }
  });

  it("restarted after the node lost the signed transaction: re-broadcasts the same one (same nonce and hash)", async function () {
    const fx = await loadFixture(twoKeepersPool);
    try {
      const { options, stateDir, first, nonceBefore, journaled } = await sendThenDie(fx);
      await network.provider.send("hardhat_dropTransaction", [journaled.hashes[0]]);

      const second = await createTestKeeper({ ...options, stateDir });
      await mineBlock();
      const report = await second.keeper.tick(); // no receipt, nonce unused, unknown to the node: re-broadcast
      expect(report.sends.map((send) => send.result)).to.deep.equal(["skipped_in_flight"]);
      await mineBlock();
      await second.keeper.tick();
      const [entry] = second.keeper.state.journal;
      expect(entry.status).to.equal("included");
      expect(entry.includedHash).to.equal(journaled.hashes[0]);
      expect(await ethers.provider.getTransactionCount(first.wallet.address)).to.equal(nonceBefore + 1);
      expect(await fx.pool.queryFilter(fx.pool.filters.Liquidate())).to.have.length(1);
    } finally {
      await setAutomine(true);
    }
  });
});
