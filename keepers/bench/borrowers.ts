/**
 * Opening thousands of borrow positions on the in-process Hardhat network, fast. `borrow` credits `msg.sender`, so
 * every account has to send its own borrow; two ways of doing that are measured (see `SETUP_STRATEGIES`):
 *
 * - `clones`: a bench-only factory contract (compiled here with the pinned solc-js, never part of the protocol) opens
 *   hundreds of positions per transaction. For each account it deploys an EIP-1167 clone of a one-function borrower,
 *   supplies collateral on the clone's behalf (`supplyCollateral(collateral, assets, onBehalf)`) and has the clone
 *   call `borrow`. The pool sees N distinct borrowers with real `Borrow` events, like N EOAs.
 * - `impersonation`: N random addresses, `hardhat_setBalance` + `hardhat_impersonateAccount` each; collateral is
 *   supplied on their behalf from one funded account and each address sends its own `borrow`, with automine off and
 *   one block mined every `impersonationBlockSize` transactions.
 */
import { ethers, network } from "hardhat";
import { ContractFactory, Interface, Wallet, type InterfaceAbi } from "ethers";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { PoolFixture } from "../../test/helpers/fixtures";

/** One position to open: the loan assets it borrows against `collateralAssets` of collateral 0. */
export interface PositionPlan {
  collateralAssets: bigint;
  borrowAssets: bigint;
}

export type SetupStrategy = "clones" | "impersonation";
export const SETUP_STRATEGIES: readonly SetupStrategy[] = ["clones", "impersonation"];

/** Positions opened per factory transaction (~112k gas each). Bigger transactions make EDR hold GBs of trace memory. */
const POSITIONS_PER_CLONE_TX = 100;
/** Borrow transactions per mined block in the impersonation strategy. */
const IMPERSONATION_BLOCK_SIZE = 200;
/** Block gas limit while opening positions; the caller restores the default before measuring. */
export const SETUP_BLOCK_GAS_LIMIT = 1_000_000_000n;
export const DEFAULT_BLOCK_GAS_LIMIT = 30_000_000n;

const BENCH_BORROWERS_SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface IBenchPool {
    function supplyCollateral(address collateral, uint256 assets, address onBehalf) external;
    function borrow(uint256 assets, address receiver) external returns (uint256 shares);
}

/// One borrower: its own address is the position; the borrowed assets go to the caller (the factory).
contract BenchBorrower {
    function borrow(IBenchPool pool, uint256 assets) external {
        pool.borrow(assets, msg.sender);
    }
}

contract BenchBorrowerFactory {
    address public immutable implementation = address(new BenchBorrower());

    /// Opens one position per entry: a fresh clone, collateral supplied on its behalf, then its borrow.
    function open(
        IBenchPool pool,
        IERC20 collateral,
        uint256[] calldata collateralAssets,
        uint256[] calldata borrowAssets
    ) external {
        collateral.approve(address(pool), type(uint256).max);
        for (uint256 i; i < borrowAssets.length; ++i) {
            address account = Clones.clone(implementation);
            pool.supplyCollateral(address(collateral), collateralAssets[i], account);
            BenchBorrower(account).borrow(pool, borrowAssets[i]);
        }
    }
}
`;

interface CompiledContract {
  abi: InterfaceAbi;
  evm: { bytecode: { object: string } };
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, CompiledContract>>;
}

interface Solc {
  compile(input: string, callbacks: { import(importPath: string): { contents: string } | { error: string } }): string;
}

let compiledFactory: CompiledContract | undefined;

/** Compiles the bench factory once with the repository's pinned solc-js (0.8.28); call before timing a set-up. */
export function benchFactoryArtifact(): CompiledContract {
  if (compiledFactory !== undefined) return compiledFactory;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as Solc;
  const input = {
    language: "Solidity",
    sources: { "BenchBorrowers.sol": { content: BENCH_BORROWERS_SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const nodeModules = path.join(__dirname, "..", "..", "node_modules");
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (importPath) => {
        try {
          return { contents: readFileSync(path.join(nodeModules, importPath), "utf8") };
        } catch {
          return { error: `bench: cannot find ${importPath} under node_modules` };
        }
      },
    }),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((error) => error.severity === "error");
  if (errors.length > 0)
    throw new Error(`bench: BenchBorrowers.sol does not compile:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  compiledFactory = output.contracts["BenchBorrowers.sol"].BenchBorrowerFactory;
  return compiledFactory;
}

const send = (method: string, params: unknown[] = []): Promise<unknown> => network.provider.send(method, params);

/** Opens `plans.length` positions with `strategy`; the pool must have the loan-asset cash to lend. */
export async function openPositions(
  fx: PoolFixture,
  plans: readonly PositionPlan[],
  strategy: SetupStrategy,
): Promise<void> {
  await send("evm_setBlockGasLimit", [ethers.toQuantity(SETUP_BLOCK_GAS_LIMIT)]);
  try {
    if (strategy === "clones") await openWithClones(fx, plans);
    else await openWithImpersonation(fx, plans);
  } finally {
    await send("evm_setBlockGasLimit", [ethers.toQuantity(DEFAULT_BLOCK_GAS_LIMIT)]);
  }
}

