/**
 * The app's event-log cache (app/src/chain/logCache.ts): a fake node for its rules, then the pool page's real reads
 * through it on the in-process network, over several 10,000-block chunks.
 */
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import type { Filter, Log } from "ethers";
import { CachingBrowserProvider, LogCache, type LogSource } from "../../app/src/chain/logCache";
import { readAccount, readLossHistory, readPoolPage, readSharePriceSeries } from "../../app/src/chain/reads";
import { deployPool, units } from "../helpers/fixtures";
import { appTargetFor } from "./appTarget";

/** A node with one log per block from 1 to `head`, whose block hashes can be changed (a restart). */
function fakeNode(head: { value: number }, era: { value: string }) {
  const requests: { fromBlock: number; toBlock: number }[] = [];
  const source: LogSource = {
    fetchLogs: async (filter: Filter) => {
      const [fromBlock, toBlock] = [Number(filter.fromBlock), Number(filter.toBlock)];
      requests.push({ fromBlock, toBlock });
      const logs: Log[] = [];
      for (let block = fromBlock; block <= Math.min(toBlock, head.value); block += 1) {
        logs.push({ blockNumber: block, data: `${era.value}-${block}` } as unknown as Log);
      }
      return logs;
    },
    blockHash: async (blockNumber) => (blockNumber <= head.value ? `${era.value}-${blockNumber}` : null),
  };
  return { source, requests };
}

const range = (from: number, to: number): Filter => ({
  address: "0xpool",
  topics: ["0xtopic"],
  fromBlock: from,
  toBlock: to,
});

