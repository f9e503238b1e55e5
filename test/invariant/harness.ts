/**
 * The chain side of the differential suite: deploys a pool world, sends one action at a chosen block timestamp,
 * checks the call's success or custom error against the reference model's prediction, then reads the pool's whole
 * state and checks it equals the model exactly and that every invariant of docs/invariants.md holds.
 */
import { realizationEvents, type RealizationEvent } from "../../keepers/src/verification";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionReceipt, ContractTransactionResponse, Interface } from "ethers";
import type { MockERC20, MockPriceOracle, Pool } from "../../typechain-types";
import { deployPool, priceE36, type PoolFixture } from "../helpers/fixtures";
import { deployKinkedRateModel } from "../helpers/setup";
import {
  cashOf,
  lpAssetsDown,
  sharePrice,
  DECIMALS_OFFSET,
  type KinkedRateParams,
} from "../../keepers/src/model/poolMath";
import {
  ACTOR_NAMES,
  BORROWER_NAMES,
  LP_NAMES,
  LOAN_TOKEN,
  ReferencePool,
  type ActorName,
  type BorrowerName,
  type ExpectedRealization,
  type Outcome,
  type PoolSpec,
  type RevertSource,
} from "./referencePool";

/** Gas limit sent with every call, so a call the model expects to revert is mined (not refused by estimateGas). */
const GAS_LIMIT = 3_000_000;

export interface CollateralConfig {
  decimals: number;
  /** Whole loan assets per whole collateral at the start. */
  wholePrice: number;
  ltvBps: number;
  liquidationThresholdBps: number;
  liquidationBonusBps: number;
}

export interface WorldConfig {
  name: string;
  loanDecimals: number;
  collaterals: readonly CollateralConfig[];
  reserveFactorBps: number;
  closeFactorBps: number;
  fullLiquidationHealthFactor: bigint;
  /** Dust threshold in raw loan-asset units. */
  dustThresholdAssets: bigint;
  rate: { kind: "constant"; ratePerSecondE18: bigint } | { kind: "kinked"; params: KinkedRateParams };
  /** Whole tokens of every asset minted to every actor. */
  mintWholeTokens: bigint;
}

export interface World {
  config: WorldConfig;
  fixture: PoolFixture;
  pool: Pool;
  spec: PoolSpec;
  signers: Record<ActorName, HardhatEthersSigner>;
  /** Token 0 is the loan asset; token 1 + i is collateral i. */
  tokens: MockERC20[];
  oracles: MockPriceOracle[];
  initialPricesE36: bigint[];
  reader: StateReader;
}

