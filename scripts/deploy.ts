/**
 * Deploys with Hardhat Ignition and writes `deployments/<network>.json` (the schema of keepers/src/deployments.ts),
 * which the keeper, the operator scripts and the demo read.
 *
 *   npx hardhat run scripts/deploy.ts --network localhost        # LocalDevnet (mock tokens and oracles, one pool)
 *   npx hardhat run scripts/deploy.ts --network sepolia          # Testnet, from deploy/parameters/sepolia.json
 *   DEPLOY_MODULE=Testnet npx hardhat run scripts/deploy.ts --network localhost
 *
 * `hardhat run` forwards no arguments, so the module is chosen by DEPLOY_MODULE or else by the network: LocalDevnet
 * on hardhat and localhost, Testnet anywhere else. The deployments file goes to `deployments/` under the current
 * directory (or under DEPLOYMENTS_ROOT). Ignition keeps its journal in deploy/deployments/chain-<id>/ (or
 * deploy/deployments/$IGNITION_DEPLOYMENT_ID/), so running the script again resumes an interrupted deploy (or does
 * nothing new) and rewrites the deployments file.
 * On the local chain (31337) a journal whose contracts no longer exist (the node was restarted) is wiped first.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { listTransactions } from "@nomicfoundation/ignition-core";
import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deploymentPath, deploymentSchema, type Deployment } from "../keepers/src/deployments";
import LocalDevnetModule from "../deploy/modules/LocalDevnet";
import { buildTestnetModule, testnetCoreParameters } from "../deploy/modules/Testnet";
import { DEVNET_COLLATERALS, DEVNET_LOAN_TOKEN } from "../deploy/lib/localDevnet";
import { loadTestnetParameters, testnetParametersPath, type TestnetParameters } from "../deploy/lib/testnetParameters";

export const DEPLOY_MODULES = ["LocalDevnet", "Testnet"] as const;
export type DeployModuleName = (typeof DEPLOY_MODULES)[number];

/** Networks whose chain is a local Hardhat node (or the in-process one). */
export const LOCAL_NETWORKS: readonly string[] = ["hardhat", "localhost"];
export const LOCAL_CHAIN_ID = 31_337;

/** DEPLOY_MODULE when set (and valid), else LocalDevnet on a local network and Testnet elsewhere. */
export function chooseModule(
  network: string,
  requested: string | undefined = process.env.DEPLOY_MODULE,
): DeployModuleName {
  if (requested !== undefined && requested !== "") {
    const match = DEPLOY_MODULES.find((name) => name === requested);
    if (match === undefined) {
      throw new Error(`DEPLOY_MODULE=${requested} is not a module; use one of ${DEPLOY_MODULES.join(", ")}.`);
    }
    return match;
  }
  return LOCAL_NETWORKS.includes(network) ? "LocalDevnet" : "Testnet";
}

export interface DeployOptions {
  moduleName: DeployModuleName;
  /** Where `deployments/` and `deploy/parameters/` are (the repository root by default). */
  rootDir?: string;
  /** Parameters for the Testnet module; read from deploy/parameters/<network>.json when omitted. */
  testnetParameters?: TestnetParameters;
  /**
   * Ignition deployment id: its journal is deploy/deployments/<id>/. Default `chain-<chainId>`, one per chain; a test
   * that deploys to its own node passes its own id so that it never touches the operator's journal.
   */
  deploymentId?: string;
  /** Ignition's progress display (on for the CLI, off in tests). */
  displayUi?: boolean;
  /** Log lines (the CLI prints them; tests collect them). */
  log?: (line: string) => void;
}

/** The contracts of one deploy, as addresses. */
interface DeployedAddresses {
  poolFactory: string;
  poolLens: string;
  rateModel: string;
  pool: string;
  loanToken: string;
  /** By collateral symbol. */
  collateralTokens: Record<string, string>;
  oracles: Record<string, string>;
}

/**
 * Deploys `options.moduleName` on `hre`'s network, writes `deployments/<network>.json` under `rootDir` and returns
 * what it wrote.
 */
