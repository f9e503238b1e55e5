/**
 * The local stack of the end-to-end tests, each part its own process: `hardhat node` on a free port, the Ignition
 * deploy of LocalDevnet against it (addresses written to a temporary DEPLOYMENTS_ROOT, journal under a deployment
 * id of the run) and the keeper (`keepers/src/main.ts`) over JSON-RPC.
 */
import { expect } from "chai";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { readDeployment, type Deployment } from "../../keepers/src/deployments";
import { hardhatWallet } from "../keeper/harness";
import { freePort, startProcess, waitFor, type ManagedProcess } from "./processes";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const HARDHAT_CLI = require.resolve("hardhat/internal/cli/cli");
export const TS_NODE_CLI = require.resolve("ts-node/dist/bin");
/** Hardhat account 9: LocalDevnet funds it, and seed-local leaves it alone (as `npm run keeper:local`). */
export const KEEPER_ACCOUNT = 9;

export interface LocalNode {
  node: ManagedProcess;
  rpcUrl: string;
  provider: JsonRpcProvider;
}

/** Starts `hardhat node` on a free port and waits until it answers; checks it is a fresh chain (block 0). */
export async function startLocalNode(started: ManagedProcess[], env: NodeJS.ProcessEnv): Promise<LocalNode> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const node = startProcess(
    "hardhat node",
    process.execPath,
    [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: REPO_ROOT,
      env,
    },
  );
  started.push(node);
  const provider = new JsonRpcProvider(rpcUrl, Network.from(31_337), { staticNetwork: true, pollingInterval: 100 });
  await waitFor("the node to answer JSON-RPC", async () => (await provider.getBlockNumber()) >= 0 || undefined, {
    timeoutMs: 90_000,
    needed: [node],
  });
  // The port was free a moment before the node took it: check that this is a fresh node (nothing mined yet).
  expect(await provider.getBlockNumber()).to.equal(0);
  return { node, rpcUrl, provider };
}

/** `hardhat run scripts/deploy.ts --network localhost` as a child; returns the deployments file it wrote. */
export async function deployLocalDevnet(
  started: ManagedProcess[],
  env: NodeJS.ProcessEnv,
  options: { deploymentId: string; deploymentsRoot: string },
): Promise<Deployment> {
  const deploy = startProcess(
    "deploy",
    process.execPath,
    [HARDHAT_CLI, "run", "--network", "localhost", "scripts/deploy.ts"],
    {
      cwd: REPO_ROOT,
      env: { ...env, IGNITION_DEPLOYMENT_ID: options.deploymentId, DEPLOYMENTS_ROOT: options.deploymentsRoot },
    },
  );
  started.push(deploy);
  expect(await deploy.exited, deploy.output()).to.equal(0);
  const deployment = readDeployment("localhost", options.deploymentsRoot) as Deployment;
  expect(deployment.chainId).to.equal(31_337);
  expect(deployment.ignitionDeploymentId).to.equal(options.deploymentId);
  return deployment;
}

/** The keeper as its own process over JSON-RPC, run in `workDir` (its state there), once it serves /metrics. */
export async function startKeeperProcess(
  started: ManagedProcess[],
  env: NodeJS.ProcessEnv,
  options: { rpcUrl: string; workDir: string; node: ManagedProcess },
): Promise<ManagedProcess> {
  const keeper = startProcess(
    "keeper",
    process.execPath,
    [
      TS_NODE_CLI,
      path.join(REPO_ROOT, "keepers", "src", "main.ts"),
      "--network",
      "localhost",
      "--rpc-url",
      options.rpcUrl,
      "--native-price",
      "3000",
      "--approve",
      "--confirmations",
      "0",
      "--poll-interval-ms",
      "200",
      "--metrics-port",
      "0",
    ],
    { cwd: options.workDir, env: { ...env, KEEPER_PRIVATE_KEY: hardhatWallet(KEEPER_ACCOUNT).privateKey } },
  );
  started.push(keeper);
  await waitFor(
    "the keeper to serve /metrics",
    async () => (keeper.output().includes("serving /metrics") ? true : undefined),
    {
      timeoutMs: 90_000,
      needed: [options.node, keeper],
    },
  );
  return keeper;
}

/** The keeper's stdout as pino JSON lines. */
export function keeperLog(keeper: ManagedProcess): { level: number; msg: string }[] {
  return keeper
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}