/** Deploys the pool world of `config` and the reference model of its initial state. */
export async function deployWorld(config: WorldConfig): Promise<{ world: World; model: ReferencePool }> {
  const fixture = await deployPool({
    loanDecimals: config.loanDecimals,
    collateralDecimals: config.collaterals.map((collateral) => collateral.decimals),
    collateralPrices: config.collaterals.map((collateral) => collateral.wholePrice),
    reserveFactorBps: config.reserveFactorBps,
    closeFactorBps: config.closeFactorBps,
    fullLiquidationHealthFactor: config.fullLiquidationHealthFactor,
    dustThresholdAssets: config.dustThresholdAssets,
    ratePerSecondE18: config.rate.kind === "constant" ? config.rate.ratePerSecondE18 : 0n,
    mintWholeTokens: config.mintWholeTokens,
  });
  const { pool, owner, guardian, lps, borrowers, liquidator, collaterals } = fixture;
  for (const [index, collateral] of config.collaterals.entries()) {
    await pool.connect(owner).setCollateralParams(await collaterals[index].token.getAddress(), {
      oracle: await collaterals[index].oracle.getAddress(),
      ltvBps: collateral.ltvBps,
      liquidationThresholdBps: collateral.liquidationThresholdBps,
      liquidationBonusBps: collateral.liquidationBonusBps,
      supplyCap: 2n ** 128n - 1n,
      enabled: true,
    });
  }
  if (config.rate.kind === "kinked") {
    const kinked = await deployKinkedRateModel(config.rate.params);
    await pool.connect(owner).setRateModel(await kinked.getAddress());
  }
  const signers: Record<ActorName, HardhatEthersSigner> = {
    lp0: lps[0],
    lp1: lps[1],
    lp2: lps[2],
    b0: borrowers[0],
    b1: borrowers[1],
    b2: borrowers[2],
    liquidator,
    owner,
    guardian,
  };
  const tokens = [fixture.loanToken, ...collaterals.map((collateral) => collateral.token)];
  const oracles = collaterals.map((collateral) => collateral.oracle);
  const initialPricesE36 = config.collaterals.map((collateral) =>
    priceE36(collateral.wholePrice, config.loanDecimals, collateral.decimals),
  );
  const spec: PoolSpec = {
    loanDecimals: config.loanDecimals,
    collaterals: config.collaterals.map((collateral) => ({
      decimals: collateral.decimals,
      ltvBps: BigInt(collateral.ltvBps),
      liquidationThresholdBps: BigInt(collateral.liquidationThresholdBps),
      liquidationBonusBps: BigInt(collateral.liquidationBonusBps),
    })),
    reserveFactorBps: BigInt(config.reserveFactorBps),
    liquidationParams: {
      closeFactorBps: BigInt(config.closeFactorBps),
      fullLiquidationHealthFactor: config.fullLiquidationHealthFactor,
      dustThresholdAssets: config.dustThresholdAssets,
    },
    rate: config.rate,
  };
  const partial = { config, fixture, pool, spec, signers, tokens, oracles, initialPricesE36 };
  const world: World = { ...partial, reader: new StateReader(partial) };

  // The starting point the model is given (not computed): wallets as minted, prices as set, the accrual clock.
  const initialWallets = {} as Record<ActorName, bigint[]>;
  for (const name of ACTOR_NAMES) {
    initialWallets[name] = await Promise.all(tokens.map((token) => token.balanceOf(signers[name].address)));
  }
  for (const [index, oracle] of oracles.entries()) {
    expect(await oracle.priceE36()).to.equal(initialPricesE36[index]);
  }
  const addresses = {
    pool: await pool.getAddress(),
    actors: Object.fromEntries(ACTOR_NAMES.map((name) => [name, signers[name].address])) as Record<ActorName, string>,
    collaterals: await Promise.all(collaterals.map((collateral) => collateral.token.getAddress())),
  };
  const model = new ReferencePool(spec, addresses, await pool.lastAccrualTimestamp(), initialWallets, initialPricesE36);
  return { world, model };
}

/** What an action is, for the invariants that concern one kind of call. */
export type ActionKind =
  | "deposit"
  | "mint"
  | "withdraw"
  | "redeem"
  | "transferShares"
  | "supplyCollateral"
  | "withdrawCollateral"
  | "borrow"
  | "repay"
  | "liquidate"
  | "socializeBadDebt"
  | "donateToReserve"
  | "withdrawReserve"
  | "setPaused"
  | "setPrice"
  | "strayTransfer";

/** One transaction: the model's prediction and how to send it. */
export interface Action {
  kind: ActionKind;
  caller: ActorName;
  /** The account whose position the call changes (borrower, onBehalf), if any. */
  account?: ActorName;
  /** Actors whose wallets the call may change (checked after it). */
  touched: readonly ActorName[];
  predict(model: ReferencePool, timestamp: bigint): Outcome;
  send(world: World, overrides: { gasLimit: number }): Promise<ContractTransactionResponse>;
}

/** Everything the suite reads from the chain after a step. */
export interface ChainState {
  timestamp: bigint;
  totalAssets: bigint;
  totalSupply: bigint;
  cash: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  reserveAssets: bigint;
  sharePrice: bigint;
  paused: boolean;
  lastAccrual: bigint;
  lpShares: bigint[];
  borrowShares: bigint[];
  debts: bigint[];
  collateralValues: bigint[];
  borrowLimits: bigint[];
  liquidationLimits: bigint[];
  priced: boolean[];
  /** Collateral balances in the pool of each borrower. */
  collateral: bigint[][];
  totalCollateral: bigint[];
  poolBalances: bigint[];
}

