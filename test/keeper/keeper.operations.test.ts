import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { Writable } from "node:stream";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, commandLine, parseCommandLine, resolveConfig } from "../../keepers/src/config";
import { colorsByDefault, createLogger } from "../../keepers/src/logger";
import { KeeperMetrics, startHeartbeat, startMetricsServer, serverPort } from "../../keepers/src/metrics";
import { deployPool, priceE36, units, type PoolFixture } from "../helpers/fixtures";
import { restoreChainAfterSuite, supplyAndBorrow } from "../helpers/setup";
import { createTestKeeper, fundKeeper, hardhatWallet, KEEPER_WALLET_INDEX } from "./harness";

const LOAN_DECIMALS = 6;
const usd = (amount: number | string): bigint => units(amount, LOAN_DECIMALS);
const KEY = `0x${"11".repeat(32)}`;
const POOL = `0x${"22".repeat(20)}`;
const LENS = `0x${"33".repeat(20)}`;
const FACTORY = `0x${"44".repeat(20)}`;

async function unhealthyAccount(): Promise<PoolFixture> {
  const fx = await deployPool({
    loanDecimals: LOAN_DECIMALS,
    collateralDecimals: [18],
    collateralPrices: [2_000],
  });
  await fx.pool.connect(fx.lps[0]).deposit(usd(100_000), fx.lps[0].address);
  await supplyAndBorrow(fx, fx.borrowers[0], [units(10, 18)], usd(14_000));
  await fundKeeper(fx, hardhatWallet(KEEPER_WALLET_INDEX), 1_000_000n);
  return fx;
}

/** A temporary root whose deployments/localhost.json holds `contents` as given (valid or not). */
function writeLocalhostDeployments(contents: object): string {
  const root = mkdtempSync(path.join(tmpdir(), "keeper-config-"));
  mkdirSync(path.join(root, "deployments"));
  writeFileSync(path.join(root, "deployments", "localhost.json"), JSON.stringify(contents));
  return root;
}

