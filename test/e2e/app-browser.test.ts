/**
 * The LP app in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser). Its own
 * processes: `hardhat node`, the Ignition deploy of LocalDevnet, `vite build` + `vite preview` of app/, and the
 * keeper. A test wallet (testWallet.ts) stands in for MetaMask, backed by a node account.
 *
 * The story: LPs and borrowers are seeded over JSON-RPC; the test LP deposits through the page (with a permit,
 * then with an approval), asks to withdraw more than it may (the page explains the pool's error), the prices crash,
 * the shortfall is recognized (the page shows it, the exit and the entry price), the keeper realizes the bad debt,
 * and the page's loss history and position must equal the chain. A screenshot of
 * the pool page after the loss is saved to test-artifacts/ (not committed). A wallet on another chain is refused, and
 * the dev server of `npm run app` serves the same page from source.
 */
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { formatUnits, parseUnits, type JsonRpcProvider } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";
import { MockERC20__factory, PoolLens__factory, Pool__factory } from "../../typechain-types";
import { DEFAULT_SEED_PLAN, seedLocal } from "../../scripts/seed-local";
import { setMockPrice } from "../../scripts/set-price";
import {
  formatAmount,
  formatPercentE18,
  formatSharePrice,
  formatUtcMinute,
  shortAddress,
} from "../../scripts/lib/format";
import { deployLocalDevnet, REPO_ROOT, startKeeperProcess, startLocalNode } from "./localStack";
import {
  childEnvironment,
  freePort,
  groupAlive,
  removeOnExit,
  startProcess,
  stopAll,
  stopProcess,
  waitFor,
  type ManagedProcess,
} from "./processes";
import { emitWalletEvent, installTestWallet } from "./testWallet";

const VITE_CLI = path.join(REPO_ROOT, "node_modules", "vite", "bin", "vite.js");
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** As root in a container, with no network beyond loopback: no sandbox, no background connections. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS_DIR = path.join(REPO_ROOT, "test-artifacts");
/** Hardhat account 10: not used by LocalDevnet or seed-local, so everything it holds in the pool is the page's doing. */
const UI_LP_ACCOUNT = 10;
const LOAN_DECIMALS = 6;

/** Clicks submit and waits for that submission's outcome (the page numbers each one in `data-seq`). */
async function submitAndWait(page: Page): Promise<{ phase: string; text: string }> {
  const seq = Number(await page.getByTestId("lp-form").getAttribute("data-submissions")) + 1;
  await page.getByTestId("submit").click();
  const outcome = page.locator(
    `[data-testid="tx-status"][data-seq="${seq}"][data-phase="confirmed"], [data-testid="tx-status"][data-seq="${seq}"][data-phase="failed"]`,
  );
  await outcome.waitFor({ timeout: 30_000 });
  return {
    phase: (await outcome.getAttribute("data-phase")) ?? "",
    text: ((await outcome.textContent()) ?? "").trim(),
  };
}