/** The figures of `ChainState` as the model says the views report them in a block at `timestamp`. */
export function expectedState(model: ReferencePool, timestamp: bigint): ChainState {
  const totals = model.accruedTotals(timestamp);
  const liquidities = BORROWER_NAMES.map((name) => model.liquidityOrNull(name, totals));
  return {
    timestamp,
    totalAssets: totals.totalLpAssets,
    totalSupply: model.totalSupply,
    cash: cashOf(model.totals),
    totalBorrowAssets: totals.totalBorrowAssets,
    totalBorrowShares: totals.totalBorrowShares,
    reserveAssets: totals.reserveAssets,
    sharePrice: sharePrice(totals.totalLpAssets, model.totalSupply, model.shareDecimals),
    paused: model.paused,
    lastAccrual: model.lastAccrual,
    lpShares: LP_NAMES.map((name) => model.shares[name]),
    borrowShares: BORROWER_NAMES.map((name) => model.borrowShares[name]),
    debts: BORROWER_NAMES.map((name) => model.debtOf(name, totals)),
    collateralValues: liquidities.map((liquidity) => liquidity?.collateralValue ?? 0n),
    borrowLimits: liquidities.map((liquidity) => liquidity?.borrowLimit ?? 0n),
    liquidationLimits: liquidities.map((liquidity) => liquidity?.liquidationLimit ?? 0n),
    priced: liquidities.map((liquidity) => liquidity !== null),
    collateral: BORROWER_NAMES.map((name) => [...model.collateral[name]]),
    totalCollateral: [...model.totalCollateral],
    poolBalances: [...model.poolBalances],
  };
}

/**
 * Reads the pool's state with pre-encoded `eth_call`s, one after the other (in-process, sequential raw calls are
 * several times cheaper than ethers contract calls sent in parallel).
 */
class StateReader {
  private readonly poolAddress: string;
  private readonly calls: Record<string, string> = {};

  constructor(private readonly world: Omit<World, "reader">) {
    this.poolAddress = world.pool.target as string;
    // The ethers base type: one signature for every function (typechain's overloads are per name).
    const pool: Interface = world.pool.interface;
    for (const name of [
      "totalAssets",
      "totalSupply",
      "cash",
      "totalBorrowAssets",
      "totalBorrowShares",
      "reserveAssets",
      "sharePrice",
      "paused",
      "lastAccrualTimestamp",
    ] as const) {
      this.calls[name] = pool.encodeFunctionData(name);
    }
    for (const name of ACTOR_NAMES) {
      const account = world.signers[name].address;
      this.calls[`balanceOf:${name}`] = pool.encodeFunctionData("balanceOf", [account]);
      this.calls[`borrowSharesOf:${name}`] = pool.encodeFunctionData("borrowSharesOf", [account]);
      this.calls[`accountLiquidity:${name}`] = pool.encodeFunctionData("accountLiquidity", [account]);
      this.calls[`debtOf:${name}`] = pool.encodeFunctionData("debtOf", [account]);
      world.tokens.forEach((token, index) => {
        this.calls[`wallet:${name}:${index}`] = token.interface.encodeFunctionData("balanceOf", [account]);
        if (index > 0) {
          this.calls[`collateralOf:${name}:${index}`] = pool.encodeFunctionData("collateralOf", [
            account,
            token.target as string,
          ]);
        }
      });
    }
    world.tokens.forEach((token, index) => {
      this.calls[`poolBalance:${index}`] = token.interface.encodeFunctionData("balanceOf", [this.poolAddress]);
      if (index > 0) {
        this.calls[`totalCollateral:${index}`] = pool.encodeFunctionData("totalCollateral", [token.target as string]);
      }
    });
  }

  private async raw(to: string, key: string): Promise<string> {
    return (await network.provider.send("eth_call", [{ to, data: this.calls[key] }, "latest"])) as string;
  }

