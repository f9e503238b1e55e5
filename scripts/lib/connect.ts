/**
 * How every operator script (status, seed-local, set-price, lp) reaches a chain: they are plain ts-node programs,
 * not `hardhat run` scripts, so they take real command-line options. `--network <name>` picks the deployments file
 * `deployments/<name>.json` (written by scripts/deploy.ts) and a default JSON-RPC URL; `--rpc-url` overrides the URL.
 * Transactions are signed by the node's unlocked account `--account <index>` (a local node), or by the key in the
 * PRIVATE_KEY environment variable (any network; never on the command line, where `ps` would show it).
 */
import { Command, Option } from "commander";
import { JsonRpcProvider, Network, Wallet, type Signer } from "ethers";
import { deploymentPath, findPool, readDeployment, type Deployment } from "../../keepers/src/deployments";
import { decodeRevert, failureMessage, formatRevert } from "./revert";

export const LOCAL_CHAIN_ID = 31_337;
export const PRIVATE_KEY_ENV = "PRIVATE_KEY";

/**
 * Default JSON-RPC URL per network: the environment variable that holds it (the same ones hardhat.config.ts reads)
 * and, for a local node, the URL to use without it.
 */
const DEFAULT_RPC: Record<string, { env: string; fallback?: string }> = {
  localhost: { env: "LOCALHOST_RPC_URL", fallback: "http://127.0.0.1:8545" },
  sepolia: { env: "SEPOLIA_RPC_URL" },
};

export interface ConnectionOptions {
  network: string;
  rpcUrl?: string;
}

/** A script's failure meant for its user: printed without a stack trace. */
export class UsageError extends Error {}

/** `--network` and `--rpc-url`, shared by every script. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option("-n, --network <name>", "network whose deployments/<name>.json to use").default("localhost"))
    .addOption(new Option("--rpc-url <url>", "JSON-RPC URL (default: $LOCALHOST_RPC_URL or http://127.0.0.1:8545 for localhost, $SEPOLIA_RPC_URL for sepolia)"));
}

/** `--account`, for scripts that send transactions. */
export function addSignerOptions(command: Command, defaultAccount: number): Command {
  return command.addOption(
    new Option("-a, --account <index>", `unlocked account of the node to act as (ignored when $${PRIVATE_KEY_ENV} is set)`)
      .default(defaultAccount)
      .argParser(parseIndex),
  );
}