describe("app: event-log cache (app/src/chain/logCache.ts)", function () {
  it("extends a cached range from its last block only, and answers an older range from memory", async function () {
    const head = { value: 100 };
    const { source, requests } = fakeNode(head, { value: "a" });
    const cache = new LogCache(source);
    expect((await cache.getLogs(range(1, 100))).length).to.equal(100);
    head.value = 105;
    const logs = await cache.getLogs(range(1, 105));
    expect(logs.map((log) => log.blockNumber)).to.deep.equal(Array.from({ length: 105 }, (_, i) => i + 1));
    expect(requests).to.deep.equal([
      { fromBlock: 1, toBlock: 100 },
      { fromBlock: 101, toBlock: 105 },
    ]);
    expect((await cache.getLogs(range(1, 103))).length).to.equal(103);
    expect(cache.fetches).to.equal(2);
    // Another query (another start, address or topics) is its own entry.
    await cache.getLogs({ ...range(1, 105), topics: ["0xother"] });
    expect(cache.fetches).to.equal(3);
  });

  it("drops everything when the head it last saw is no longer on the chain (a reorg or a restarted node)", async function () {
    const head = { value: 50 };
    const era = { value: "a" };
    const { source, requests } = fakeNode(head, era);
    const cache = new LogCache(source);
    await cache.getLogs(range(1, 50));
    era.value = "b"; // Same addresses, new chain: block 50 has another hash.
    head.value = 60;
    const logs = await cache.getLogs(range(1, 60));
    expect(requests.at(-1)).to.deep.equal({ fromBlock: 1, toBlock: 60 });
    expect(logs.every((log) => log.data.startsWith("b-"))).to.equal(true);
  });

  it("drops everything after a restart to a lower head, where the block it last saw no longer exists", async function () {
    const head = { value: 500 };
    const era = { value: "a" };
    const { source, requests } = fakeNode(head, era);
    const cache = new LogCache(source);
    await cache.getLogs(range(1, 500));
    era.value = "b";
    head.value = 60; // The new chain has no block 500 yet; its block 60 is not the old one.
    await cache.checkHead(60); // The provider does this at every eth_blockNumber.
    const logs = await cache.getLogs(range(1, 60));
    expect(requests.at(-1)).to.deep.equal({ fromBlock: 1, toBlock: 60 });
    expect(logs).to.have.length(60);
    expect(logs.every((log) => log.data.startsWith("b-"))).to.equal(true);
  });

  it("sends ranges that are not block numbers straight to the node", async function () {
    const { source, requests } = fakeNode({ value: 10 }, { value: "a" });
    const cache = new LogCache(source);
    await cache.getLogs({ address: "0xpool", fromBlock: 1, toBlock: "latest" } as Filter);
    await cache.getLogs({ address: "0xpool", fromBlock: 1, toBlock: "latest" } as Filter);
    expect(requests).to.have.length(2);
  });

  it("makes a refresh of the pool page one eth_getLogs per event query, however many chunks the history spans", async function () {
    const fx = await deployPool({ loanDecimals: 6 });
    const [lp0, lp1] = fx.lps;
    await fx.pool.connect(lp0).deposit(units(10_000, 6), lp0.address);
    // 25,000 empty blocks: the history spans three 10,000-block chunks.
    await hre.network.provider.send("hardhat_mine", ["0x61a8"]);
    await fx.pool.connect(lp1).deposit(units(5_000, 6), lp1.address);
    const target = await appTargetFor(fx);
    const cached = new CachingBrowserProvider(hre.network.provider, 31_337);
    const read = async () => {
      const page = await readPoolPage(cached, target, await fx.pool.getAddress());
      const account = await readAccount(cached, target, page, lp0.address);
      const losses = await readLossHistory(cached, target, page, account);
      return { page, account, losses };
    };
    const cold = await read();
    const coldFetches = cached.logCache.fetches;
    await ethers.provider.send("evm_mine", []);
    const warm = await read();
    const warmFetches = cached.logCache.fetches - coldFetches;
    // Cold: every chunk of every query. Warm: the last chunk of each query only.
    const chunks = Math.ceil((cold.page.status.blockNumber + 1) / 10_000);
    expect(chunks).to.equal(3);
    expect(coldFetches).to.equal(warmFetches * chunks);
    // What the page shows is what an uncached read shows.
    const page = await readPoolPage(ethers.provider, target, await fx.pool.getAddress());
    const account = await readAccount(ethers.provider, target, page, lp0.address);
    expect(warm.page.status.accounts).to.deep.equal(page.status.accounts);
    expect(warm.account.position).to.deep.equal(account.position);
    expect(warm.account.transfers).to.deep.equal(account.transfers);
    expect(warm.losses).to.deep.equal(await readLossHistory(ethers.provider, target, page, account));
    console.log(
      `      log requests per page read over ${chunks} chunks: ${coldFetches} cold, ${warmFetches} after one new block`,
    );
  });

  it("reads the chart's past samples and block times once per chain: a refresh asks only for the new block", async function () {
    const fx = await deployPool({ loanDecimals: 6 });
    const [lp0] = fx.lps;
    await fx.pool.connect(lp0).deposit(units(10_000, 6), lp0.address);
    for (let i = 0; i < 60; i += 1) await ethers.provider.send("evm_mine", []);
    const target = await appTargetFor(fx);
    // Every JSON-RPC request the page's reads send, by method.
    const requests = new Map<string, number>();
    const counting = {
      request: (args: { method: string; params?: unknown[] }) => {
        requests.set(args.method, (requests.get(args.method) ?? 0) + 1);
        return hre.network.provider.request(args);
      },
    };
    const cached = new CachingBrowserProvider(counting, 31_337);
    const refresh = async () => {
      requests.clear();
      const page = await readPoolPage(cached, target, await fx.pool.getAddress());
      const account = await readAccount(cached, target, page, lp0.address);
      const losses = await readLossHistory(cached, target, page, account);
      const series = await readSharePriceSeries(cached, target, page, losses);
      return { series, requests: Object.fromEntries(requests) as Record<string, number> };
    };
    const cold = await refresh();
    const coldPast = cached.logCache.pastReads;
    await ethers.provider.send("evm_mine", []);
    const warm = await refresh();
    const warmPast = cached.logCache.pastReads - coldPast;
    expect(cold.series.limitation).to.equal(undefined);
    expect(coldPast).to.be.at.least(24); // a sample's eth_call and its block, per grid point
    expect(warmPast).to.be.at.most(2); // at most one new grid point
    expect(warm.requests.eth_call).to.be.lessThan(cold.requests.eth_call - 10);
    // The samples from memory are what the node answers.
    const uncached = await readSharePriceSeries(
      ethers.provider,
      target,
      await readPoolPage(ethers.provider, target, await fx.pool.getAddress()),
      [],
    );
    expect(warm.series.points).to.deep.equal(uncached.points);
    console.log(
      `      requests per page read, first / one block later: ${JSON.stringify(cold.requests)} / ${JSON.stringify(warm.requests)}`,
    );
  });
});