  private async poolUint(key: string): Promise<bigint> {
    return BigInt(await this.raw(this.poolAddress, key));
  }

  async wallet(name: ActorName, token: number): Promise<bigint> {
    return BigInt(await this.raw(this.world.tokens[token].target as string, `wallet:${name}:${token}`));
  }

  async read(timestamp: bigint): Promise<ChainState> {
    const tokenIndexes = this.world.tokens.map((_, index) => index);
    const collateralIndexes = tokenIndexes.slice(1);
    const state: ChainState = {
      timestamp,
      totalAssets: await this.poolUint("totalAssets"),
      totalSupply: await this.poolUint("totalSupply"),
      cash: await this.poolUint("cash"),
      totalBorrowAssets: await this.poolUint("totalBorrowAssets"),
      totalBorrowShares: await this.poolUint("totalBorrowShares"),
      reserveAssets: await this.poolUint("reserveAssets"),
      sharePrice: await this.poolUint("sharePrice"),
      paused: (await this.poolUint("paused")) !== 0n,
      lastAccrual: await this.poolUint("lastAccrualTimestamp"),
      lpShares: [],
      borrowShares: [],
      debts: [],
      collateralValues: [],
      borrowLimits: [],
      liquidationLimits: [],
      priced: [],
      collateral: [],
      totalCollateral: [],
      poolBalances: [],
    };
    for (const name of LP_NAMES) state.lpShares.push(await this.poolUint(`balanceOf:${name}`));
    for (const name of BORROWER_NAMES) {
      state.borrowShares.push(await this.poolUint(`borrowSharesOf:${name}`));
      let liquidity: string | null = null;
      try {
        liquidity = await this.raw(this.poolAddress, `accountLiquidity:${name}`);
      } catch {
        // An oracle of a held collateral says 0: the view reverts (ZeroPrice), as the model expects (`priced`).
      }
      const word = (index: number): bigint =>
        liquidity === null ? 0n : BigInt(`0x${liquidity.slice(2 + 64 * index, 2 + 64 * (index + 1))}`);
      state.priced.push(liquidity !== null);
      state.collateralValues.push(word(0));
      state.borrowLimits.push(word(1));
      state.liquidationLimits.push(word(2));
      state.debts.push(liquidity === null ? await this.poolUint(`debtOf:${name}`) : word(3));
      const balances: bigint[] = [];
      for (const index of collateralIndexes) balances.push(await this.poolUint(`collateralOf:${name}:${index}`));
      state.collateral.push(balances);
    }
    for (const index of collateralIndexes) state.totalCollateral.push(await this.poolUint(`totalCollateral:${index}`));
    for (const index of tokenIndexes) {
      state.poolBalances.push(
        BigInt(await this.raw(this.world.tokens[index].target as string, `poolBalance:${index}`)),
      );
    }
    return state;
  }
}

/** Every field of `actual` that differs from `expected`, as "path: chain X, model Y". */
function differences(actual: unknown, expected: unknown, path: string, out: string[]): void {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) out.push(`${path}: length ${actual.length} vs ${expected.length}`);
    actual.forEach((value, index) => differences(value, expected[index], `${path}[${index}]`, out));
    return;
  }
  if (typeof actual === "object" && actual !== null && typeof expected === "object" && expected !== null) {
    for (const key of Object.keys(expected)) {
      differences(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
        out,
      );
    }
    return;
  }
  if (actual !== expected) out.push(`${path}: chain ${String(actual)}, model ${String(expected)}`);
}

/** Fails with the invariant's ID and what broke it. */
export function invariant(id: string, holds: boolean, statement: string): void {
  if (!holds) throw new Error(`${id} violated: ${statement}`);
}

/** Parsed `BadDebtRealized` events of a receipt (the keeper's parser). */
type RealizedEvent = RealizationEvent;

