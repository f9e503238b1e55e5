import { expect } from "chai";
import { InputError } from "../../app/src/lib/amounts";
import { loadTarget, targetFromDeployment, targetRequestFromQuery, untrustedSource } from "../../app/src/lib/target";

const POOL = "0x615Ea475081e47bC88C06B441937306aFf6e2272";
const LENS = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const FACTORY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const DEPLOYMENT = {
  network: "localhost",
  chainId: 31_337,
  deployBlock: 1,
  contracts: { PoolFactory: FACTORY, PoolLens: LENS },
  pools: [
    { name: "Mutual Pool mUSDC", symbol: "mpUSDC", address: POOL.toLowerCase(), loanAsset: FACTORY },
    { name: "Mutual Pool mDAI", symbol: "mpDAI", address: FACTORY, loanAsset: LENS },
  ],
};

/** A fetch that answers every URL with `status` and `body`. */
function fakeFetch(status: number, body: string): typeof fetch {
  return (async () => new Response(body, { status })) as typeof fetch;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("app: which pools to show, from the URL (app/src/lib/target.ts)", function () {
  it("defaults to deployments/localhost.json; ?network and ?deployments pick another file, ?pool a pool", function () {
    expect(targetRequestFromQuery("")).to.deep.equal({
      kind: "file",
      url: "deployments/localhost.json",
      poolSelector: undefined,
    });
    expect(targetRequestFromQuery("?network=sepolia&pool=mpUSDC")).to.deep.equal({
      kind: "file",
      url: "deployments/sepolia.json",
      poolSelector: "mpUSDC",
    });
    expect(targetRequestFromQuery("?deployments=https://example.org/d.json")).to.deep.equal({
      kind: "file",
      url: "https://example.org/d.json",
      poolSelector: undefined,
    });
    expect(() => targetRequestFromQuery("?network=../../etc")).to.throw(InputError, "?network= must be a network name");
  });

  it("takes the addresses themselves without a file, and names a bad parameter", function () {
    const request = targetRequestFromQuery(`?chainId=31337&lens=${LENS.toLowerCase()}&pool=${POOL}&fromBlock=7`);
    expect(request).to.deep.equal({
      kind: "addresses",
      target: {
        source: "the page address (?chainId, ?lens, ?pool)",
        origin: "link",
        network: "chain 31337",
        chainId: 31_337,
        lens: LENS,
        fromBlock: 7,
        pools: [{ name: POOL, address: POOL }],
        selectedPool: POOL,
      },
    });
    expect(() => targetRequestFromQuery(`?lens=${LENS}&pool=${POOL}`)).to.throw(
      "?chainId= must be a whole number, got nothing.",
    );
    expect(() => targetRequestFromQuery(`?chainId=1&lens=0x12&pool=${POOL}`)).to.throw(
      '?lens= must be a 0x address (40 hex digits), got "0x12".',
    );
    expect(() => targetRequestFromQuery(`?chainId=1&lens=${LENS}`)).to.throw("?pool= must be a 0x address");
  });

  it("reads a deployments file and selects a pool by name, symbol or address", function () {
    const target = targetFromDeployment(DEPLOYMENT, "deployments/localhost.json");
    expect(target).to.deep.equal({
      source: "deployments/localhost.json",
      origin: "file",
      network: "localhost",
      chainId: 31_337,
      lens: LENS,
      fromBlock: 1,
      pools: [
        { name: "Mutual Pool mUSDC", address: POOL },
        { name: "Mutual Pool mDAI", address: FACTORY },
      ],
      selectedPool: undefined,
    });
    expect(targetFromDeployment(DEPLOYMENT, "f", "mpDAI").selectedPool).to.equal(FACTORY);
    expect(targetFromDeployment(DEPLOYMENT, "f", "mutual pool musdc").selectedPool).to.equal(POOL);
    expect(targetFromDeployment(DEPLOYMENT, "f", POOL.toLowerCase()).selectedPool).to.equal(POOL);
    expect(() => targetFromDeployment(DEPLOYMENT, "f", "mpETH")).to.throw(
      'f has no pool "mpETH"; it has Mutual Pool mUSDC, Mutual Pool mDAI.',
    );
    expect(() => targetFromDeployment({ ...DEPLOYMENT, chainId: "x" }, "f")).to.throw(
      "f is not a valid deployments file (chainId:",
    );
  });

  it("says what to do when the file is missing, not JSON or not served", async function () {
    const request = { kind: "file" as const, url: "deployments/localhost.json" };
    expect((await rejection(loadTarget(request, fakeFetch(404, "")))).message).to.equal(
      "No deployments file at deployments/localhost.json. Deploy first (npm run node, then npm run deploy:local), " +
        "or open the app with ?deployments=<url of a deployments file>.",
    );
    // Another network's file: its own deploy command, never the local one.
    const sepolia = { kind: "file" as const, url: "deployments/sepolia.json" };
    expect((await rejection(loadTarget(sepolia, fakeFetch(404, "")))).message).to.equal(
      "No deployments file at deployments/sepolia.json. Deploy first (npm run deploy:sepolia, with SEPOLIA_RPC_URL and " +
        "DEPLOYER_PRIVATE_KEY set), or open the app with ?deployments=<url of a deployments file>.",
    );
    const other = await rejection(loadTarget({ kind: "file", url: "https://x.example/deployments/base-sepolia.json?v=2" }, fakeFetch(404, "")));
    expect(other.message).to.contain("Deploy first (npx hardhat run scripts/deploy.ts --network base-sepolia)");
    expect(other.message).not.to.contain("deploy:local");
    expect((await rejection(loadTarget(request, fakeFetch(200, "<html>")))).message).to.equal(
      "deployments/localhost.json is not JSON; point ?deployments= at a deployments file.",
    );
    expect((await rejection(loadTarget(request, fakeFetch(500, "")))).message).to.equal(
      "Fetching deployments/localhost.json failed with HTTP 500.",
    );
    const offline = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    expect((await rejection(loadTarget(request, offline))).message).to.equal(
      "Could not fetch deployments/localhost.json (TypeError: fetch failed). Is the app's server running?",
    );
    expect((await loadTarget(request, fakeFetch(200, JSON.stringify(DEPLOYMENT)))).lens).to.equal(LENS);
  });

  it("names who chose the addresses when it is not this site, so the page can warn before a deposit", function () {
    const page = "http://localhost:5173/?deployments=x";
    const file = (source: string) => untrustedSource({ source, origin: "file" }, page);
    expect(file("deployments/localhost.json")).to.equal(undefined);
    expect(file("http://localhost:5173/d/sepolia.json")).to.equal(undefined);
    expect(file("https://pools.example.org/d.json")).to.equal("pools.example.org");
    expect(file("http://localhost:9999/d.json")).to.equal("localhost:9999");
    expect(file("data:application/json,{}")).to.equal("a data: URL");
    // Addresses written into the link itself are what a phishing link looks like: always warned about.
    const link = targetRequestFromQuery(`?chainId=31337&lens=${LENS}&pool=${POOL}`);
    expect(link.kind === "addresses" && untrustedSource(link.target, page)).to.equal(
      "the link you opened (its ?lens and ?pool)",
    );
  });
});