describe("LP app in a real browser: deposit through the page, crash, keeper, loss history", function () {
  const deploymentId = `e2e-app-${process.pid}-${Date.now()}`;
  const journalDir = path.join(REPO_ROOT, "deploy", "deployments", deploymentId);
  let workDir = "";
  const started: ManagedProcess[] = [];
  let provider: JsonRpcProvider | undefined;
  let browser: Browser | undefined;
  let currentPage: Page | undefined;

  before(function () {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(
        `No Chromium at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium; .ci/run does) or set ` +
          `CHROMIUM_PATH. This test never downloads a browser.`,
      );
    }
    workDir = mkdtempSync(path.join(tmpdir(), "mutual-pools-app-e2e-"));
    removeOnExit(workDir);
    removeOnExit(journalDir);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      for (const managed of started)
        console.error(`--- output of ${managed.name} ---\n${managed.output().slice(-6_000)}`);
      await currentPage
        ?.screenshot({ path: path.join(ARTIFACTS_DIR, "app-failure.png"), fullPage: true })
        .catch(() => undefined);
    }
  });

  after(async function () {
    await browser?.close();
    provider?.destroy();
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(journalDir, { recursive: true, force: true });
    expect(started.filter((managed) => groupAlive(managed.pid)).map((managed) => managed.name)).to.deep.equal([]);
  });

  it("shows the pool, deposits by permit and by approval, explains a refused withdrawal, then the write-down to the wei", async function () {
    const env = childEnvironment({ TS_NODE_TRANSPILE_ONLY: "true" });
    const distDir = path.join(workDir, "dist");
    const build = startProcess(
      "vite build",
      process.execPath,
      [VITE_CLI, "build", "--config", "app/vite.config.mts", "--outDir", distDir, "--emptyOutDir"],
      {
        cwd: REPO_ROOT,
        env,
      },
    );
    started.push(build);
    const local = await startLocalNode(started, env);
    provider = local.provider;
    const rpc = local.provider;
    const deployment = await deployLocalDevnet(
      started,
      { ...env, LOCALHOST_RPC_URL: local.rpcUrl },
      { deploymentId, deploymentsRoot: workDir },
    );
    expect(await build.exited, build.output()).to.equal(0);

    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const server = startProcess(
      "vite preview",
      process.execPath,
      [
        VITE_CLI,
        "preview",
        "--config",
        "app/vite.config.mts",
        "--outDir",
        distDir,
        "--port",
        String(appPort),
        "--strictPort",
        "--host",
        "127.0.0.1",
      ],
      { cwd: REPO_ROOT, env: { ...env, APP_DEPLOYMENTS_DIR: path.join(workDir, "deployments") } },
    );
    started.push(server);
    await waitFor(
      "the app server to serve the deployments file",
      async () => ((await fetch(`${appUrl}/deployments/localhost.json`).catch(() => undefined))?.ok ? true : undefined),
      {
        timeoutMs: 60_000,
        needed: [server],
      },
    );

    // Other LPs and the borrowers, over JSON-RPC; the page's LP (account 10) gets mUSDC to deposit.
    await seedLocal(deployment, (index) => rpc.getSigner(index), DEFAULT_SEED_PLAN);
    const poolAddress = deployment.pools[0].address;
    const pool = Pool__factory.connect(poolAddress, rpc);
    const owner = await rpc.getSigner(0);
    const lp = ((await rpc.send("eth_accounts", [])) as string[])[UI_LP_ACCOUNT];
    const lens = PoolLens__factory.connect(deployment.contracts.PoolLens, rpc);
    const usdc = MockERC20__factory.connect(await pool.asset(), owner);
    await (await usdc.mint(lp, parseUnits("100000", LOAN_DECIMALS))).wait();

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const wallet = await installTestWallet(context, { rpcUrl: local.rpcUrl, account: lp });
    const page = await context.newPage();
    currentPage = page;
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));

    // The pool page reads through the wallet's provider before any account is connected.
    await page.goto(`${appUrl}/?network=localhost`);
    await page.getByTestId("pool-page").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("pool-page").getAttribute("data-pool")).to.equal(poolAddress);
    expect(await page.getByTestId("collaterals").textContent())
      .to.include("mWETH")
      .and.include("mWBTC");
    expect(await page.getByTestId("position").count()).to.equal(0);
    // This site's own deployments file: named in the header, and no warning about who chose the addresses.
    expect(await page.getByTestId("source").textContent()).to.equal("Addresses: deployments/localhost.json");
    expect(await page.getByTestId("foreign-source").count()).to.equal(0);

    await page.getByTestId("connect").click();
    await page.getByTestId("position").waitFor();
    expect(await page.getByTestId("account").getAttribute("data-address")).to.equal(lp);

    // 1. Deposit 50,000 with a permit: one signature, one transaction (depositWithPermit).
    await page.getByTestId("amount").fill("50000");
    await page.getByText("You receive").waitFor();
    const permitDeposit = await submitAndWait(page);
    expect(permitDeposit.phase, permitDeposit.text).to.equal("confirmed");
    expect(permitDeposit.text).to.include("deposited 50,000 mUSDC");
    expect(wallet.methods).to.include("eth_signTypedData_v4");
    const [permitEvent] = await pool.queryFilter(pool.filters.Deposit(undefined, lp));
    const permitTx = await rpc.getTransaction(permitEvent.transactionHash);
    expect(permitTx?.data.slice(0, 10)).to.equal(pool.interface.getFunction("depositWithPermit").selector);
    expect(permitEvent.args.assets).to.equal(parseUnits("50000", LOAN_DECIMALS));

    // 2. Deposit 5,000 with an approval: two transactions, and no allowance left over.
    await page.getByTestId("method-approve").check();
    await page.getByTestId("amount").fill("5000");
    const approveDeposit = await submitAndWait(page);
    expect(approveDeposit.phase, approveDeposit.text).to.equal("confirmed");
    const deposits = await pool.queryFilter(pool.filters.Deposit(undefined, lp));
    expect(deposits.map((event) => event.args.assets)).to.deep.equal([
      parseUnits("50000", LOAN_DECIMALS),
      parseUnits("5000", LOAN_DECIMALS),
    ]);
    expect(await usdc.allowance(lp, poolAddress)).to.equal(0n);

    // 2b. The user turns the permit down in the wallet: nothing is sent, and the page says so.
    await page.getByTestId("method-permit").check();
    await page.getByTestId("amount").fill("1000");
    wallet.rejectNext("eth_signTypedData_v4");
    const rejected = await submitAndWait(page);
    expect(rejected).to.deep.equal({
      phase: "failed",
      text: "You rejected the request in your wallet; nothing was sent.",
    });
    expect((await pool.queryFilter(pool.filters.Deposit(undefined, lp))).length).to.equal(2);

    // 3. Withdraw more than it may: the pool's ERC4626ExceededMaxWithdraw, in a sentence with the figure to use.
    await page.getByTestId("tab-withdraw").click();
    // "Max" fills in what the pool lets it withdraw at the page's block, exactly.
    await page.getByTestId("max").click();
    const maxBlock = { blockTag: Number(await page.getByTestId("pool-page").getAttribute("data-block")) };
    expect(await page.getByTestId("amount").inputValue()).to.equal(
      formatUnits(await pool.maxWithdraw(lp, maxBlock), LOAN_DECIMALS),
    );
    await page.getByTestId("amount").fill("60000");
    const refused = await submitAndWait(page);
    expect(refused.phase).to.equal("failed");
    const maxWithdraw = await pool.maxWithdraw(lp);
    expect(refused.text).to.equal(
      `You can withdraw at most ${formatAmount(maxWithdraw, LOAN_DECIMALS)} mUSDC now: the pool's idle cash or your balance, ` +
        `whichever is smaller; try ≤ ${formatAmount(maxWithdraw, LOAN_DECIMALS)} mUSDC.`,
    );
    const sharesBeforeCrash = await pool.balanceOf(lp);

    // A month of interest: the reserve fills (the first-loss buffer) and the position shows what it earned.
    await rpc.send("evm_increaseTime", [30 * 24 * 3600]);
    await rpc.send("evm_mine", []);
    await page.getByTestId("refresh").click();
    await page.locator(`[data-testid="pool-page"][data-block="${await rpc.getBlockNumber()}"]`).waitFor();
    expect(await page.getByTestId("position-gain").locator(".label").textContent()).to.equal("Earned");
    const reserveBeforeCrash = (await lens.poolState(poolAddress)).reserveAssets;
    expect(reserveBeforeCrash).to.be.greaterThan(0n);
    expect(await page.getByTestId("reserve").locator(".value").textContent()).to.equal(
      `${formatAmount(reserveBeforeCrash, LOAN_DECIMALS)} mUSDC`,
    );

    const figureText = async (testId: string, part: string) =>
      (await page.getByTestId(testId).locator(part).textContent())?.replace(/\s+/g, " ").trim();
    // Nothing recognized yet: the exit and entry prices are the same, and the page says how each is priced.
    expect(await figureText("recognized-shortfall", ".value")).to.equal("0 mUSDC");
    expect(await figureText("share-price", ".value")).to.equal(await figureText("entry-share-price", ".value"));
    expect((await page.getByTestId("pricing-note").textContent())?.replace(/\s+/g, " ").trim()).to.match(
      /^Withdrawals and redemptions are priced net of recognized losses: .* Deposits are priced at the entry price, /,
    );

    // 4. The prices crash 40%; anyone may recognize the shortfall (here the test, before the keeper runs): from that
    //    block the page shows it, and the exit price net of what the reserve does not cover.
    for (const collateral of ["mWETH", "mWBTC"])
      await setMockPrice(deployment, owner, rpc, collateral, { changePercent: "-40" });
    const borrowers = [
      ...new Set((await pool.queryFilter(pool.filters.Borrow(), deployment.deployBlock)).map((event) => event.args.account)),
    ];
    await (await pool.connect(owner).recognizeLosses(borrowers)).wait();
    const recognitionBlock = await rpc.getBlockNumber();
    await page.getByTestId("refresh").click();
    await page.locator(`[data-testid="pool-page"][data-block="${recognitionBlock}"]`).waitFor();
    const recognizedState = await lens.poolState(poolAddress, { blockTag: recognitionBlock });
    expect(recognizedState.totalShortfall).to.be.greaterThan(recognizedState.reserveAssets);
    const loan = (value: bigint): string => `${formatAmount(value, LOAN_DECIMALS)} mUSDC`;
    expect(await figureText("recognized-shortfall", ".value")).to.equal(loan(recognizedState.totalShortfall));
    expect(await figureText("recognized-shortfall", ".hint")).to.equal(
      `the reserve covers ${loan(recognizedState.reserveAssets)}; exits are priced net of ` +
        `${loan(recognizedState.totalShortfall - recognizedState.reserveAssets)}`,
    );
    expect(await figureText("share-price", ".value")).to.equal(`${formatSharePrice(recognizedState.sharePrice, LOAN_DECIMALS)} mUSDC`);
    expect(await figureText("entry-share-price", ".value")).to.equal(
      `${formatSharePrice(recognizedState.entrySharePrice, LOAN_DECIMALS)} mUSDC`,
    );
    expect(recognizedState.sharePrice).to.be.lessThan(recognizedState.entrySharePrice);
    // Each borrower at risk with its recognized shortfall, as the lens has it.
    const atRisk = page.getByTestId("account-at-risk");
    const recognizedViews = (await lens.accounts(poolAddress, borrowers, { blockTag: recognitionBlock })).filter(
      (view) => view.recognizedShortfall > 0n,
    );
    expect(recognizedViews.length).to.be.greaterThan(0);
    for (const view of recognizedViews) {
      const row = page.locator(`[data-testid="account-at-risk"][data-account="${view.account}"]`);
      expect(await row.getAttribute("data-recognized")).to.equal(view.recognizedShortfall.toString());
      expect(await row.getAttribute("data-shortfall")).to.equal(view.shortfall.toString());
    }
    expect(await atRisk.count()).to.be.at.least(recognizedViews.length);
    // The position is worth its exit value.
    const valueAtRecognition = await pool.previewRedeem(await pool.balanceOf(lp), { blockTag: recognitionBlock });
    expect(await figureText("position-value", ".value")).to.equal(loan(valueAtRecognition));

    //    Then the keeper (its own process) closes the insolvent accounts and realizes the bad debt.
    const keeper = await startKeeperProcess(started, env, { rpcUrl: local.rpcUrl, workDir, node: local.node });
    const realized = await waitFor(
      "the keeper to realize the bad debt and leave no liquidatable account",
      async () => {
        const events = await pool.queryFilter(pool.filters.BadDebtRealized(), deployment.deployBlock);
        const accounts = [
          ...new Set(
            (await pool.queryFilter(pool.filters.Borrow(), deployment.deployBlock)).map((event) => event.args.account),
          ),
        ];
        const views = await lens.accounts(poolAddress, accounts);
        return events.length > 0 && views.every((view) => !view.liquidatable && view.debt <= view.collateralValue)
          ? events
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, needed: [local.node, keeper] },
    );
    expect(await stopProcess(keeper, "SIGTERM", 20_000)).to.equal(0);
    expect(await pool.balanceOf(lp)).to.equal(sharesBeforeCrash);
    // The reserve took the first loss, then the LPs: it was empty after each realization that reached them.
    expect(realized[0].args.coveredByReserve).to.be.greaterThan(0n);
    for (const event of realized.filter((realization) => realization.args.socializedAssets > 0n)) {
      expect(await pool.reserveAssets({ blockTag: event.blockNumber })).to.equal(0n);
    }

    // 5. The page, refreshed: one loss row per BadDebtRealized, every figure as on chain.
    await page.getByTestId("refresh").click();
    const rows = page.getByTestId("loss-row");
    await rows.nth(realized.length - 1).waitFor({ timeout: 30_000 });
    expect(await rows.count()).to.equal(realized.length);
    const virtualShares = 10n ** ((await pool.decimals()) - BigInt(LOAN_DECIMALS));
    let totalCost = 0n;
    for (const [i, event] of realized.entries()) {
      const row = rows.nth(i);
      const { borrower, badDebtAssets, coveredByReserve, socializedAssets, sharePriceBefore, sharePriceAfter } =
        event.args;
      // From the chain alone: the LP's shares and the total supply at the end of the previous block (nothing else
      // happened since: the keeper's transactions each have a block), and the virtual shares of the pool's offset.
      const before = { blockTag: event.blockNumber - 1 };
      const sharesThen = await pool.balanceOf(lp, before);
      expect(sharesThen).to.equal(sharesBeforeCrash);
      const cost = (sharesThen * socializedAssets) / ((await pool.totalSupply(before)) + virtualShares);
      expect(cost).to.be.greaterThan(0n);
      totalCost += cost;
      // The loss was recognized before: the realization moves the exit price by at most a unit.
      expect(event.blockNumber).to.be.greaterThan(recognitionBlock);
      expect(sharePriceBefore - sharePriceAfter).to.be.within(0n, 1n);
      expect(await row.getAttribute("data-tx")).to.equal(event.transactionHash);
      expect(await row.getAttribute("data-borrower")).to.equal(borrower);
      expect(await row.getAttribute("data-bad-debt")).to.equal(badDebtAssets.toString());
      expect(await row.getAttribute("data-covered")).to.equal(coveredByReserve.toString());
      expect(await row.getAttribute("data-socialized")).to.equal(socializedAssets.toString());
      expect(await row.getAttribute("data-price-before")).to.equal(sharePriceBefore.toString());
      expect(await row.getAttribute("data-price-after")).to.equal(sharePriceAfter.toString());
      expect(await row.getAttribute("data-cost")).to.equal(cost.toString());
      const block = await rpc.getBlock(event.blockNumber);
      const cells = (await row.locator("td").allTextContents()).map((text) => text.replace(/\s+/g, " ").trim());
      expect(cells).to.deep.equal([
        `${formatUtcMinute(block?.timestamp ?? 0)} block ${event.blockNumber}`,
        shortAddress(borrower),
        `${formatAmount(badDebtAssets, LOAN_DECIMALS)} mUSDC`,
        `${formatAmount(coveredByReserve, LOAN_DECIMALS)} mUSDC`,
        `${formatAmount(socializedAssets, LOAN_DECIMALS)} mUSDC`,
        `${formatSharePrice(sharePriceBefore, LOAN_DECIMALS)} → ${formatSharePrice(sharePriceAfter, LOAN_DECIMALS)}`,
        formatAmount(sharesThen, Number(await pool.decimals()), 6),
        `${formatAmount(cost, LOAN_DECIMALS)} mUSDC`,
      ]);
    }
    // Together the rows cost what the LP's shares lost in value from the block before the recognition to the last
    // realization, less the interest they earned meanwhile (at most value × the highest supply rate × seconds), to a
    // few units of rounding per row.
    const lastRealization = realized[realized.length - 1].blockNumber;
    const beforeRecognition = { blockTag: recognitionBlock - 1 };
    const valueBeforeRecognition = await pool.previewRedeem(sharesBeforeCrash, beforeRecognition);
    const valueDrop =
      valueBeforeRecognition - (await pool.previewRedeem(sharesBeforeCrash, { blockTag: lastRealization }));
    const seconds = BigInt(
      ((await rpc.getBlock(lastRealization))?.timestamp ?? 0) - ((await rpc.getBlock(recognitionBlock - 1))?.timestamp ?? 0),
    );
    let supplyRate = 0n;
    for (let block = recognitionBlock - 1; block < lastRealization; block += 1) {
      const rate = (await lens.poolState(poolAddress, { blockTag: block })).supplyRatePerSecondE18;
      if (rate > supplyRate) supplyRate = rate;
    }
    const rounding = 3n * BigInt(realized.length);
    expect(totalCost - valueDrop).to.be.within(
      -rounding,
      (valueBeforeRecognition * supplyRate * seconds) / 10n ** 18n + rounding,
    );

    // The position: what the shares redeem for at the page's block, as the chain computes it.
    const pageBlock = Number(await page.getByTestId("pool-page").getAttribute("data-block"));
    const shares = await pool.balanceOf(lp, { blockTag: pageBlock });
    const value = await pool.previewRedeem(shares, { blockTag: pageBlock });
    const position = page.getByTestId("position");
    expect(await position.getAttribute("data-shares")).to.equal(shares.toString());
    expect(await position.getAttribute("data-value")).to.equal(value.toString());
    expect(await page.getByTestId("position-value").locator(".value").textContent()).to.equal(
      `${formatAmount(value, LOAN_DECIMALS)} mUSDC`,
    );
    // 55,000 went in; the write-down took more than the interest earned since.
    expect(await figureText("position-deposited", ".value")).to.equal("55,000 mUSDC");
    expect(await figureText("position-gain", ".label")).to.equal("Loss");
    expect(await figureText("position-gain", ".value")).to.equal(
      `${formatAmount(parseUnits("55000", LOAN_DECIMALS) - value, LOAN_DECIMALS)} mUSDC`,
    );
    const supply = await pool.totalSupply({ blockTag: pageBlock });
    expect(await figureText("position-pool-share", ".value")).to.equal(
      formatPercentE18((shares * 10n ** 18n) / supply),
    );
    expect(await page.getByTestId("share-price-chart").locator("circle.write-down").count()).to.equal(realized.length);

    // The wallet switches to another chain: the page drops the pool's figures and asks to switch back; and back.
    wallet.setChainOverride(1);
    await emitWalletEvent(page, "chainChanged", "0x1");
    await page.getByTestId("wrong-chain").waitFor();
    expect(await page.getByTestId("pool-page").count()).to.equal(0);
    wallet.setChainOverride(undefined);
    await emitWalletEvent(page, "chainChanged", "0x7a69");
    await page.getByTestId("pool-page").waitFor();
    await page.getByTestId("position").waitFor();
    expect(await page.getByTestId("wrong-chain").count()).to.equal(0);

    // The user switches to another account (seed-local's LP #1): the page shows that account's position, then back.
    const otherLp = ((await rpc.send("eth_accounts", [])) as string[])[1];
    wallet.setAccount(otherLp);
    await emitWalletEvent(page, "accountsChanged", [otherLp]);
    await page.locator(`[data-testid="account"][data-address="${otherLp}"]`).waitFor();
    await page.locator(`[data-testid="position"][data-shares="${await pool.balanceOf(otherLp)}"]`).waitFor();
    expect(await figureText("position-deposited", ".value")).to.equal("100,000 mUSDC");
    wallet.setAccount(lp);
    await emitWalletEvent(page, "accountsChanged", [lp]);
    await page.locator(`[data-testid="position"][data-shares="${shares}"]`).waitFor();

    // A refresh at the same head asks the node for no logs (the page caches them); one block later, only for that
    // block: one eth_getLogs per event query, whatever the history's length.
    const getLogsCalls = () => wallet.methods.filter((method) => method === "eth_getLogs").length;
    const refreshed = async () => {
      await page.getByTestId("refresh").click();
      await page.locator('[data-testid="refresh"]:not([disabled])').waitFor();
    };
    const beforeSameHead = getLogsCalls();
    await refreshed();
    expect(getLogsCalls() - beforeSameHead).to.equal(0);
    const beforeNewBlock = getLogsCalls();
    await rpc.send("evm_mine", []);
    // The page's 4 s poll or this click reads the new block, whichever comes first; the other finds nothing new.
    await refreshed();
    await page.locator(`[data-testid="pool-page"][data-block="${await rpc.getBlockNumber()}"]`).waitFor();
    const perNewBlock = getLogsCalls() - beforeNewBlock;
    expect(perNewBlock).to.be.within(1, 10);

    await page.getByTestId("tab-deposit").click();
    expect(await page.getByTestId("tx-status").count()).to.equal(0);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "app-pool-after-loss.png"), fullPage: true });
    expect(pageErrors).to.deep.equal([]);
    await context.close();

    // 6. A wallet on another chain is refused: no pool figures, no form, a sentence saying what to do.
    const wrongContext = await browser.newContext();
    await installTestWallet(wrongContext, { rpcUrl: local.rpcUrl, account: lp, chainIdOverride: 1 });
    const wrongPage = await wrongContext.newPage();
    currentPage = wrongPage;
    await wrongPage.goto(`${appUrl}/?network=localhost`);
    await wrongPage.getByTestId("wrong-chain").waitFor({ timeout: 30_000 });
    expect(await wrongPage.getByTestId("wrong-chain").textContent()).to.include(
      "Wrong network: your wallet is on Ethereum mainnet (chain 1), but this pool is on Hardhat local node (chain 31337).",
    );
    expect(await wrongPage.getByTestId("pool-page").count()).to.equal(0);
    expect(await wrongPage.getByTestId("lp-form").count()).to.equal(0);
    await wrongContext.close();

    // 7. `npm run app` (the Vite dev server, from source) serves the same app: the page reads the pool and the
    //    position, with no error in the page.
    const devPort = await freePort();
    const dev = startProcess(
      "vite dev",
      process.execPath,
      [VITE_CLI, "--config", "app/vite.config.mts", "--port", String(devPort), "--strictPort", "--host", "127.0.0.1"],
      { cwd: REPO_ROOT, env: { ...env, APP_DEPLOYMENTS_DIR: path.join(workDir, "deployments") } },
    );
    started.push(dev);
    await waitFor(
      "the dev server to answer",
      async () => ((await fetch(`http://127.0.0.1:${devPort}/`).catch(() => undefined))?.ok ? true : undefined),
      {
        timeoutMs: 60_000,
        needed: [dev],
      },
    );
    const devContext = await browser.newContext();
    await installTestWallet(devContext, { rpcUrl: local.rpcUrl, account: lp });
    const devPage = await devContext.newPage();
    currentPage = devPage;
    const devErrors: string[] = [];
    devPage.on("pageerror", (error) => devErrors.push(error.message));
    devPage.on("console", (entry) => void (entry.type() === "error" && devErrors.push(entry.text())));
    await devPage.goto(`http://127.0.0.1:${devPort}/`);
    await devPage.getByTestId("pool-page").waitFor({ timeout: 60_000 });
    await devPage.getByTestId("connect").click();
    await devPage.getByTestId("position").waitFor();
    expect(await devPage.getByTestId("loss-row").count()).to.equal(realized.length);
    expect(devErrors).to.deep.equal([]);
    await devContext.close();
  });
});