/** Drives the chain: one instance per sequence (fast-check's "real" system). */
export class ChainRunner {
  /** Timestamp of the last mined block. */
  chainTime: bigint;
  /** Seconds between the last block and the next call's block. */
  private pendingDelay = 1n;
  private previous: ChainState;
  /** What this sequence did so far, one line per command (printed with a failure). */
  readonly trace: string[] = [];
  /** Per-command tallies, for the run report. */
  readonly stats: Map<string, { ok: number; reverted: number }>;

  constructor(
    readonly world: World,
    start: ChainState,
    stats: Map<string, { ok: number; reverted: number }>,
  ) {
    this.chainTime = start.timestamp;
    this.previous = start;
    this.stats = stats;
  }

  /** The state a fixture restore returns to (read once, when the fixture was built). */
  get lastState(): ChainState {
    return this.previous;
  }

  /** Reads the chain and checks it equals `model`. */
  static async start(
    world: World,
    model: ReferencePool,
    stats: Map<string, { ok: number; reverted: number }>,
  ): Promise<ChainRunner> {
    const block = await ethers.provider.getBlock("latest");
    if (block === null) throw new Error("no latest block");
    const state = await world.reader.read(BigInt(block.timestamp));
    const runner = new ChainRunner(world, state, stats);
    runner.compare(model, state);
    return runner;
  }

  /** The timestamp of the next call's block. */
  nextTimestamp(): bigint {
    return this.chainTime + this.pendingDelay;
  }

  /** Moves the clock: mines an empty block `seconds` later, then checks the views accrued over the jump. */
  async jump(model: ReferencePool, seconds: bigint): Promise<void> {
    const timestamp = this.chainTime + seconds;
    await network.provider.send("evm_mine", [Number(timestamp)]);
    this.chainTime = timestamp;
    this.pendingDelay = 1n;
    await this.verify(model, null, [], []);
  }

  private contractOf(source: RevertSource): BaseContract {
    if (source === "pool") return this.world.pool;
    if (source === "loanToken") return this.world.tokens[LOAN_TOKEN];
    return this.world.tokens[1 + Number(source.slice("collateral".length))];
  }

  private tally(kind: string, ok: boolean): void {
    const entry = this.stats.get(kind) ?? { ok: 0, reverted: 0 };
    if (ok) entry.ok += 1;
    else entry.reverted += 1;
    this.stats.set(kind, entry);
  }

