/**
 * What the pool page reads (app/src/chain/reads.ts), on the in-process network: a pool with two LPs, a borrower
 * whose collateral crashes and is liquidated into bad debt, and a share transfer. Each figure is checked against a
 * direct read of the chain.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Provider, TransactionRequest } from "ethers";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import { supplyAndBorrow } from "../helpers/setup";
import {
  readAccount,
  readLossHistory,
  readPoolList,
  readPoolPage,
  readSharePriceSeries,
} from "../../app/src/chain/reads";
import { appTargetFor } from "./appTarget";

/** lp0 deposits 10,000 and lp1 5,000; a borrower takes 1,400 against 1 collateral; the price halves; liquidated. */
async function writeDownFixture() {
  const fx = await deployPool({ loanDecimals: 6 });
  const [lp0, lp1] = fx.lps;
  await fx.pool.connect(lp0).deposit(units(10_000, 6), lp0.address);
  await fx.pool.connect(lp1).deposit(units(5_000, 6), lp1.address);
  const borrower = fx.borrowers[0];
  await supplyAndBorrow(fx, borrower, units(1, 18), units(1_400, 6));
  // Twenty blocks of interest, mined one by one (hardhat_mine's batch of blocks answers no historical call).
  for (let i = 0; i < 20; i += 1) await ethers.provider.send("evm_mine", []);
  // lp1 takes 1,000 back (a burn), and lp0 sends a fifth of its shares to someone else, before the loss.
  await fx.pool.connect(lp1).withdraw(units(1_000, 6), lp1.address, lp1.address);
  await fx.pool.connect(lp0).transfer(fx.others[0].address, (await fx.pool.balanceOf(lp0.address)) / 5n);
  await fx.collaterals[0].oracle.setPrice(priceE36(1_000, 6, 18));
  const collateral = await fx.collaterals[0].token.getAddress();
  await fx.pool
    .connect(fx.liquidator)
    .liquidate(borrower.address, collateral, ethers.MaxUint256, 0n, fx.liquidator.address);
  const target = await appTargetFor(fx, "Mutual Pool LUSD");
  return { ...fx, target };
}

/** lp0 deposits 10,000 and lp1 5,000; a reserve of 100; a borrower's 1,400 debt on 1 collateral whose price halves,
 *  and its shortfall is recognized (not yet realized). */
async function recognizedFixture() {
  const fx = await deployPool({ loanDecimals: 6 });
  const [lp0, lp1] = fx.lps;
  await fx.pool.connect(lp0).deposit(units(10_000, 6), lp0.address);
  await fx.pool.connect(lp1).deposit(units(5_000, 6), lp1.address);
  await fx.pool.connect(fx.owner).donateToReserve(units(100, 6));
  const borrower = fx.borrowers[0];
  await supplyAndBorrow(fx, borrower, units(1, 18), units(1_400, 6));
  await fx.collaterals[0].oracle.setPrice(priceE36(1_000, 6, 18));
  await fx.pool.recognizeLosses([borrower.address]);
  const target = await appTargetFor(fx, "Mutual Pool LUSD");
  return { ...fx, target, borrower };
}

