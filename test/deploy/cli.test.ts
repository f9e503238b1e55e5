import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ignitionDisplayUi, unreachableNodeMessage } from "../../scripts/deploy";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Runs `hardhat <args>` as its own process from the repository root; resolves when it exits. */
function runHardhat(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = require.resolve("hardhat/internal/cli/cli.js");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A local port that nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs an operator script (scripts/<name>.ts) with ts-node as its own process from `cwd`. */
function runScript(
  name: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tsNode = require.resolve("ts-node/dist/bin.js");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsNode, path.join(REPO_ROOT, "scripts", `${name}.ts`), ...args],
      {
        cwd,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TS_NODE_TRANSPILE_ONLY: "true",
          TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"),
          ...env,
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

describe("deploy: the deploy command as a process", function () {
  it("deploy:local with no node names the URL it tried, `npm run node` and LOCALHOST_RPC_URL", async function () {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runHardhat(["run", "scripts/deploy.ts", "--network", "localhost"], {
      LOCALHOST_RPC_URL: url,
      DEPLOYMENTS_ROOT: mkdtempSync(path.join(tmpdir(), "deploy-cli-")),
    });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain(
      `Cannot reach the localhost node at ${url}: nothing answers there. Start a local node in another terminal with ` +
        "`npm run node`, or, if your node listens elsewhere, set LOCALHOST_RPC_URL",
    );
    expect(run.stderr).not.to.contain("HH108");
    // Not a terminal: no Ignition progress display, one line saying so.
    expect(run.stdout).to.contain("Ignition's progress display is off (stdout is not a terminal)");
  });

  it("deploy:sepolia without its environment prints the sentence alone, without a stack trace", async function () {
    const run = await runHardhat(["run", "scripts/deploy.ts", "--network", "sepolia"], {});
    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal(
      "Error: --network sepolia needs SEPOLIA_RPC_URL (the JSON-RPC URL of a sepolia node) and DEPLOYER_PRIVATE_KEY " +
        "(the deployer's private key, 64 hex digits) in the environment.\n",
    );
    expect(run.stdout).to.equal("");
  });

  it("an operator script with no node names the URL, `npm run node` and LOCALHOST_RPC_URL", async function () {
    const root = mkdtempSync(path.join(tmpdir(), "status-cli-"));
    mkdirSync(path.join(root, "deployments"));
    const address = `0x${"11".repeat(20)}`;
    writeFileSync(
      path.join(root, "deployments", "localhost.json"),
      JSON.stringify({ network: "localhost", chainId: 31337, deployBlock: 1, contracts: { PoolFactory: address, PoolLens: address } }),
    );
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runScript("status", [], root, { LOCALHOST_RPC_URL: url });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(new RegExp(`^error: Cannot reach ${url}: .*\\.`));
    expect(run.stderr).to.contain(
      "Start a node with `npm run node`, or, for a node on another port, set LOCALHOST_RPC_URL or pass --rpc-url.",
    );
  });

  it("shows Ignition's progress only on a terminal, and rewrites only HH108", function () {
    expect(ignitionDisplayUi({ isTTY: true })).to.equal(true);
    expect(ignitionDisplayUi({ isTTY: false })).to.equal(false);
    expect(ignitionDisplayUi({})).to.equal(false);
    expect(unreachableNodeMessage(new Error("something else"), "localhost", "http://x")).to.equal(undefined);
    expect(unreachableNodeMessage(new Error("HH108: Cannot connect to the network sepolia."), "sepolia", "https://rpc")).to.equal(
      "Cannot reach the sepolia node at https://rpc: check that the URL is right and the node is up (it comes from SEPOLIA_RPC_URL).",
    );
  });
});