function configProblems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Runs the keeper CLI (keepers/src/main.ts) as its own process from `cwd`; resolves when it exits. */
function runKeeperCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tsNode = require.resolve("ts-node/dist/bin.js");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsNode, path.join(REPO_ROOT, "keepers", "src", "main.ts"), ...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TS_NODE_TRANSPILE_ONLY: "true",
          TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"),
          ...options.env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("keeper: operations", function () {
  restoreChainAfterSuite();

  describe("dry run", function () {
    it("simulates and logs the liquidation but never sends", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const { keeper, wallet, logs, metrics } = await createTestKeeper({
        pool: await fx.pool.getAddress(),
        lens: await fx.lens.getAddress(),
        settings: { dryRun: true },
      });
      await keeper.tick();
      await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      const report = await keeper.tick();
      await keeper.tick();
      expect(report.sends.map((send) => send.result)).to.deep.equal(["dry_run"]);
      expect(logs.some((line) => line.msg === "dry run: simulation passed, not sending")).to.equal(true);
      expect(
        await metrics.valueOf("keeper_liquidations_total", {
          result: "dry_run",
        }),
      ).to.equal(1);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce);
      expect(keeper.state.journal).to.deep.equal([]);
      expect(await fx.pool.queryFilter(fx.pool.filters.Liquidate())).to.deep.equal([]);
    });
  });

  describe("signer set-up", function () {
    it("with --approve, approves the pool at start and then liquidates without a nonce clash", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const wallet = hardhatWallet(14);
      await fx.loanToken.mint(wallet.address, usd(1_000_000)); // funded, not approved
      const poolAddress = await fx.pool.getAddress();
      const { keeper, logs } = await createTestKeeper({
        pool: poolAddress,
        lens: await fx.lens.getAddress(),
        walletIndex: 14,
        settings: { approve: true },
      });
      expect(await fx.loanToken.allowance(wallet.address, poolAddress)).to.equal(ethers.MaxUint256);
      expect(logs.some((line) => line.msg === "approved the pool to pull the loan asset")).to.equal(true);
      await keeper.tick();
      await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
      const report = await keeper.tick();
      expect(report.sends.map((send) => send.result)).to.deep.equal(["sent"]);
    });

    it("without --approve, says what is missing", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const { logs } = await createTestKeeper({
        pool: await fx.pool.getAddress(),
        lens: await fx.lens.getAddress(),
        walletIndex: 15,
      });
      const messages = logs.map((line) => line.msg);
      expect(messages).to.include(
        "the signer holds none of the pool's loan asset: it can socialize dust accounts and recognize losses, but not liquidate or close; fund it",
      );
      expect(messages).to.include(
        "the pool may not pull the signer's loan asset: restart with --approve or approve it yourself",
      );
    });

    it("re-signs with a fresh nonce when a transaction sent outside the keeper took its nonce", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const { keeper, wallet } = await createTestKeeper({
        pool: await fx.pool.getAddress(),
        lens: await fx.lens.getAddress(),
      });
      await keeper.tick();
      const outside = await ethers.getSigner(wallet.address);
      await outside.sendTransaction({ to: outside.address, value: 1n }); // takes the nonce the keeper expects
      await fx.collaterals[0].oracle.setPrice(priceE36(1_700, LOAN_DECIMALS, 18));
      const report = await keeper.tick();
      expect(report.sends.map((send) => send.result)).to.deep.equal(["sent"]);
      await keeper.tick();
      expect(keeper.state.journal.map((entry) => entry.status)).to.deep.equal(["included"]);
      expect(await fx.pool.queryFilter(fx.pool.filters.Liquidate(wallet.address))).to.have.length(1);
    });
  });

  describe("state", function () {
    it("stop() ends the loop after the current tick and saves the state atomically", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const { keeper, stateDir } = await createTestKeeper({
        pool: await fx.pool.getAddress(),
        lens: await fx.lens.getAddress(),
      });
      keeper.start();
      const head = await ethers.provider.getBlockNumber();
      while (keeper.state.processedBlock < head) await new Promise((resolve) => setTimeout(resolve, 10));
      await keeper.stop();
      const saved = JSON.parse(readFileSync(path.join(stateDir, "keeper-state.json"), "utf8"));
      expect(saved.processedBlock).to.equal(head);
      expect(Object.keys(saved.pools[await fx.pool.getAddress()].accounts)).to.deep.equal([fx.borrowers[0].address]);
      expect(existsSync(path.join(stateDir, `keeper-state.json.${process.pid}.tmp`))).to.equal(false);
    });

    it("refuses a state directory of another signer", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const options = {
        pool: await fx.pool.getAddress(),
        lens: await fx.lens.getAddress(),
      };
      const { keeper, stateDir } = await createTestKeeper(options);
      await keeper.tick();
      await expect(createTestKeeper({ ...options, stateDir, walletIndex: 13 })).to.be.rejectedWith(
        /belongs to chain 31337 and signer .* give this keeper its own --state-dir/,
      );
    });
  });

  describe("metrics and health endpoints", function () {
    it("serves /metrics, and /healthz fails until a block is processed and when processing stalls", async function () {
      const fx = await loadFixture(unhealthyAccount);
      const { keeper, metrics } = await createTestKeeper({
        pool: await fx.pool.getAddress(),
        lens: await fx.lens.getAddress(),
      });
      const server = await startMetricsServer(metrics, {
        host: "127.0.0.1",
        port: 0,
        healthMaxBlockAgeSeconds: 60,
      });
      try {
        const base = `http://127.0.0.1:${serverPort(server)}`;
        expect((await fetch(`${base}/healthz`)).status).to.equal(503);
        await keeper.tick();
        const healthy = await fetch(`${base}/healthz`);
        expect(healthy.status).to.equal(200);
        const text = await (await fetch(`${base}/metrics`)).text();
        expect(text).to.contain(`keeper_accounts_tracked{pool="${await fx.pool.getAddress()}"} 1`);
        expect(text).to.contain(`keeper_last_processed_block ${await ethers.provider.getBlockNumber()}`);
        expect(text).to.match(/keeper_rpc_calls_total\{method="eth_call"\} \d+/);
        expect(text).to.contain("keeper_scan_duration_seconds_count 1");
        metrics.lastProcessedAtMs = Date.now() - 61_000;
        expect((await fetch(`${base}/healthz`)).status).to.equal(503);
        expect((await fetch(`${base}/nope`)).status).to.equal(404);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe("the CLI as a process", function () {
    it("a --network without a deployments file names the file and suggests the network meant", async function () {
      const root = writeLocalhostDeployments({});
      const typo = await runKeeperCli(["--network", "local"], { cwd: root });
      expect(typo.code).to.equal(1);
      expect(typo.stderr).to.contain("deployments/local.json does not exist; did you mean localhost?");
      const undeployed = await runKeeperCli(["--network", "localhost"], { cwd: mkdtempSync(path.join(tmpdir(), "keeper-empty-")) });
      expect(undeployed.code).to.equal(1);
      expect(undeployed.stderr).to.contain(
        "deployments/localhost.json does not exist: deploy first (npm run deploy:local), or give the addresses and start block as flags",
      );
    });

    it("a metrics port in use is one line that suggests --metrics-port, with no stack and no colours in a pipe", async function () {
      const busy: Server = createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      const port = (busy.address() as { port: number }).port;
      try {
        const run = await runKeeperCli(
          [
            "--network", "localhost", "--rpc-url", "http://127.0.0.1:1", "--pools", POOL, "--lens", LENS,
            "--start-block", "0", "--native-price", "1", "--metrics-port", String(port),
            "--state-dir", mkdtempSync(path.join(tmpdir(), "keeper-port-")), "--pretty",
          ],
          { env: { KEEPER_PRIVATE_KEY: KEY } },
        );
        expect(run.code).to.equal(1);
        expect(run.stdout).to.contain(
          `keeper could not start: Cannot serve /metrics and /healthz: 127.0.0.1:${port} is already in use (another keeper?) ` +
            "(EADDRINUSE). Pass --metrics-port <port> (or set KEEPER_METRICS_PORT); --metrics-port 0 picks a free port.",
        );
        expect(run.stdout).not.to.match(/^\s+at /m);
        // --pretty into a pipe (a log file): plain text.
        expect(run.stdout).not.to.contain("\u001b[");
        // It stopped before connecting: the unreachable RPC URL was never tried.
        expect(run.stdout).not.to.contain("retrying");
      } finally {
        await new Promise((resolve) => busy.close(resolve));
      }
    });
  });

  describe("logs", function () {
    it("colours pretty logs only on a terminal without NO_COLOR", async function () {
      expect(colorsByDefault({ isTTY: false }, {})).to.equal(false);
      expect(colorsByDefault({}, {})).to.equal(false);
      expect(colorsByDefault({ isTTY: true }, {})).to.equal(true);
      expect(colorsByDefault({ isTTY: true }, { NO_COLOR: "1" })).to.equal(false);
      const pretty = async (colorize: boolean): Promise<string> => {
        const chunks: string[] = [];
        const destination = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            chunks.push(chunk.toString());
            callback();
          },
        });
        createLogger({ level: "info", pretty: true, colorize, destination }).info("plain");
        await new Promise((resolve) => setTimeout(resolve, 50));
        return chunks.join("");
      };
      expect(await pretty(false)).to.contain("INFO: plain").and.not.to.contain("\u001b[");
      expect(await pretty(true)).to.contain("\u001b[");
    });

    it("logs a heartbeat at info every interval with the last block processed and pending transactions", async function () {
      const metrics = new KeeperMetrics();
      const beats: { object: Record<string, unknown>; message: string }[] = [];
      const logger = { info: (object: object, message: string) => void beats.push({ object: object as Record<string, unknown>, message }) };
      const stop = startHeartbeat(metrics, logger, 20, () => 2);
      try {
        await new Promise((resolve) => setTimeout(resolve, 70));
        expect(beats.length).to.be.greaterThanOrEqual(1);
        expect(beats[0]).to.deep.equal({
          message: "heartbeat",
          object: { lastProcessedBlock: null, secondsSinceLastBlock: null, accountsTracked: 0, pendingTransactions: 2 },
        });
        metrics.recordBlockProcessed(42);
        const seen = beats.length;
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(beats.slice(seen).at(-1)?.object).to.deep.include({ lastProcessedBlock: 42, secondsSinceLastBlock: 0 });
      } finally {
        stop();
      }
      const after = beats.length;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(beats.length).to.equal(after);
      expect(startHeartbeat(metrics, logger, 0, () => 0)).to.be.a("function");
      expect(commandLine().helpInformation()).to.match(/--heartbeat-seconds <s>\s+log a one-line heartbeat at info/);
      expect(resolveConfig({ network: "x", rpcUrl: "http://r", pools: POOL, lens: LENS, startBlock: "0", stateDir: "/tmp/x" }, { KEEPER_PRIVATE_KEY: KEY, KEEPER_NATIVE_PRICE: "1" }).heartbeatSeconds).to.equal(60);
    });
  });

  describe("configuration", function () {
    it("names every missing setting with its flag and environment variable", function () {
      expect(configProblems(() => resolveConfig({}, {}, tmpdir()))).to.deep.equal([
        "signer: give exactly one of a private key (set KEEPER_PRIVATE_KEY) or a keystore (set --keystore <file> or KEEPER_KEYSTORE, with KEEPER_KEYSTORE_PASSWORD)",
        "pools: no pool to watch (set --pools <a,b> or KEEPER_POOLS, or --factory <address> or KEEPER_FACTORY, or deploy so that deployments/<network>.json exists)",
        "network: missing (set --network <name> or KEEPER_NETWORK)",
        "rpcUrl: missing (set --rpc-url <url> or KEEPER_RPC_URL)",
        "lens: missing (set --lens <address> or KEEPER_LENS)",
        "startBlock: missing (set --start-block <n> or KEEPER_START_BLOCK)",
        "nativePrice: missing (set --native-price <loan units per native token> or KEEPER_NATIVE_PRICE)",
        "stateDir: missing (set --state-dir <dir> or KEEPER_STATE_DIR)",
      ]);
    });

    it("takes --recognition-threshold in loan-asset units or basis points, 10bps by default, and documents it in --help", function () {
      const base = { KEEPER_PRIVATE_KEY: KEY, KEEPER_NATIVE_PRICE: "1" };
      const flags = { network: "sepolia", rpcUrl: "http://127.0.0.1:8545", pools: POOL, lens: LENS, startBlock: "0" };
      const defaults = resolveConfig(flags, base, tmpdir());
      expect([defaults.recognitionThreshold, defaults.recognitionBatchSize]).to.deep.equal(["10bps", 200]);
      const parsed = resolveConfig(
        parseCommandLine(["--recognition-threshold", "2.5", "--recognition-batch-size", "50"]),
        {
          ...base,
          KEEPER_NETWORK: "sepolia",
          KEEPER_RPC_URL: "http://127.0.0.1:8545",
          KEEPER_POOLS: POOL,
          KEEPER_LENS: LENS,
          KEEPER_START_BLOCK: "0",
        },
        tmpdir(),
      );
      expect([parsed.recognitionThreshold, parsed.recognitionBatchSize]).to.deep.equal(["2.5", 50]);
      expect(
        resolveConfig(flags, { ...base, KEEPER_RECOGNITION_THRESHOLD: "0" }, tmpdir()).recognitionThreshold,
      ).to.equal("0");
      expect(
        configProblems(() => resolveConfig({ ...flags, recognitionThreshold: "1.5bps" }, base, tmpdir())),
      ).to.deep.equal([
        "recognitionThreshold: must be loan-asset units (2.5) or basis points of the debt (10bps) " +
          "(set --recognition-threshold <loan units|Nbps> or KEEPER_RECOGNITION_THRESHOLD)",
      ]);
      const help = commandLine().helpInformation().replace(/\s+/g, " ");
      expect(help).to.contain("--recognition-threshold <loan units|Nbps>");
      expect(help).to.contain("basis points of its debt (10bps); 0 = any change (default 10bps)");
      expect(help).to.contain("KEEPER_RECOGNITION_THRESHOLD");
      expect(help).to.contain("--recognition-batch-size <n>");
    });

    it("takes --trusted-price-refresh (seconds, below MAX_TRUSTED_PRICE_AGE, a quarter of it by default) and --trusted-price-tolerance-bps (100), and documents them in --help", function () {
      const base = { KEEPER_PRIVATE_KEY: KEY, KEEPER_NATIVE_PRICE: "1" };
      const flags = { network: "sepolia", rpcUrl: "http://127.0.0.1:8545", pools: POOL, lens: LENS, startBlock: "0" };
      const defaults = resolveConfig(flags, base, tmpdir());
      expect([defaults.trustedPriceRefreshSeconds, defaults.trustedPriceToleranceBps]).to.deep.equal([5_400, 100]);
      const parsed = resolveConfig(
        { ...flags, ...parseCommandLine(["--trusted-price-refresh", "3600", "--trusted-price-tolerance-bps", "50"]) },
        base,
        tmpdir(),
      );
      expect([parsed.trustedPriceRefreshSeconds, parsed.trustedPriceToleranceBps]).to.deep.equal([3_600, 50]);
      expect(
        resolveConfig(flags, { ...base, KEEPER_TRUSTED_PRICE_REFRESH: "0" }, tmpdir()).trustedPriceRefreshSeconds,
      ).to.equal(0);
      expect(
        configProblems(() =>
          resolveConfig({ ...flags, trustedPriceRefresh: "21600", trustedPriceToleranceBps: "-1" }, base, tmpdir()),
        ),
      ).to.deep.equal([
        "trustedPriceRefresh: must be below 21600 (MAX_TRUSTED_PRICE_AGE): an older trusted price no longer " +
          "stands in for a failing oracle (set --trusted-price-refresh <seconds> or KEEPER_TRUSTED_PRICE_REFRESH)",
        "trustedPriceToleranceBps: Too small: expected number to be >=0 " +
          "(set --trusted-price-tolerance-bps <bps> or KEEPER_TRUSTED_PRICE_TOLERANCE_BPS)",
      ]);
      const help = commandLine().helpInformation().replace(/\s+/g, " ");
      expect(help).to.contain("--trusted-price-refresh <seconds>");
      expect(help).to.contain("refreshTrustedPrices()");
      expect(help).to.contain("usable for 21600 s) is this many seconds old, at most 21599");
      expect(help).to.contain("(default 5400)");
      expect(help).to.contain("KEEPER_TRUSTED_PRICE_REFRESH");
      expect(help).to.contain("--trusted-price-tolerance-bps <bps>");
      expect(help).to.contain("basis points of the trusted price (default 100)");
      expect(help).to.contain("KEEPER_TRUSTED_PRICE_TOLERANCE_BPS");
    });

    it("rejects malformed values, naming the setting", function () {
      const env = {
        KEEPER_PRIVATE_KEY: "0x1234",
        KEEPER_NATIVE_PRICE: "-3",
        KEEPER_CONFIRMATIONS: "two",
      };
      const flags = {
        network: "sepolia",
        rpcUrl: "127.0.0.1:8545",
        pools: `${POOL},0xabc`,
        lens: LENS,
        startBlock: "0",
      };
      expect(configProblems(() => resolveConfig(flags, env, tmpdir()))).to.deep.equal([
        "rpcUrl: must be an http(s):// or ws(s):// URL (set --rpc-url <url> or KEEPER_RPC_URL)",
        "privateKey: must be a 32-byte hex private key (set KEEPER_PRIVATE_KEY)",
        "pools: must be a 0x-prefixed 20-byte hex address (set --pools <a,b> or KEEPER_POOLS)",
        "confirmations: Invalid input: expected number, received NaN (set --confirmations <n> or KEEPER_CONFIRMATIONS)",
        "nativePrice: must be a non-negative decimal number (set --native-price <loan units per native token> or KEEPER_NATIVE_PRICE)",
      ]);
    });

    it("takes addresses and the start block from deployments/<network>.json; flags win over env and the file", function () {
      const root = writeLocalhostDeployments({
        network: "localhost",
        chainId: 31337,
        deployBlock: 7,
        contracts: { PoolFactory: FACTORY, PoolLens: LENS },
        pools: [{ name: "mpUSD", address: POOL, loanAsset: FACTORY }],
      });
      const config = resolveConfig(
        parseCommandLine(["--network", "localhost", "--dry-run", "--confirmations", "5"]),
        {
          KEEPER_PRIVATE_KEY: KEY,
          KEEPER_NATIVE_PRICE: "2500.5",
          KEEPER_CONFIRMATIONS: "9",
        },
        root,
      );
      expect(config.rpcUrl).to.equal("http://127.0.0.1:8545");
      expect(config.pools).to.deep.equal([POOL]);
      expect(config.factory).to.equal(FACTORY);
      expect(config.lens).to.equal(LENS);
      expect(config.startBlock).to.equal(7);
      expect(config.confirmations).to.equal(5);
      expect(config.dryRun).to.equal(true);
      expect(config.nativePriceE18).to.equal(ethers.parseUnits("2500.5", 18));
      expect(config.maxGasPriceWei).to.equal(ethers.parseUnits("100", "gwei"));
      expect(config.stateDir).to.equal(path.join(root, "keeper-state", "localhost"));
    });

    it("names the deployments file and the field when the file is invalid", function () {
      const root = writeLocalhostDeployments({
        network: "localhost",
        chainId: 31337,
        deployBlock: 1,
        contracts: { PoolLens: LENS },
      });
      const problems = configProblems(() =>
        resolveConfig({ network: "localhost" }, { KEEPER_PRIVATE_KEY: KEY, KEEPER_NATIVE_PRICE: "1" }, root),
      );
      expect(problems[0]).to.match(
        /deployments\/localhost\.json is not a valid deployments file \(contracts\.PoolFactory: /,
      );
    });
  });
});