export async function deployAndRecord(hre: HardhatRuntimeEnvironment, options: DeployOptions): Promise<Deployment> {
  const log = options.log ?? (() => undefined);
  const rootDir = options.rootDir ?? process.cwd();
  const network = hre.network.name;
  const chainId = Number(await hre.ethers.provider.send("eth_chainId", []));
  // Ignition journals every network but the in-process one, under deploy/deployments/<deployment id>/.
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  const journalDir =
    network === "hardhat" ? undefined : path.join(hre.config.paths.ignition, "deployments", deploymentId);
  if (journalDir !== undefined) await discardStaleLocalJournal(hre, journalDir, chainId, log);

  const blockBefore = await hre.ethers.provider.getBlockNumber();
  log(`Deploying ${options.moduleName} to ${network} (chain ${chainId}) …`);
  let addresses: DeployedAddresses;
  let tokenList: { symbol: string; address: string }[];
  if (options.moduleName === "LocalDevnet") {
    addresses = await deployLocalDevnet(hre, {
      displayUi: options.displayUi ?? false,
      deploymentId: options.deploymentId,
    });
    tokenList = [
      { symbol: DEVNET_LOAN_TOKEN.symbol, address: addresses.loanToken },
      ...DEVNET_COLLATERALS.map((collateral) => ({
        symbol: collateral.symbol,
        address: addresses.collateralTokens[collateral.symbol],
      })),
    ];
  } else {
    const parameters = options.testnetParameters ?? loadTestnetParameters(network, rootDir);
    if (parameters.example) {
      throw new Error(
        `${testnetParametersPath(network, rootDir)} is marked "example": true. Check every address in it on ${network}, ` +
          `then set "example" to false and deploy again.`,
      );
    }
    addresses = await deployTestnet(hre, parameters, {
      displayUi: options.displayUi ?? false,
      deploymentId: options.deploymentId,
    });
    tokenList = [parameters.loanToken, ...parameters.collaterals].map(({ symbol, address }) => ({ symbol, address }));
  }

  const deployBlock =
    journalDir !== undefined && existsSync(journalDir) ? await firstJournalBlock(hre, journalDir) : blockBefore + 1;
  const pool = await hre.ethers.getContractAt("Pool", addresses.pool);
  const tokens: Record<string, { address: string; decimals: number }> = {};
  for (const token of tokenList) {
    const erc20 = await hre.ethers.getContractAt("IERC20Metadata", token.address);
    tokens[token.symbol] = { address: token.address, decimals: Number(await erc20.decimals()) };
  }
  const deployment = deploymentSchema.parse({
    network,
    chainId,
    deployBlock,
    module: options.moduleName,
    ignitionDeploymentId: deploymentId,
    contracts: {
      PoolFactory: addresses.poolFactory,
      PoolLens: addresses.poolLens,
      KinkedRateModel: addresses.rateModel,
    },
    pools: [
      {
        name: await pool.name(),
        symbol: await pool.symbol(),
        address: addresses.pool,
        loanAsset: addresses.loanToken,
        collaterals: [...(await pool.collaterals())],
      },
    ],
    tokens,
    oracles: addresses.oracles,
  } satisfies Deployment);
  const file = writeDeployment(deployment, rootDir);
  log(`Wrote ${path.relative(rootDir, file)} (deploy block ${deployBlock}).`);
  return deployment;
}

/** Validates `deployment` against the shared schema and writes it to `deployments/<network>.json`. */
export function writeDeployment(deployment: Deployment, rootDir = process.cwd()): string {
  const parsed = deploymentSchema.safeParse(deployment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`Refusing to write an invalid deployments file: ${problems.join("; ")}`);
  }
  const file = deploymentPath(deployment.network, rootDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(parsed.data, null, 2)}\n`);
  return file;
}

/** The factory, lens, rate model and pool that both modules return. */
async function coreAddresses(
  result: Record<string, { getAddress(): Promise<string> }>,
): Promise<Pick<DeployedAddresses, "poolFactory" | "poolLens" | "rateModel" | "pool">> {
  return {
    poolFactory: await result.poolFactory.getAddress(),
    poolLens: await result.poolLens.getAddress(),
    rateModel: await result.rateModel.getAddress(),
    pool: await result.pool.getAddress(),
  };
}

/** How Ignition runs: its progress display, and the deployment id (journal directory) when not the default. */
interface IgnitionRun {
  displayUi: boolean;
  deploymentId?: string;
}

async function deployLocalDevnet(hre: HardhatRuntimeEnvironment, run: IgnitionRun): Promise<DeployedAddresses> {
  const result: Record<string, { getAddress(): Promise<string> }> = await hre.ignition.deploy(LocalDevnetModule, run);
  const collateralTokens: Record<string, string> = {};
  const oracles: Record<string, string> = {};
  for (const collateral of DEVNET_COLLATERALS) {
    collateralTokens[collateral.symbol] = await result[`${collateral.id}Token`].getAddress();
    oracles[collateral.symbol] = await result[`${collateral.id}Oracle`].getAddress();
  }
  return {
    ...(await coreAddresses(result)),
    loanToken: await result.loanToken.getAddress(),
    collateralTokens,
    oracles,
  };
}

async function deployTestnet(
  hre: HardhatRuntimeEnvironment,
  parameters: TestnetParameters,
  run: IgnitionRun,
): Promise<DeployedAddresses> {
  const result: Record<string, { getAddress(): Promise<string> }> = await hre.ignition.deploy(
    buildTestnetModule(parameters),
    {
      parameters: { Core: testnetCoreParameters(parameters) },
      ...run,
    },
  );
  const collateralTokens: Record<string, string> = {};
  const oracles: Record<string, string> = {};
  for (const collateral of parameters.collaterals) {
    collateralTokens[collateral.symbol] = collateral.address;
    oracles[collateral.symbol] = await result[`${collateral.symbol}Oracle`].getAddress();
  }
  return { ...(await coreAddresses(result)), loanToken: parameters.loanToken.address, collateralTokens, oracles };
}

/** The block of the earliest transaction Ignition's journal records (the deploy's first). */
async function firstJournalBlock(hre: HardhatRuntimeEnvironment, journalDir: string): Promise<number> {
  const transactions = await listTransactions(journalDir, new HardhatArtifactResolver(hre));
  let first: number | undefined;
  for (const transaction of transactions) {
    const receipt = await hre.ethers.provider.getTransactionReceipt(transaction.txHash);
    if (receipt !== null && (first === undefined || receipt.blockNumber < first)) first = receipt.blockNumber;
  }
  if (first === undefined) throw new Error(`Ignition's journal ${journalDir} records no mined transaction.`);
  return first;
}

