/**
 * `npm run demo` as a user runs it: the CLI in its own process (ts-node, as the npm script; the contracts are
 * already compiled by `hardhat test`). It must print the story and exit 0, and refuse a bad option with exit 1.
 */
import { expect } from "chai";
import path from "node:path";
import { childEnvironment, startProcess, stopAll } from "./processes";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TS_NODE_CLI = require.resolve("ts-node/dist/bin");

function runDemoCli(args: string[]) {
  return startProcess("demo", process.execPath, [TS_NODE_CLI, path.join(REPO_ROOT, "scripts", "demo.ts"), ...args], {
    cwd: REPO_ROOT,
    env: childEnvironment({ TS_NODE_TRANSPILE_ONLY: "true" }),
  });
}

describe("end to end: the demo CLI (npm run demo)", function () {
  after(async function () {
    await stopAll();
  });

  it("prints the recognition, the run, the LP table, the loss split and the checks, and exits 0", async function () {
    const demo = runDemoCli([]);
    const exitCode = await demo.exited;
    const output = demo.output();
    expect(exitCode, output).to.equal(0);
    expect(output).to.match(/Mutual Pools demo: 3 LPs, 6 borrowers, a 40% crash \(seed 4\)\./);
    expect(output).to.contain("value before crash");
    expect(output).to.contain("covered by the reserve (first loss)");
    expect(output).to.match(/sent recognizeLosses for 2 accounts/);
    expect(output).to.match(/PASS {2}the keeper recognized every shortfall before the liquidations/);
    expect(output).to.match(/PASS {2}every LP who stayed lost the same fraction/);
    expect(output).to.match(/PASS {2}the LP who ran bore the same fraction as those who stayed/);
    expect(output).to.contain("All 10 checks passed.");
    expect(output).not.to.contain("FAIL");
  });

  it("refuses a bad option with one line naming it, and exits 1", async function () {
    const demo = runDemoCli(["--crash", "120"]);
    expect(await demo.exited).to.equal(1);
    expect(demo.output().trim()).to.equal(
      'error: --crash expects a percentage above 0 and below 100 (e.g. 40), got "120".',
    );
  });
});