/** A provider that, like a node without state history, refuses every call at a past block. */
function withoutHistory(provider: Provider, head: number): Provider {
  return new Proxy(provider, {
    get(target, property, receiver) {
      if (property === "call") {
        return async (transaction: TransactionRequest) => {
          if (
            transaction.blockTag !== undefined &&
            transaction.blockTag !== "latest" &&
            Number(transaction.blockTag) < head
          ) {
            throw new Error("missing trie node");
          }
          return target.call(transaction);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("app: chain reads of the pool page (app/src/chain/reads.ts)", function () {
  it("the pool list and page: lens figures, collaterals at the oracle price, borrowers by health band", async function () {
    const { pool, lens, target, collaterals } = await loadFixture(writeDownFixture);
    const state = await lens.poolState(await pool.getAddress());
    const page = await readPoolPage(ethers.provider, target, await pool.getAddress());
    // The page's own pool is listed from the figures the page read; another pool through the lens: the same figures.
    const [summary] = await readPoolList(ethers.provider, target, page);
    expect(summary).to.deep.include({ sharePrice: state.sharePrice, totalAssets: state.totalAssets, loanDecimals: 6 });
    const otherPage = { ...page, status: { ...page.status, address: ethers.ZeroAddress } };
    expect(await readPoolList(ethers.provider, target, otherPage)).to.deep.equal([summary]);
    expect(page.status.sharePrice).to.equal(state.sharePrice);
    expect(page.shareDecimals).to.equal(12);
    expect(page.collaterals).to.have.length(1);
    expect(page.collaterals[0]).to.deep.include({
      address: await collaterals[0].token.getAddress(),
      decimals: 18,
      wholePriceE18: 1_000n * 10n ** 18n,
      totalSupplied: 0n,
      enabled: true,
    });
    // The liquidated borrower has no debt left: nobody is at risk.
    expect(page.status.bands["no debt"]).to.equal(1);
  });

  it("a recognized shortfall: exit and entry prices, the reserve's part, the account's shortfall, the exit value", async function () {
    const { pool, lens, lps, target, borrower } = await loadFixture(recognizedFixture);
    const page = await readPoolPage(ethers.provider, target, await pool.getAddress());
    const s = page.status;
    // Debt 1,400 against a recovery of 1,000 / 1.05 = 952.380952: a shortfall of 447.619048, 100 of it on the reserve.
    const shortfall = units(1_400, 6) - 952_380_952n;
    expect(await pool.recognizedShortfall(borrower.address)).to.equal(shortfall);
    expect([s.totalShortfall, s.reserveCoveringShortfall, s.shortfallDeductedFromExits]).to.deep.equal([
      shortfall,
      units(100, 6),
      shortfall - units(100, 6),
    ]);
    const state = await lens.poolState(await pool.getAddress());
    expect([s.totalAssets, s.entryTotalAssets, s.sharePrice, s.entrySharePrice]).to.deep.equal([
      state.totalAssets,
      state.entryTotalAssets,
      state.sharePrice,
      state.entrySharePrice,
    ]);
    expect(s.entryTotalAssets - s.totalAssets).to.equal(shortfall - units(100, 6));
    expect(s.sharePrice).to.be.lessThan(s.entrySharePrice);
    const [summary] = await readPoolList(ethers.provider, target, page);
    expect(summary).to.deep.include({
      sharePrice: s.sharePrice,
      entrySharePrice: s.entrySharePrice,
      totalShortfall: shortfall,
    });
    // The borrower is listed at risk with its shortfall, live and recognized.
    expect(s.accounts).to.have.length(1);
    expect(s.accounts[0]).to.deep.include({
      account: borrower.address,
      band: "insolvent",
      shortfall,
      recognizedShortfall: shortfall,
      recoveryValue: 952_380_952n,
    });

    // The position is worth its exit value: 2/3 of the LP assets less 2/3 of the uncovered shortfall.
    const account = await readAccount(ethers.provider, target, page, lps[1].address);
    expect(account.position.value).to.equal(await pool.previewRedeem(account.position.shares));
    expect(account.position.value).to.equal(await pool.convertToAssets(account.position.shares));
    expect(account.position.value).to.be.lessThan(await pool.previewMint(account.position.shares));
    expect(account.maxWithdraw).to.equal(account.position.value);
    const exact = units(5_000, 6) - ((shortfall - units(100, 6)) * 5_000n) / 15_000n;
    expect(account.position.value - exact).to.be.within(-2n, 0n);
    expect(account.position.gain).to.equal(account.position.value - units(5_000, 6));
  });

  it("the position and the loss history: cost = shares held then × the share-price drop", async function () {
    const { pool, lps, target } = await loadFixture(writeDownFixture);
    const [lp0] = lps;
    const page = await readPoolPage(ethers.provider, target, await pool.getAddress());
    const account = await readAccount(ethers.provider, target, page, lp0.address);
    const shares = await pool.balanceOf(lp0.address);
    expect(account.position.shares).to.equal(shares);
    expect(account.position.value).to.equal(await pool.previewRedeem(shares));
    expect(account.position.netDeposited).to.equal(units(10_000, 6));
    // lp0 sent shares away: its deposits no longer tell its gain, and the page says so rather than show a loss.
    expect(account.position.gain).to.equal(null);
    const lp1 = await readAccount(ethers.provider, target, page, lps[1].address);
    expect(lp1.position.netDeposited).to.equal(units(4_000, 6));
    expect(lp1.position.gain).to.equal(lp1.position.value - units(4_000, 6));
    expect(lp1.position.gain).to.be.lessThan(0n);
    expect(lp1.position.poolShareE18).to.equal((lp1.position.shares * 10n ** 18n) / (await pool.totalSupply()));
    expect(account.maxWithdraw).to.equal(await pool.maxWithdraw(lp0.address));
    expect(account.transfers.map((transfer) => transfer.to === lp0.address)).to.deep.equal([true, false]);

    const [row, ...rest] = await readLossHistory(ethers.provider, target, page, account);
    expect(rest).to.deep.equal([]);
    const [event] = await pool.queryFilter(pool.filters.BadDebtRealized());
    expect(row.transactionHash).to.equal(event.transactionHash);
    expect(row.socializedAssets).to.equal(event.args.socializedAssets);
    expect(row.socializedAssets).to.be.greaterThan(0n);
    expect(row.timestamp).to.equal((await ethers.provider.getBlock(event.blockNumber))?.timestamp);
    expect(row.accountShares).to.equal(await pool.balanceOf(lp0.address, { blockTag: event.blockNumber - 1 }));
    expect(row.accountShares).to.equal(shares);
    // Expected from the chain alone: the shares × socialized / (total supply then + 10**6 virtual shares).
    const before = { blockTag: event.blockNumber - 1 };
    const supplyThen = await pool.totalSupply(before);
    expect(row.accountCost).to.equal((shares * event.args.socializedAssets) / (supplyThen + 10n ** 6n));
    // And what lp0's shares lost in value across that block: the same, to a unit of rounding on each side.
    const valueDrop =
      (await pool.previewRedeem(shares, before)) - (await pool.previewRedeem(shares, { blockTag: event.blockNumber }));
    expect((row.accountCost ?? 0n) - valueDrop).to.be.within(-2n, 2n);
  });

  it("the chart samples the share price through history and says so when the node keeps none", async function () {
    const { pool, target } = await loadFixture(writeDownFixture);
    const page = await readPoolPage(ethers.provider, target, await pool.getAddress());
    const losses = await readLossHistory(ethers.provider, target, page);
    const full = await readSharePriceSeries(ethers.provider, target, page, losses);
    expect(full.limitation, full.limitation).to.equal(undefined);
    expect(full.points.filter((point) => point.writeDown)).to.have.length(1);
    expect(full.points.length).to.be.greaterThan(10);
    const [event] = await pool.queryFilter(pool.filters.BadDebtRealized());
    const sampled = full.points.filter((point) => !point.writeDown && point.timestamp < losses[0].timestamp);
    for (const point of sampled) expect(point.sharePrice).to.be.at.least(event.args.sharePriceAfter);

    const partial = await readSharePriceSeries(
      withoutHistory(ethers.provider, page.status.blockNumber),
      target,
      page,
      losses,
    );
    expect(partial.limitation).to.match(
      /^The node did not answer historical calls \(missing trie node\); the chart shows the write-downs and the current price only\.$/,
    );
    // The write-down's before and after points, then now (last, so a tie in time draws no spike).
    expect(partial.points.map((point) => point.sharePrice)).to.deep.equal([
      event.args.sharePriceBefore,
      event.args.sharePriceAfter,
      page.status.sharePrice,
    ]);
  });

  it("samples from the pool's first deposit, also after the chain under the same pool address changed", async function () {
    // The same deploy twice from one chain state, the second time five blocks later: same addresses (same
    // nonces), every block after the first moved. The chain is put back as it was afterwards.
    const base = (await ethers.provider.send("evm_snapshot", [])) as string;
    try {
      const first = await writeDownFixture();
      const firstPage = await readPoolPage(ethers.provider, first.target, await first.pool.getAddress());
      expect((await readSharePriceSeries(ethers.provider, first.target, firstPage, [])).limitation).to.equal(undefined);
      const poolAddress = await first.pool.getAddress();
      await ethers.provider.send("evm_revert", [base]);
      for (let i = 0; i < 5; i += 1) await ethers.provider.send("evm_mine", []);
      const shifted = await writeDownFixture();
      expect(await shifted.pool.getAddress()).to.equal(poolAddress);
      const page = await readPoolPage(ethers.provider, shifted.target, poolAddress);
      const series = await readSharePriceSeries(ethers.provider, shifted.target, page, []);
      // A stale first-deposit block would sample the pool before its first deposit, or before it existed.
      expect(series.limitation, series.limitation).to.equal(undefined);
      const [firstDeposit] = await shifted.pool.queryFilter(shifted.pool.filters.Deposit());
      const firstTimestamp = (await ethers.provider.getBlock(firstDeposit.blockNumber))?.timestamp ?? 0;
      expect(Math.min(...series.points.map((point) => point.timestamp))).to.equal(firstTimestamp);
    } finally {
      await ethers.provider.send("evm_revert", [base]).catch(() => undefined);
    }
  });
});