/**
 * A local node forgets everything when it restarts, but Ignition's journal on disk does not: it would "resume" a
 * deploy whose contracts no longer exist. On the local chain such a journal is wiped; elsewhere it is an error.
 */
async function discardStaleLocalJournal(
  hre: HardhatRuntimeEnvironment,
  journalDir: string,
  chainId: number,
  log: (line: string) => void,
): Promise<void> {
  const addressesFile = path.join(journalDir, "deployed_addresses.json");
  if (!existsSync(addressesFile)) return;
  const recorded = Object.entries(JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>);
  const missing: string[] = [];
  for (const [futureId, address] of recorded) {
    if ((await hre.ethers.provider.getCode(address)) === "0x") missing.push(`${futureId} at ${address}`);
  }
  if (missing.length === 0) return;
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new Error(
      `Ignition's journal ${journalDir} records contracts that have no code on chain ${chainId}: ${missing.join(", ")}.`,
    );
  }
  log(`The node no longer has the contracts of the previous local deploy (${missing[0]}): wiping ${journalDir}.`);
  rmSync(journalDir, { recursive: true, force: true });
}

/**
 * Ignition's progress display redraws itself in place: into a file or a pipe every redraw is a new block of lines
 * (thousands for one deploy). It is on only when stdout is a terminal.
 */
export function ignitionDisplayUi(stdout: { isTTY?: boolean } = process.stdout): boolean {
  return stdout.isTTY === true;
}

/**
 * The message for a node that does not answer (Hardhat's HH108, "check your internet connection"): the URL tried and
 * how to start a local node or point at another one; undefined for any other error.
 */
export function unreachableNodeMessage(error: unknown, network: string, url: string | undefined): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!message.startsWith("HH108")) return undefined;
  const where = url === undefined ? `the ${network} node` : `the ${network} node at ${url}`;
  if (network === "localhost") {
    return (
      `Cannot reach ${where}: nothing answers there. Start a local node in another terminal with \`npm run node\`, ` +
      "or, if your node listens elsewhere, set LOCALHOST_RPC_URL (e.g. LOCALHOST_RPC_URL=http://127.0.0.1:18545 npm run deploy:local)."
    );
  }
  const variable = Object.entries({ sepolia: "SEPOLIA_RPC_URL" }).find(([name]) => name === network)?.[1];
  return `Cannot reach ${where}: check that the URL is right and the node is up${variable === undefined ? "" : ` (it comes from ${variable})`}.`;
}

async function main(): Promise<void> {
  const hre = (await import("hardhat")).default;
  const moduleName = chooseModule(hre.network.name);
  const deploymentId = process.env.IGNITION_DEPLOYMENT_ID || undefined;
  const rootDir = process.env.DEPLOYMENTS_ROOT || undefined;
  const displayUi = ignitionDisplayUi();
  const log = (line: string): void => console.log(line);
  if (!displayUi) log("Ignition's progress display is off (stdout is not a terminal): the result prints when the deploy is done.");
  try {
    await deployAndRecord(hre, { moduleName, deploymentId, rootDir, displayUi, log });
  } catch (error) {
    const url = "url" in hre.network.config ? hre.network.config.url : undefined;
    const unreachable = unreachableNodeMessage(error, hre.network.name, url);
    if (unreachable !== undefined) throw new Error(unreachable);
    throw error;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
