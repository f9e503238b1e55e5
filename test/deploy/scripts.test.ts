import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as pm from "../../keepers/src/model/poolMath";
import { priceE36FromWhole } from "../../deploy/lib/units";
import { requireLocalChain, resolveRpcUrl, selectPool, UsageError } from "../../scripts/lib/connect";
import { DEFAULT_SEED_PLAN, seedLocal } from "../../scripts/seed-local";
import { buildProgram as statusProgram, renderPoolStatus } from "../../scripts/status";
import { healthBand, readPoolStatus } from "../../scripts/lib/poolStatus";
import { setMockPrice, targetPriceE36 } from "../../scripts/set-price";
import {
  buildProgram as lpProgram,
  lpDeposit,
  lpRedeem,
  lpWithdraw,
  parseAmount,
  readPosition,
  renderPosition,
} from "../../scripts/lp";
import { formatAmount } from "../../scripts/lib/format";
import { deployLocalDevnet } from "./fixture";

async function seededDevnet() {
  const fixture = await deployLocalDevnet();
  const signers = await ethers.getSigners();
  const seeded = await seedLocal(fixture.deployment, async (index) => signers[index]);
  return { ...fixture, seeded, signers };
}

describe("deploy: operator scripts' core functions", function () {
  describe("seed-local", function () {
    it("makes the plan's deposits and borrows, each borrow within its limit and near its target health", async function () {
      const { deployment, seeded } = await loadFixture(seededDevnet);
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      expect(seeded.lps.map((lp) => lp.deposited)).to.deep.equal(DEFAULT_SEED_PLAN.lps.map((lp) => ethers.parseUnits(lp.deposit, 6)));
      for (const lp of seeded.lps) expect(await pool.balanceOf(lp.account)).to.equal(lp.shares);

      for (const [index, borrower] of seeded.borrowers.entries()) {
        const liquidity = await pool.accountLiquidity(borrower.account);
        expect(liquidity.debt).to.be.lessThanOrEqual(liquidity.borrowLimit);
        const target = ethers.parseUnits(DEFAULT_SEED_PLAN.borrowers[index].targetHealthFactor, 18);
        const atLimitHealth = pm.healthFactorDown(liquidity.liquidationLimit, liquidity.borrowLimit);
        // Either the target was reachable (health within 1e-6 of it) or the borrow stopped at the LTV limit.
        const expected = target > atLimitHealth ? target : atLimitHealth;
        // At the limit the borrow stays 1 bps under it: health within 2e-4 of the limit health.
        const tolerance = target > atLimitHealth ? 10n ** 12n : 2n * 10n ** 14n;
        expect(borrower.healthFactor).to.be.closeTo(expected, tolerance);
      }
    });
  });

  describe("status", function () {
    it("reports the pool's figures and every borrower's health band as the lens sees them", async function () {
      const { deployment, seeded } = await loadFixture(seededDevnet);
      const status = await readPoolStatus(ethers.provider, deployment, deployment.pools[0].address);
      const lens = await ethers.getContractAt("PoolLens", deployment.contracts.PoolLens);
      const state = await lens.poolState(deployment.pools[0].address);
      expect([status.totalAssets, status.cash, status.totalBorrowAssets, status.reserveAssets, status.sharePrice]).to.deep.equal([
        state.totalAssets,
        state.cash,
        state.totalBorrowAssets,
        state.reserveAssets,
        state.sharePrice,
      ]);
      expect(status.accounts.map((entry) => entry.account)).to.deep.equal(seeded.borrowers.map((borrower) => borrower.account));
      const views = await lens.accounts(deployment.pools[0].address, seeded.borrowers.map((borrower) => borrower.account));
      expect(status.accounts.map((entry) => entry.band)).to.deep.equal(views.map((view) => healthBand(view)));
      // Health 2, 1.4, 1.15, 1.08 and the WETH LTV limit 1.0625.
      expect(status.bands).to.include({ "safe (≥1.50)": 1, "watch (<1.50)": 2, "at risk (<1.10)": 2, liquidatable: 0, insolvent: 0 });
      expect(status.badDebt).to.deep.equal({ events: 0, badDebtAssets: 0n, coveredByReserve: 0n, socializedAssets: 0n });
      // Nothing recognized: the exit and entry figures are the same, and no borrower is listed with a shortfall.
      expect([status.entryTotalAssets, status.entrySharePrice]).to.deep.equal([status.totalAssets, status.sharePrice]);
      expect([status.totalShortfall, status.reserveCoveringShortfall, status.shortfallDeductedFromExits]).to.deep.equal([0n, 0n, 0n]);
      const text = renderPoolStatus(status);
      expect(text).to.match(/recognized shortfall\s*│\s*none/);
      expect(text).not.to.contain("borrower with a shortfall");
    });

    it("shows the recognized shortfall, the reserve's part covering it, the exit and entry prices, per account too", async function () {
      const { deployment, seeded, signers } = await loadFixture(seededDevnet);
      const [owner] = signers;
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      const usdc = await ethers.getContractAt("MockERC20", (deployment.tokens as Record<string, { address: string }>).mUSDC.address);
      // A reserve of 100 mUSDC, then borrower #7 (0.5 mWBTC only) turns insolvent and its shortfall is recognized.
      await usdc.connect(owner).approve(await pool.getAddress(), ethers.MaxUint256);
      await pool.connect(owner).donateToReserve(100n * 10n ** 6n);
      await setMockPrice(deployment, owner, ethers.provider, "mWBTC", { changePercent: "-50" });
      const insolvent = seeded.borrowers[3].account;
      await pool.recognizeLosses(seeded.borrowers.map((borrower) => borrower.account));

      const status = await readPoolStatus(ethers.provider, deployment, await pool.getAddress());
      const [shortfall, debt, recoveryValue] = await pool.accountShortfall(insolvent);
      expect(shortfall).to.be.greaterThan(100n * 10n ** 6n);
      expect(status.totalShortfall).to.equal(shortfall);
      expect(status.totalShortfall).to.equal(await pool.totalRecognizedShortfall());
      expect(status.reserveAssets).to.equal(await pool.reserveAssets());
      // The reserve covers its first 100 mUSDC; exits are priced net of the rest; entries are not.
      expect(status.reserveCoveringShortfall).to.equal(status.reserveAssets);
      expect(status.shortfallDeductedFromExits).to.equal(shortfall - status.reserveAssets);
      expect(status.entryTotalAssets - status.totalAssets).to.equal(shortfall - status.reserveAssets);
      expect([status.totalAssets, status.entryTotalAssets, status.sharePrice, status.entrySharePrice]).to.deep.equal([
        await pool.totalAssets(),
        await pool.entryTotalAssets(),
        await pool.sharePrice(),
        await pool.entrySharePrice(),
      ]);
      expect(status.sharePrice).to.be.lessThan(status.entrySharePrice);
      const listed = status.accounts.find((entry) => entry.account === insolvent);
      expect(listed).to.deep.include({ debt, recoveryValue, shortfall, recognizedShortfall: shortfall, band: "insolvent" });
      expect(status.accounts.filter((entry) => entry.recognizedShortfall > 0n)).to.have.length(1);

      const text = renderPoolStatus(status);
      const amount = (value: bigint): string => `${formatAmount(value, 6)} mUSDC`;
      expect(text).to.contain(
        `${amount(shortfall)}: the reserve covers ${amount(status.reserveAssets)}, exits are priced net of ${amount(shortfall - status.reserveAssets)}`,
      );
      expect(text).to.contain(`${formatAmount(status.sharePrice, 6, 6)} mUSDC per share: what a withdrawal or redemption pays`);
      expect(text).to.contain(`${formatAmount(status.entrySharePrice, 6, 6)} mUSDC per share: what a deposit pays`);
      expect(text).to.contain(`(${amount(status.reserveAssets)} of it committed to the shortfall)`);
      expect(text).to.match(new RegExp(`${insolvent}\\s*│\\s*${amount(debt)}\\s*│\\s*${amount(recoveryValue)}\\s*│\\s*${amount(shortfall)}\\s*│\\s*${amount(shortfall)}`));

      // npm run lp shows the same prices and shortfall to an LP, and its value at the exit price.
      const lp = signers[1];
      const position = await readPosition(pool.connect(lp), lp.address);
      expect(position).to.deep.include({
        sharePrice: status.sharePrice,
        entrySharePrice: status.entrySharePrice,
        totalShortfall: shortfall,
        reserveCoveringShortfall: status.reserveAssets,
        shortfallDeductedFromExits: shortfall - status.reserveAssets,
      });
      expect(position.redeemableAssets).to.equal(await pool.previewRedeem(position.shares));
      expect(position.redeemableAssets).to.be.lessThan(await pool.previewMint(position.shares));
      const rendered = renderPosition(position);
      expect(rendered).to.contain(`value (redeem)   ${amount(position.redeemableAssets)} at the exit price`);
      expect(rendered).to.contain(`exit price       ${formatAmount(status.sharePrice, 6, 6)} mUSDC per share`);
      expect(rendered).to.contain(`entry price      ${formatAmount(status.entrySharePrice, 6, 6)} mUSDC per share: deposits`);
      expect(rendered).to.contain(
        `shortfall        ${amount(shortfall)} recognized: the reserve covers ${amount(status.reserveAssets)}, ` +
          `exits are priced net of ${amount(shortfall - status.reserveAssets)}`,
      );
    });

    it("shows a part too small for two decimals as \"< 0.01\", not 0, so the parts of a bad debt visibly add up", async function () {
      const { deployment } = await loadFixture(seededDevnet);
      const status = await readPoolStatus(ethers.provider, deployment, deployment.pools[0].address);
      const text = renderPoolStatus({
        ...status,
        badDebt: { events: 1, badDebtAssets: 1_000_743n, coveredByReserve: 743n, socializedAssets: 1_000_000n },
      });
      expect(text).to.contain("1 mUSDC in 1 event(s): reserve covered < 0.01 mUSDC, LPs absorbed 1 mUSDC");
    });

    it("bands accounts from the lens flags", function () {
      const max = pm.MAX_UINT256;
      expect(healthBand({ debt: 0n, collateralValue: 0n, healthFactor: max, priced: true })).to.equal("no debt");
      expect(healthBand({ debt: 5n, collateralValue: 0n, healthFactor: 0n, priced: false })).to.equal("unpriced");
      expect(healthBand({ debt: 5n, collateralValue: 4n, healthFactor: 0n, priced: true })).to.equal("insolvent");
      expect(healthBand({ debt: 5n, collateralValue: 6n, healthFactor: pm.WAD - 1n, priced: true })).to.equal("liquidatable");
      expect(healthBand({ debt: 5n, collateralValue: 9n, healthFactor: pm.WAD, priced: true })).to.equal("at risk (<1.10)");
    });
  });

  describe("set-price and the bad debt status reports", function () {
    it("moves the mock price by a percentage, and status sums the BadDebtRealized events that follow", async function () {
      const { deployment, seeded, signers } = await loadFixture(seededDevnet);
      const [owner] = signers;
      const liquidator = signers[9];
      const tokens = deployment.tokens as Record<string, { address: string }>;
      const change = await setMockPrice(deployment, owner, ethers.provider, "mWBTC", { changePercent: "-50" });
      expect(change.oldPriceE36).to.equal(priceE36FromWhole("60000", 6, 8));
      expect(change.newPriceE36).to.equal(priceE36FromWhole("30000", 6, 8));
      const oracle = await ethers.getContractAt("MockPriceOracle", change.oracle);
      expect(await oracle.price()).to.equal(change.newPriceE36);
      expect(change.bands.insolvent).to.equal(1);

      // Borrower #7 (0.5 mWBTC only) is now insolvent: liquidating all of it realizes the rest as bad debt.
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      const usdc = await ethers.getContractAt("MockERC20", tokens.mUSDC.address);
      await usdc.connect(liquidator).approve(await pool.getAddress(), ethers.MaxUint256);
      const insolvent = seeded.borrowers[3].account;
      await pool.connect(liquidator).liquidate(insolvent, tokens.mWBTC.address, ethers.MaxUint256, 0n, liquidator.address);
      const [event] = await pool.queryFilter(pool.filters.BadDebtRealized());
      expect(event.args.borrower).to.equal(insolvent);

      const status = await readPoolStatus(ethers.provider, deployment, await pool.getAddress());
      expect(status.badDebt).to.deep.equal({
        events: 1,
        badDebtAssets: event.args.badDebtAssets,
        coveredByReserve: event.args.coveredByReserve,
        socializedAssets: event.args.socializedAssets,
      });
      expect(status.accounts.find((entry) => entry.account === insolvent)?.band).to.equal("no debt");
    });

    it("reports the bands at the block of the move even when the provider's latest block number is stale (automine)", async function () {
      const { deployment, signers } = await loadFixture(seededDevnet);
      // ethers' JsonRpcProvider caches getBlockNumber() for a moment, and a JSON-RPC signer asks for it just before
      // sending: under automine "latest" then still names the block before the move. Emulate that cache.
      const before = await ethers.provider.getBlockNumber();
      const stale = new Proxy(ethers.provider, {
        get(target, property) {
          if (property === "getBlockNumber") return async () => before;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const change = await setMockPrice(deployment, signers[0], stale, "mWETH", { changePercent: "-40" });
      expect(change.blockNumber).to.equal(before + 1);
      const status = await readPoolStatus(ethers.provider, deployment, deployment.pools[0].address);
      expect(status.blockNumber).to.equal(change.blockNumber);
      expect(change.bands).to.deep.equal(status.bands);
      // Before the move: 2 at risk, 2 watch, 1 safe. After −40% on mWETH, accounts are liquidatable or insolvent.
      expect(change.bands["at risk (<1.10)"] + change.bands["watch (<1.50)"] + change.bands["safe (≥1.50)"]).to.be.lessThan(5);
    });

    it("computes target prices and refuses bad input and non-local chains", function () {
      expect(targetPriceE36({ price: "1800" }, 0n, 6, 18)).to.equal(priceE36FromWhole("1800", 6, 18));
      expect(targetPriceE36({ changePercent: "-40" }, 1_000n, 6, 18)).to.equal(600n);
      expect(targetPriceE36({ changePercent: "+12.5" }, 1_000n, 6, 18)).to.equal(1_125n);
      expect(() => targetPriceE36({ changePercent: "-100" }, 1_000n, 6, 18)).to.throw(UsageError, /more than -100/);
      expect(() => targetPriceE36({ price: "abc" }, 1_000n, 6, 18)).to.throw(UsageError, /--price/);
      expect(() => requireLocalChain(11_155_111, "set-price")).to.throw(UsageError, /only runs on a local Hardhat node/);
    });
  });

  describe("lp", function () {
    it("deposits, withdraws and redeems with bounds derived from the previews", async function () {
      const { deployment, signers } = await loadFixture(seededDevnet);
      const lp = signers[9];
      const pool = (await ethers.getContractAt("Pool", deployment.pools[0].address)).connect(lp);

      const dryRun = await lpDeposit(pool, lp, 1_000n * 10n ** 6n, 50n, true);
      expect(dryRun.txHash).to.equal(undefined);
      expect(dryRun.bound).to.equal(pm.bpsDown(dryRun.preview, pm.BPS - 50n));
      expect(await pool.balanceOf(lp.address)).to.equal(0n);

      const deposit = await lpDeposit(pool, lp, 1_000n * 10n ** 6n);
      expect(deposit.bound).to.equal(pm.bpsDown(deposit.preview, pm.BPS - 50n));
      expect(deposit.shares).to.be.greaterThanOrEqual(deposit.bound);
      expect(await pool.balanceOf(lp.address)).to.equal(deposit.shares);

      const withdraw = await lpWithdraw(pool, lp, 400n * 10n ** 6n);
      expect(withdraw.bound).to.equal(pm.bpsUp(withdraw.preview, pm.BPS + 50n));
      expect(withdraw.shares).to.be.lessThanOrEqual(withdraw.bound);
      expect(await pool.balanceOf(lp.address)).to.equal(deposit.shares - withdraw.shares);

      const position = await readPosition(pool, lp.address);
      expect(position.shares).to.equal(deposit.shares - withdraw.shares);
      expect(position.redeemableAssets).to.equal(await pool.previewRedeem(position.shares));

      const redeem = await lpRedeem(pool, lp, "all");
      expect(redeem.shares).to.equal(position.shares);
      expect(redeem.assets).to.be.greaterThanOrEqual(redeem.bound);
      expect(await pool.balanceOf(lp.address)).to.equal(0n);
      await expect(lpRedeem(pool, lp, "all")).to.be.rejectedWith(UsageError, /Nothing to redeem/);
    });

    it("refuses a withdrawal above what the account can take, saying how much it can", async function () {
      const { deployment, signers } = await loadFixture(seededDevnet);
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      await expect(lpWithdraw(pool, signers[3], 60_000n * 10n ** 6n)).to.be.rejectedWith(UsageError, /can withdraw at most 50,000/);
      expect(() => parseAmount("1.1234567", 6, "<amount>")).to.throw(UsageError, /more than 6 decimals/);
      expect(() => parseAmount("0", 6, "<amount>")).to.throw(UsageError, /more than 0/);
    });
  });

  describe("connection and help", function () {
    it("resolves RPC URLs per network, naming the variable to set", function () {
      expect(resolveRpcUrl({ network: "localhost" }, {})).to.equal("http://127.0.0.1:8545");
      expect(resolveRpcUrl({ network: "localhost" }, { LOCALHOST_RPC_URL: "http://127.0.0.1:9999" })).to.equal("http://127.0.0.1:9999");
      expect(resolveRpcUrl({ network: "sepolia", rpcUrl: "http://rpc" }, {})).to.equal("http://rpc");
      expect(() => resolveRpcUrl({ network: "sepolia" }, {})).to.throw(UsageError, /SEPOLIA_RPC_URL/);
      expect(() => resolveRpcUrl({ network: "hardhat" }, {})).to.throw(UsageError, /--network localhost/);
      expect(() => resolveRpcUrl({ network: "mainnet" }, {})).to.throw(UsageError, /--rpc-url/);
    });

    it("selects a pool by name, symbol or address", async function () {
      const { deployment } = await loadFixture(deployLocalDevnet);
      const [pool] = deployment.pools;
      expect(selectPool(deployment)).to.equal(pool);
      expect(selectPool(deployment, "mpusdc")).to.equal(pool);
      expect(selectPool(deployment, pool.address.toLowerCase())).to.equal(pool);
      expect(() => selectPool(deployment, "nope")).to.throw(UsageError, /No pool "nope"/);
    });

    it("documents every option in --help", function () {
      expect(statusProgram().helpInformation()).to.match(/--network <name>[\s\S]*--rpc-url <url>/);
      const deposit = lpProgram().commands.find((command) => command.name() === "deposit");
      expect(deposit?.helpInformation()).to.match(/--slippage-bps <bps>[\s\S]*--dry-run[\s\S]*--account <index>/);
    });
  });
});