  /**
   * Sends `action` in the next block, checks success or the predicted custom error (with its arguments), adopts the
   * model's next state, and verifies the whole state and the invariants. Returns a short account of what happened.
   */
  async execute(model: ReferencePool, action: Action): Promise<string> {
    const timestamp = this.nextTimestamp();
    const outcome = action.predict(model, timestamp);
    await network.provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
    const sent = action.send(this.world, { gasLimit: GAS_LIMIT });
    this.chainTime = timestamp;
    this.pendingDelay = 1n;
    this.tally(action.kind, outcome.ok);
    if (!outcome.ok) {
      const { source, error, args } = outcome.revert;
      this.tally(`${action.kind}:${error}`, false);
      await expect(sent)
        .to.be.revertedWithCustomError(this.contractOf(source), error)
        .withArgs(...args);
      await this.verify(model, null, [], []);
      return `reverts ${error}`;
    }
    const response = await sent;
    const receipt = await response.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`${action.kind} was expected to succeed`);
    const before = model.clone();
    model.adopt(outcome.next);
    await this.verify(model, { action, before, receipt }, outcome.realizations, action.touched);
    return `ok ${outcome.detail}`.trim();
  }

  /**
   * Deposit then redeem of the minted shares, both in one block (no interest in between): INV-09.
   * Skipped (returns null) when the model says either would revert.
   */
  async roundTrip(model: ReferencePool, lp: ActorName, assets: bigint): Promise<string | null> {
    const timestamp = this.nextTimestamp();
    const deposit = model.deposit(lp, assets, 0n, timestamp);
    if (!deposit.ok) return null;
    const redeem = deposit.next.redeem(lp, deposit.result, 0n, timestamp);
    if (!redeem.ok) return null;
    const signer = this.world.signers[lp];
    const walletBefore = await this.world.reader.wallet(lp, LOAN_TOKEN);
    await network.provider.send("evm_setAutomine", [false]);
    let hashes: string[];
    try {
      const pool = this.world.pool.connect(signer);
      const depositTx = await pool.deposit(assets, signer.address, { gasLimit: GAS_LIMIT });
      const redeemTx = await pool.redeem(deposit.result, signer.address, signer.address, { gasLimit: GAS_LIMIT });
      hashes = [depositTx.hash, redeemTx.hash];
      await network.provider.send("evm_mine", [Number(timestamp)]);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    this.chainTime = timestamp;
    this.pendingDelay = 1n;
    for (const hash of hashes) {
      const receipt = await ethers.provider.getTransactionReceipt(hash);
      if (receipt === null || receipt.status !== 1 || BigInt(receipt.blockNumber) === 0n) {
        throw new Error("round trip: a call the model expected to succeed failed");
      }
    }
    this.tally("roundTrip", true);
    const walletAfter = await this.world.reader.wallet(lp, LOAN_TOKEN);
    invariant(
      "INV-09",
      walletAfter <= walletBefore,
      `deposit of ${assets} then redeem in one block returned ${walletAfter - walletBefore} more than deposited`,
    );
    model.adopt(redeem.next);
    await this.verify(model, null, [], [lp]);
    return `ok shares=${deposit.result} redeemed=${redeem.result}`;
  }

  private async walletsOf(actors: readonly ActorName[]): Promise<bigint[][]> {
    const wallets: bigint[][] = [];
    for (const name of actors) {
      const balances: bigint[] = [];
      for (let token = 0; token < this.world.tokens.length; token += 1) {
        balances.push(await this.world.reader.wallet(name, token));
      }
      wallets.push(balances);
    }
    return wallets;
  }

  /** INV-01 (chain = model) and every state invariant; the per-call invariants when `call` is given. */
  private async verify(
    model: ReferencePool,
    call: {
      action: Action;
      before: ReferencePool;
      receipt: ContractTransactionReceipt;
    } | null,
    realizations: readonly ExpectedRealization[],
    touched: readonly ActorName[],
  ): Promise<void> {
    const state = await this.world.reader.read(this.chainTime);
    this.compare(model, state);
    const wallets = await this.walletsOf(touched);
    const walletDiffs: string[] = [];
    touched.forEach((name, index) => differences(wallets[index], model.wallets[name], `wallet.${name}`, walletDiffs));
    invariant("INV-01", walletDiffs.length === 0, `wallets differ from the model: ${walletDiffs.join("; ")}`);

    const events = call === null ? [] : this.realizedEvents(call.receipt);
    for (let count = 0; count < events.length; count += 1) this.tally("BadDebtRealized", true);
    this.checkStateInvariants(model, state);
    this.checkSharePrice(state, events);
    this.checkRealizations(model, state, events, realizations);
    if (call !== null) await this.checkCallInvariants(model, state, call.action, call.before);
    this.previous = state;
  }

  private compare(model: ReferencePool, state: ChainState): void {
    const diffs: string[] = [];
    differences(state, expectedState(model, state.timestamp), "pool", diffs);
    invariant("INV-01", diffs.length === 0, `chain state differs from the model: ${diffs.join("; ")}`);
  }

  private realizedEvents(receipt: ContractTransactionReceipt): RealizedEvent[] {
    return realizationEvents(this.world.pool.target as string, receipt.logs);
  }

  /** INV-07 (sums equal totals) and INV-08 (token balances = cash + collateral; no cash floor). */
  private checkStateInvariants(model: ReferencePool, state: ChainState): void {
    const sum = (values: readonly bigint[]): bigint => values.reduce((total, value) => total + value, 0n);
    invariant(
      "INV-07",
      sum(state.borrowShares) === state.totalBorrowShares,
      `Σ borrow shares ${sum(state.borrowShares)} ≠ totalBorrowShares ${state.totalBorrowShares}`,
    );
    invariant(
      "INV-07",
      sum(state.lpShares) === state.totalSupply,
      `Σ LP shares ${sum(state.lpShares)} ≠ totalSupply ${state.totalSupply}`,
    );
    for (const [index, total] of state.totalCollateral.entries()) {
      const held = sum(state.collateral.map((balances) => balances[index]));
      invariant("INV-07", held === total, `Σ collateral ${index} balances ${held} ≠ totalCollateral ${total}`);
      invariant(
        "INV-08",
        state.poolBalances[1 + index] === total,
        `pool holds ${state.poolBalances[1 + index]} of collateral ${index}, totalCollateral is ${total}`,
      );
    }
    invariant(
      "INV-08",
      state.poolBalances[LOAN_TOKEN] === state.cash + model.strayLoanAssets,
      `pool holds ${state.poolBalances[LOAN_TOKEN]} loan assets; cash ${state.cash} + stray ${model.strayLoanAssets}`,
    );
    invariant(
      "INV-08",
      state.totalAssets + state.reserveAssets >= state.totalBorrowAssets,
      `totalAssets ${state.totalAssets} + reserve ${state.reserveAssets} < borrows ${state.totalBorrowAssets}`,
    );
  }

  /** INV-02: the share price never falls, except in a call that emits BadDebtRealized. */
  private checkSharePrice(state: ChainState, events: readonly RealizedEvent[]): void {
    if (events.length > 0) {
      invariant(
        "INV-02",
        events[0].sharePriceBefore >= this.previous.sharePrice,
        `share price ${this.previous.sharePrice} fell to ${events[0].sharePriceBefore} before the realization`,
      );
      return;
    }
    invariant(
      "INV-02",
      state.sharePrice >= this.previous.sharePrice,
      `share price fell from ${this.previous.sharePrice} to ${state.sharePrice} without BadDebtRealized`,
    );
  }

  /** INV-03, INV-04, INV-05, INV-12 at every realization. */
  private checkRealizations(
    model: ReferencePool,
    state: ChainState,
    events: readonly RealizedEvent[],
    expected: readonly ExpectedRealization[],
  ): void {
    invariant(
      "INV-01",
      events.length === expected.length,
      `${events.length} BadDebtRealized, model ${expected.length}`,
    );
    const virtualShares = 10n ** DECIMALS_OFFSET;
    const shareDecimals = model.shareDecimals;
    for (const [index, event] of events.entries()) {
      const modelEvent = expected[index];
      const borrower = model.addresses.actors[modelEvent.borrower];
      const figures: string[] = [];
      differences(
        [event.borrower, event.badDebtAssets, event.coveredByReserve, event.socializedAssets],
        [borrower, modelEvent.badDebtAssets, modelEvent.coveredByReserve, modelEvent.socializedAssets],
        "BadDebtRealized",
        figures,
      );
      differences(
        [event.sharePriceBefore, event.sharePriceAfter],
        [modelEvent.sharePriceBefore, modelEvent.sharePriceAfter],
        "BadDebtRealized.sharePrice",
        figures,
      );
      invariant("INV-01", figures.length === 0, figures.join("; "));

      // INV-03: exactly socialized / totalAssets, as the contract's sharePrice() rounds it.
      const lpAssetsAfter = state.totalAssets;
      const lpAssetsBefore = lpAssetsAfter + event.socializedAssets;
      invariant(
        "INV-03",
        event.sharePriceAfter === state.sharePrice &&
          event.sharePriceBefore === sharePrice(lpAssetsBefore, state.totalSupply, shareDecimals) &&
          event.sharePriceAfter === sharePrice(lpAssetsAfter, state.totalSupply, shareDecimals),
        `share price ${event.sharePriceBefore} → ${event.sharePriceAfter} (chain ${state.sharePrice}) is not ` +
          `totalAssets ${lpAssetsBefore} − socialized ${event.socializedAssets} over ${state.totalSupply} shares`,
      );

      // INV-04: every LP's redeemable assets fall by shares × socialized / (supply + virtual), within 1 wei.
      const denominator = state.totalSupply + virtualShares;
      for (const [lpIndex, shares] of state.lpShares.entries()) {
        const before = lpAssetsDown(shares, lpAssetsBefore, state.totalSupply);
        const after = lpAssetsDown(shares, lpAssetsAfter, state.totalSupply);
        const lossTimesDenominator = (before - after) * denominator;
        const exact = shares * event.socializedAssets;
        const gap = lossTimesDenominator > exact ? lossTimesDenominator - exact : exact - lossTimesDenominator;
        invariant(
          "INV-04",
          gap < denominator,
          `${LP_NAMES[lpIndex]} (${shares} shares) lost ${before - after}, its pro-rata share is ` +
            `${exact}/${denominator}`,
        );
      }

      // INV-05: the reserve is drawn before any LP loses anything.
      invariant(
        "INV-05",
        event.coveredByReserve + event.socializedAssets === event.badDebtAssets &&
          (event.socializedAssets === 0n || state.reserveAssets === 0n) &&
          event.coveredByReserve ===
            (modelEvent.reserveBefore < event.badDebtAssets ? modelEvent.reserveBefore : event.badDebtAssets),
        `bad debt ${event.badDebtAssets}: reserve covered ${event.coveredByReserve} of ${modelEvent.reserveBefore}, ` +
          `LPs ${event.socializedAssets}, reserve left ${state.reserveAssets}`,
      );

      // INV-12: the realized account is closed: no shares, no debt, no collateral.
      const accountIndex = BORROWER_NAMES.indexOf(modelEvent.borrower);
      invariant(
        "INV-12",
        state.borrowShares[accountIndex] === 0n &&
          state.debts[accountIndex] === 0n &&
          state.collateral[accountIndex].every((balance) => balance === 0n),
        `${modelEvent.borrower} keeps shares ${state.borrowShares[accountIndex]}, debt ${state.debts[accountIndex]}, ` +
          `collateral ${state.collateral[accountIndex].join("/")} after its realization`,
      );
    }
  }

  /** INV-06 (liquidation dust), INV-09 (deposit → redeem), INV-10 (borrow limit). */
  private async checkCallInvariants(
    model: ReferencePool,
    state: ChainState,
    action: Action,
    before: ReferencePool,
  ): Promise<void> {
    const account = action.account;
    if (action.kind === "liquidate" && account !== undefined) {
      const index = BORROWER_NAMES.indexOf(account as BorrowerName);
      const debt = state.debts[index];
      const value = state.collateralValues[index];
      const dust = model.spec.liquidationParams.dustThresholdAssets;
      invariant(
        "INV-06",
        debt === 0n || value > dust || value >= debt,
        `after a liquidation ${account} keeps debt ${debt} behind collateral worth ${value} ≤ dust ${dust}`,
      );
    }
    if ((action.kind === "deposit" || action.kind === "mint") && LP_NAMES.includes(action.caller as never)) {
      const lpIndex = LP_NAMES.indexOf(action.caller as (typeof LP_NAMES)[number]);
      const minted = state.lpShares[lpIndex] - before.shares[action.caller];
      const paid = before.wallets[action.caller][LOAN_TOKEN] - model.wallets[action.caller][LOAN_TOKEN];
      const redeemable = await this.world.pool.previewRedeem(minted);
      invariant(
        "INV-09",
        redeemable <= paid,
        `${action.caller} paid ${paid} for ${minted} shares that redeem for ${redeemable} in the same block`,
      );
    }
    if ((action.kind === "borrow" || action.kind === "withdrawCollateral") && account !== undefined) {
      // Read by `pool.accountLiquidity` (an account with debt after a successful call has every price nonzero).
      const index = BORROWER_NAMES.indexOf(account as BorrowerName);
      const debt = state.debts[index];
      const borrowLimit = state.borrowLimits[index];
      invariant(
        "INV-10",
        debt === 0n || (state.priced[index] && debt <= borrowLimit),
        `${account} owes ${debt} above its borrow limit ${borrowLimit} after ${action.kind}`,
      );
    }
  }
}
