import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Eip1193Transport, RequestArguments } from "../../keepers/src/rpc";
import { deployPool, priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import { createTestKeeper, fundKeeper, hardhatWallet, KEEPER_WALLET_INDEX, mineBlock } from "./harness";

const LOAN_DECIMALS = 6;
const usd = (amount: number | string): bigint => units(amount, LOAN_DECIMALS);

async function pool(): Promise<PoolFixture> {
  const fx = await deployPool({
    loanDecimals: LOAN_DECIMALS,
    collateralDecimals: [18],
    collateralPrices: [2_000],
  });
  await fx.pool.connect(fx.lps[0]).deposit(usd(100_000), fx.lps[0].address);
  await fundKeeper(fx, hardhatWallet(KEEPER_WALLET_INDEX), 1_000_000n);
  return fx;
}

/** Passes requests to the node, except that the next `failuresLeft` fail as a refused connection. */
class FlakyTransport implements Eip1193Transport {
  failuresLeft = 0;
  failed = 0;
  constructor(private readonly inner: Eip1193Transport) {}
  async request(args: RequestArguments): Promise<unknown> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      this.failed++;
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), {
        code: "ECONNREFUSED",
      });
    }
    return this.inner.request(args);
  }
}

describe("keeper: RPC outages and reorgs", function () {
  restoreChainAfterSuite();

  it("retries failed RPC calls with exponential backoff and loses nothing", async function () {
    const fx = await loadFixture(pool);
    let flaky: FlakyTransport | undefined;
    const { keeper, retryDelaysMs, metrics } = await createTestKeeper({
      pool: await fx.pool.getAddress(),
      lens: await fx.lens.getAddress(),
      wrapTransport: (inner) => (flaky = new FlakyTransport(inner)),
    });
    await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
    flaky!.failuresLeft = 3; // the next request fails 3 times, then succeeds on its 4th attempt
    const report = await keeper.tick();
    expect(flaky!.failed).to.equal(3);
    expect(retryDelaysMs).to.deep.equal([5, 10, 20]);
    expect(await metrics.valueOf("keeper_rpc_errors_total")).to.equal(3);
    expect(report.accountsScanned).to.equal(1);
    expect(keeper.tracked()[await fx.pool.getAddress()]).to.deep.equal([fx.borrowers[0].address]);
  });

  it("a longer outage fails the tick; the next tick catches up on every block it missed and liquidates", async function () {
    const fx = await loadFixture(pool);
    let flaky: FlakyTransport | undefined;
    const poolAddress = await fx.pool.getAddress();
    const { keeper, wallet } = await createTestKeeper({
      pool: poolAddress,
      lens: await fx.lens.getAddress(),
      wrapTransport: (inner) => (flaky = new FlakyTransport(inner)),
    });
    await keeper.tick();
    const processedBefore = keeper.state.processedBlock;
    await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
    flaky!.failuresLeft = 100; // longer than the 6 attempts a request gets
    await expect(keeper.tick()).to.be.rejectedWith(/ECONNREFUSED/);
    expect(keeper.state.processedBlock).to.equal(processedBefore);
    // More borrows and the crash happen while the keeper is cut off.
    await supplyAndBorrow(fx, fx.borrowers[1], [units(10, 18)], usd(10_000));
    await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
    flaky!.failuresLeft = 0;
    const report = await keeper.tick();
    expect(keeper.tracked()[poolAddress].sort()).to.deep.equal(
      [fx.borrowers[0].address, fx.borrowers[1].address].sort(),
    );
    expect(report.sends.map((send) => [send.borrower, send.result])).to.deep.equal([[fx.borrowers[0].address, "sent"]]);
    expect(await fx.pool.queryFilter(fx.pool.filters.Liquidate(wallet.address))).to.have.length(1);
  });

  it("rewinds discovery when a block with a borrow is replaced: no phantom account, no missed one", async function () {
    const fx = await loadFixture(pool);
    const poolAddress = await fx.pool.getAddress();
    const { keeper, logs } = await createTestKeeper({
      pool: poolAddress,
      lens: await fx.lens.getAddress(),
      settings: { confirmations: 3 },
    });
    await supplyCollateralOnly(fx);
    await keeper.tick();
    const forkPoint = await ethers.provider.getBlockNumber();
    const snapshot = await network.provider.send("evm_snapshot", []);
    await fx.pool.connect(fx.borrowers[0]).borrow(usd(1_000), fx.borrowers[0].address); // forkPoint + 1
    const orphanedHash = (await ethers.provider.getBlock("latest"))!.hash;
    await keeper.tick();
    expect(keeper.tracked()[poolAddress]).to.deep.equal([fx.borrowers[0].address]);

    // The block with borrower0's borrow is dropped; the new chain has borrower1's borrow instead, and is longer.
    await network.provider.send("evm_revert", [snapshot]);
    await fx.pool.connect(fx.borrowers[1]).borrow(usd(2_000), fx.borrowers[1].address); // new forkPoint + 1
    await mineBlock();
    expect((await ethers.provider.getBlock(forkPoint + 1))!.hash).to.not.equal(orphanedHash);
    const report = await keeper.tick();
    expect(report.rewoundTo).to.equal(forkPoint);
    expect(keeper.tracked()[poolAddress]).to.deep.equal([fx.borrowers[1].address]);
    expect(logs.some((line) => line.msg === "reorg: rewinding discovery")).to.equal(true);
    expect(report.accountsScanned).to.equal(1);
  });
});

/** Both first borrowers post collateral, so either can borrow later. */
async function supplyCollateralOnly(fx: PoolFixture): Promise<void> {
  const collateral = await fx.collaterals[0].token.getAddress();
  for (const borrower of fx.borrowers.slice(0, 2)) {
    await fx.pool.connect(borrower).supplyCollateral(collateral, units(10, 18), borrower.address);
  }
}
