import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

/** The compiler is the pinned `solc` npm package: this machine cannot download compilers. */
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

/**
 * Public testnets are configured from the environment only: nothing secret is committed. Without its variables a
 * testnet stays in the config (so validation passes) but selecting it stops at once, naming what to set.
 */
const TESTNET_ENV: Record<string, { rpcUrl: string; deployerKey: string }> = {
  sepolia: { rpcUrl: "SEPOLIA_RPC_URL", deployerKey: "DEPLOYER_PRIVATE_KEY" },
};
const PRIVATE_KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

function selectedNetwork(): string | undefined {
  const flag = process.argv.findIndex((arg) => arg === "--network" || arg.startsWith("--network="));
  if (flag >= 0) return process.argv[flag].includes("=") ? process.argv[flag].split("=")[1] : process.argv[flag + 1];
  return process.env.HARDHAT_NETWORK;
}

const chosenTestnet = selectedNetwork();
if (chosenTestnet !== undefined && chosenTestnet in TESTNET_ENV) {
  const { rpcUrl, deployerKey } = TESTNET_ENV[chosenTestnet];
  const problems = [
    process.env[rpcUrl] ? undefined : `${rpcUrl} (the JSON-RPC URL of a ${chosenTestnet} node)`,
    PRIVATE_KEY_PATTERN.test(process.env[deployerKey] ?? "")
      ? undefined
      : `${deployerKey} (the deployer's private key, 64 hex digits)`,
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    // The sentence alone, and stop: a thrown error would print Hardhat's stack trace under it (Hardhat shows stacks
    // by default on CI and on Linux without a display server).
    process.stderr.write(`Error: --network ${chosenTestnet} needs ${problems.join(" and ")} in the environment.\n`);
    process.exit(1);
  }
}

function testnet(name: string, chainId: number): { url: string; chainId: number; accounts: string[] } {
  const { rpcUrl, deployerKey } = TESTNET_ENV[name];
  const key = process.env[deployerKey] ?? "";
  return { url: process.env[rpcUrl] ?? "", chainId, accounts: PRIVATE_KEY_PATTERN.test(key) ? [key] : [] };
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      viaIR: true,
      evmVersion: "cancun",
    },
  },
  paths: {
    ignition: "deploy",
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
    },
    localhost: {
      // A `hardhat node` on another port (e.g. one a test started): LOCALHOST_RPC_URL=http://127.0.0.1:<port>.
      url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    sepolia: testnet("sepolia", 11_155_111),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    currency: "USD",
    showMethodSig: false,
    offline: true,
    excludeContracts: ["mocks/"],
  },
  mocha: {
    timeout: Number(process.env.MOCHA_TIMEOUT_MS ?? 300_000),
    // A focused or skipped test is a defect: fail the run instead of silently narrowing it.
    forbidOnly: true,
    forbidPending: true,
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
};

export default config;
