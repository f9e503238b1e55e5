/**
 * The operator's path with real processes: `hardhat node` on a free port, `scripts/deploy.ts` (Ignition,
 * LocalDevnet) against it, the keeper (`keepers/src/main.ts`) as its own process over JSON-RPC; this test seeds
 * positions and crashes the prices over JSON-RPC too, waits for the keeper's BadDebtRealized, checks the LPs'
 * write-down, then stops the keeper (SIGTERM, exit 0) and the node. No process is left behind, pass or fail.
 *
 * The deploy writes `deployments/localhost.json` to a temporary directory (DEPLOYMENTS_ROOT), the keeper runs there
 * (its `keeper-state/` too), and Ignition journals under a deployment id of this run, removed afterwards: an
 * operator's local deploy and journal stay untouched.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JsonRpcProvider } from "ethers";
import { PoolLens__factory, Pool__factory } from "../../typechain-types";
import { DEFAULT_SEED_PLAN, seedLocal } from "../../scripts/seed-local";
import { setMockPrice } from "../../scripts/set-price";
import { hardhatWallet } from "../keeper/harness";
import {
  deployLocalDevnet,
  KEEPER_ACCOUNT,
  keeperLog,
  REPO_ROOT,
  startKeeperProcess,
  startLocalNode,
} from "./localStack";
import {
  childEnvironment,
  groupAlive,
  removeOnExit,
  stopAll,
  stopProcess,
  waitFor,
  type ManagedProcess,
} from "./processes";

describe("end to end: node, Ignition deploy and keeper as separate processes", function () {
  const deploymentId = `e2e-${process.pid}-${Date.now()}`;
  const journalDir = path.join(REPO_ROOT, "deploy", "deployments", deploymentId);
  let workDir = "";
  const started: ManagedProcess[] = [];
  let provider: JsonRpcProvider | undefined;

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const managed of started)
        console.error(`--- output of ${managed.name} ---\n${managed.output().slice(-6_000)}`);
    }
  });

  before(function () {
    workDir = mkdtempSync(path.join(tmpdir(), "mutual-pools-e2e-"));
    removeOnExit(workDir);
    removeOnExit(journalDir);
  });

  after(async function () {
    provider?.destroy();
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(journalDir, { recursive: true, force: true });
    expect(started.filter((managed) => groupAlive(managed.pid)).map((managed) => managed.name)).to.deep.equal([]);
  });

  it("deploys, seeds, crashes the price; the keeper realizes the bad debt and every LP is written down alike", async function () {
    const env = childEnvironment({ TS_NODE_TRANSPILE_ONLY: "true" });
    const local = await startLocalNode(started, env);
    const { node, rpcUrl } = local;
    provider = local.provider;
    const rpc = provider;
    const deployment = await deployLocalDevnet(
      started,
      { ...env, LOCALHOST_RPC_URL: rpcUrl },
      { deploymentId, deploymentsRoot: workDir },
    );
    const poolAddress = deployment.pools[0].address;
    const keeper = await startKeeperProcess(started, env, { rpcUrl, workDir, node });

    const seeded = await seedLocal(deployment, (index) => rpc.getSigner(index), DEFAULT_SEED_PLAN);
    const pool = Pool__factory.connect(poolAddress, rpc);
    const valuesBefore = await Promise.all(seeded.lps.map(async (lp) => pool.convertToAssets(lp.shares)));
    const sharePriceBefore = await pool.sharePrice();
    const owner = await rpc.getSigner(0);
    for (const collateral of ["mWETH", "mWBTC"])
      await setMockPrice(deployment, owner, rpc, collateral, { changePercent: "-40" });

    // The keeper is a separate process: this test sees its work only on chain.
    const lens = PoolLens__factory.connect(deployment.contracts.PoolLens, rpc);
    const borrowers = seeded.borrowers.map((borrower) => borrower.account);
    const realized = await waitFor(
      "the keeper to realize the bad debt and leave no liquidatable account",
      async () => {
        const events = await pool.queryFilter(pool.filters.BadDebtRealized(), deployment.deployBlock);
        const views = await lens.accounts(poolAddress, borrowers);
        return events.length > 0 && views.every((view) => !view.liquidatable && view.debt <= view.collateralValue)
          ? events
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, needed: [node, keeper] },
    );
    const keeperAddress = hardhatWallet(KEEPER_ACCOUNT).address;
    for (const event of realized) {
      const transaction = await rpc.getTransaction(event.transactionHash);
      expect(transaction?.from).to.equal(keeperAddress);
      expect(event.args.coveredByReserve + event.args.socializedAssets).to.equal(event.args.badDebtAssets);
    }
    const socialized = realized.reduce((sum, event) => sum + event.args.socializedAssets, 0n);
    expect(socialized).to.be.greaterThan(0n);

    // The write-down: the share price fell and every LP lost the same fraction (up to one unit of rounding each).
    expect(await pool.sharePrice()).to.be.lessThan(sharePriceBefore);
    const valuesAfter = await Promise.all(seeded.lps.map(async (lp) => pool.convertToAssets(lp.shares)));
    for (const [i, before] of valuesBefore.entries()) {
      expect(valuesAfter[i]).to.be.lessThan(before);
      for (const [j, otherBefore] of valuesBefore.entries()) {
        const cross = valuesAfter[i] * otherBefore - valuesAfter[j] * before;
        expect(cross < 0n ? -cross : cross).to.be.at.most(before + otherBefore);
      }
    }
    // Together they lost the socialized amount, less the interest paid by the surviving borrows meanwhile (< 0.1%).
    const lpLoss = valuesBefore.reduce((sum, before, i) => sum + before - valuesAfter[i], 0n);
    expect(lpLoss).to.be.at.most(socialized + BigInt(valuesBefore.length));
    expect(lpLoss).to.be.at.least(socialized - socialized / 1_000n);
    // The keeper's own account of it, from its JSON log: every realization replayed exactly, no error logged.
    const verified = await waitFor(
      "the keeper to verify every realization",
      async () => {
        const count = keeperLog(keeper).filter((line) => line.msg.startsWith("bad debt realized and verified")).length;
        return count === realized.length ? count : undefined;
      },
      { timeoutMs: 30_000, needed: [keeper] },
    );
    expect(verified).to.equal(realized.length);
    expect(keeperLog(keeper).filter((line) => line.level >= 50)).to.deep.equal([]);

    // Shut down: the keeper saves its state and exits 0 on SIGTERM; then the node.
    expect(await stopProcess(keeper, "SIGTERM", 20_000), keeper.output().slice(-3_000)).to.equal(0);
    expect(keeper.output()).to.include("state saved; exiting");
    provider.destroy();
    provider = undefined;
    await stopProcess(node, "SIGTERM", 20_000);
    expect(groupAlive(keeper.pid)).to.equal(false);
    expect(groupAlive(node.pid)).to.equal(false);
  });
});