async function openWithClones(fx: PoolFixture, plans: readonly PositionPlan[]): Promise<void> {
  const artifact = benchFactoryArtifact();
  const [deployer] = await ethers.getSigners();
  const factory = await new ContractFactory(artifact.abi, artifact.evm.bytecode.object, deployer).deploy();
  await factory.waitForDeployment();
  const factoryAddress = await factory.getAddress();
  const collateral = fx.collaterals[0].token;
  const totalCollateral = plans.reduce((sum, plan) => sum + plan.collateralAssets, 0n);
  await collateral.mint(factoryAddress, totalCollateral);
  const factoryInterface = new Interface(artifact.abi);
  const poolAddress = await fx.pool.getAddress();
  const collateralAddress = await collateral.getAddress();
  await send("evm_setAutomine", [false]);
  try {
    const hashes: string[] = [];
    for (let start = 0; start < plans.length; start += POSITIONS_PER_CLONE_TX) {
      const chunk = plans.slice(start, start + POSITIONS_PER_CLONE_TX);
      const data = factoryInterface.encodeFunctionData("open", [
        poolAddress,
        collateralAddress,
        chunk.map((plan) => plan.collateralAssets),
        chunk.map((plan) => plan.borrowAssets),
      ]);
      // A fixed gas limit: estimating each chunk would cost as much again as running it.
      const hash = (await send("eth_sendTransaction", [
        { from: deployer.address, to: factoryAddress, data, gas: ethers.toQuantity(SETUP_BLOCK_GAS_LIMIT / 4n) },
      ])) as string;
      hashes.push(hash);
      await send("evm_mine");
    }
    await requireSuccess(hashes);
  } finally {
    await send("evm_setAutomine", [true]);
  }
}

async function openWithImpersonation(fx: PoolFixture, plans: readonly PositionPlan[]): Promise<void> {
  const [funder] = await ethers.getSigners();
  const collateral = fx.collaterals[0].token;
  const poolAddress = await fx.pool.getAddress();
  const collateralAddress = await collateral.getAddress();
  const totalCollateral = plans.reduce((sum, plan) => sum + plan.collateralAssets, 0n);
  await collateral.mint(funder.address, totalCollateral);
  await collateral.connect(funder).approve(poolAddress, ethers.MaxUint256);
  const accounts = plans.map(() => Wallet.createRandom().address);
  const poolInterface = fx.pool.interface;
  const balance = ethers.toQuantity(ethers.parseEther("10"));
  await send("evm_setAutomine", [false]);
  try {
    const hashes: string[] = [];
    let inBlock = 0;
    const mineWhenFull = async (): Promise<void> => {
      if (++inBlock < IMPERSONATION_BLOCK_SIZE) return;
      await send("evm_mine");
      inBlock = 0;
    };
    for (const [index, account] of accounts.entries()) {
      await send("hardhat_setBalance", [account, balance]);
      await send("hardhat_impersonateAccount", [account]);
      const supplyData = poolInterface.encodeFunctionData("supplyCollateral", [
        collateralAddress,
        plans[index].collateralAssets,
        account,
      ]);
      hashes.push(
        (await send("eth_sendTransaction", [
          { from: funder.address, to: poolAddress, data: supplyData, gas: ethers.toQuantity(200_000) },
        ])) as string,
      );
      await mineWhenFull();
    }
    // Borrows after the supplies are mined: a borrow's pending-state checks need its collateral in place.
    await send("evm_mine");
    inBlock = 0;
    for (const [index, account] of accounts.entries()) {
      const borrowData = poolInterface.encodeFunctionData("borrow", [plans[index].borrowAssets, account]);
      hashes.push(
        (await send("eth_sendTransaction", [
          { from: account, to: poolAddress, data: borrowData, gas: ethers.toQuantity(300_000) },
        ])) as string,
      );
      await mineWhenFull();
    }
    await send("evm_mine");
    await requireSuccess(hashes);
  } finally {
    await send("evm_setAutomine", [true]);
  }
}

async function requireSuccess(hashes: readonly string[]): Promise<void> {
  // Checking the last few is enough to catch a systematic failure without reading thousands of receipts.
  for (const hash of [...hashes.slice(0, 2), ...hashes.slice(-2)]) {
    const receipt = await ethers.provider.getTransactionReceipt(hash);
    if (receipt === null) throw new Error(`bench setup: transaction ${hash} was never mined`);
    if (receipt.status !== 1)
      throw new Error(`bench setup: transaction ${hash} reverted (gas used ${receipt.gasUsed})`);
  }
}