function parseIndex(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--account expects an account index (0, 1, …), got "${value}".`);
  return Number(value);
}

export function resolveRpcUrl(options: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (options.rpcUrl !== undefined) return options.rpcUrl;
  if (options.network === "hardhat") {
    throw new UsageError(
      "The in-process hardhat network lives only inside one hardhat command. Start a node (npx hardhat node), " +
        "deploy to it (npx hardhat run scripts/deploy.ts --network localhost) and use --network localhost.",
    );
  }
  const known = DEFAULT_RPC[options.network];
  if (known === undefined) throw new UsageError(`No default RPC URL for network "${options.network}": pass --rpc-url.`);
  const url = env[known.env] || known.fallback;
  if (url === undefined || url === "") {
    throw new UsageError(`--network ${options.network} needs ${known.env} (its JSON-RPC URL) in the environment, or --rpc-url.`);
  }
  return url;
}

export interface Connection {
  provider: JsonRpcProvider;
  deployment: Deployment;
  chainId: number;
  rpcUrl: string;
}

/**
 * Reads `deployments/<network>.json`, connects to the node and checks that the node is the chain of that file and
 * still has its contracts. Each failure says what to do.
 */
export async function connect(options: ConnectionOptions, rootDir = process.cwd()): Promise<Connection> {
  const rpcUrl = resolveRpcUrl(options);
  const deployment = readDeployment(options.network, rootDir);
  if (deployment === undefined) {
    throw new UsageError(
      `${deploymentPath(options.network, rootDir)} does not exist. Deploy first: ` +
        `npx hardhat run scripts/deploy.ts --network ${options.network}`,
    );
  }
  // A static network: no background network detection that retries forever when the node is down.
  const provider = new JsonRpcProvider(rpcUrl, Network.from(deployment.chainId), {
    staticNetwork: true,
    pollingInterval: deployment.chainId === LOCAL_CHAIN_ID ? 200 : 4_000,
  });
  let chainId: number;
  try {
    chainId = Number(await provider.send("eth_chainId", []));
  } catch (error) {
    provider.destroy();
    const hint =
      options.network === "localhost"
        ? " Start a node with `npm run node`, or, for a node on another port, set LOCALHOST_RPC_URL or pass --rpc-url."
        : "";
    throw new UsageError(`Cannot reach ${rpcUrl}: ${shortMessage(error)}.${hint}`);
  }
  if (chainId !== deployment.chainId) {
    provider.destroy();
    throw new UsageError(`${rpcUrl} is chain ${chainId}, but deployments/${options.network}.json is for chain ${deployment.chainId}.`);
  }
  if ((await provider.getCode(deployment.contracts.PoolFactory)) === "0x") {
    provider.destroy();
    throw new UsageError(
      `No contract at the PoolFactory address of deployments/${options.network}.json (${deployment.contracts.PoolFactory}) ` +
        `on ${rpcUrl}: the node was restarted since the deploy. Deploy again.`,
    );
  }
  return { provider, deployment, chainId, rpcUrl };
}

/** The signer a script acts as: $PRIVATE_KEY's wallet, else the node's unlocked account `accountIndex`. */
export async function resolveSigner(provider: JsonRpcProvider, accountIndex: number, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const key = env[PRIVATE_KEY_ENV];
  if (key !== undefined && key !== "") {
    try {
      return new Wallet(key, provider);
    } catch {
      throw new UsageError(`$${PRIVATE_KEY_ENV} is not a valid private key (64 hex digits).`);
    }
  }
  const accounts = (await provider.send("eth_accounts", [])) as string[];
  if (accounts.length === 0) {
    throw new UsageError(`The node has no unlocked accounts: set ${PRIVATE_KEY_ENV} to the key of the account to act as.`);
  }
  if (accountIndex >= accounts.length) {
    throw new UsageError(`--account ${accountIndex} does not exist: the node has accounts 0 to ${accounts.length - 1}.`);
  }
  return provider.getSigner(accountIndex);
}

/** Refuses to go on unless the chain is a local Hardhat node. */
export function requireLocalChain(chainId: number, what: string): void {
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new UsageError(`${what} only runs on a local Hardhat node (chain ${LOCAL_CHAIN_ID}); this is chain ${chainId}.`);
  }
}

/** The deployment's pool named `selector` (its name, symbol or address), or its only/first pool. */
export function selectPool(deployment: Deployment, selector?: string): Deployment["pools"][number] {
  if (deployment.pools.length === 0) throw new UsageError(`deployments/${deployment.network}.json lists no pool.`);
  if (selector === undefined) return deployment.pools[0];
  const match = findPool(deployment, selector);
  if (match === undefined) {
    throw new UsageError(`No pool "${selector}" in deployments/${deployment.network}.json; it has: ${deployment.pools.map((pool) => pool.name).join(", ")}.`);
  }
  return match;
}

/** A revert's custom error as `Name(arg, …)` when the ABI knows it, else the error's short message. */
export function shortMessage(error: unknown): string {
  // A revert during gas estimation by a JSON-RPC signer carries only the raw data: decodeRevert reads it too.
  const revert = decodeRevert(error);
  return revert === null ? failureMessage(error).text : formatRevert(revert);
}

/** Runs a commander program; usage errors and reverts print one line and exit 1, other errors print their stack. */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof UsageError) console.error(`error: ${error.message}`);
    else if (typeof error === "object" && error !== null && ("revert" in error || "data" in error)) console.error(`error: the transaction reverted: ${shortMessage(error)}`);
    else console.error(error);
    process.exitCode = 1;
  }
}
