/**
 * The chain side of the differential suite: deploys a pool world, sends one action at a chosen block timestamp,
 * checks the call's success or custom error against the reference model's prediction, then reads the pool's whole
 * state and checks it equals the model exactly and that every invariant of docs/invariants.md holds.
 */
import {
  realizationEvents,
  shortfallEvents,
  type RealizationEvent,
  type ShortfallEvent,
} from "../../keepers/src/verification";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionReceipt, ContractTransactionResponse, Interface } from "ethers";
import type { MockERC20, MockPriceOracle, Pool } from "../../typechain-types";
import { deployPool, priceE36, type PoolFixture } from "../helpers/fixtures";
import { deployKinkedRateModel } from "../helpers/setup";
import {
  cashOf,
  exitAssetsOf,
  exitLpAssets,
  lpAssetsDown,
  min,
  sharePrice,
  DECIMALS_OFFSET,
  type KinkedRateParams,
} from "../../keepers/src/model/poolMath";
import {
  ACTOR_NAMES,
  BORROWER_NAMES,
  COLLATERAL_SUPPLY_CAP,
  LP_NAMES,
  LOAN_TOKEN,
  ReferencePool,
  type ActorName,
  type BorrowerName,
  type ExpectedRealization,
  type ExpectedShortfallUpdate,
  type LpName,
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
      supplyCap: COLLATERAL_SUPPLY_CAP,
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
  // The trusted prices the listing stored (the oracles' answers then) and when.
  const trustedPrices = await Promise.all(
    addresses.collaterals.map(async (collateral) => {
      const [priceE36, updatedAt] = await pool.lastTrustedPrice(collateral);
      return { priceE36, updatedAt };
    }),
  );
  const model = new ReferencePool(
    spec,
    addresses,
    await pool.lastAccrualTimestamp(),
    initialWallets,
    initialPricesE36,
    trustedPrices,
  );
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
  | "closeInsolventAccount"
  | "recognizeLosses"
  | "refreshTrustedPrices"
  | "donateToReserve"
  | "withdrawReserve"
  | "setPaused"
  | "setPrice"
  | "setOracleReverting"
  | "strayTransfer";

/** One transaction: the model's prediction and how to send it. */
export interface Action {
  kind: ActionKind;
  caller: ActorName;
  /** The account whose position the call changes (borrower, onBehalf), if any. */
  account?: ActorName;
  /** recognizeLosses: the accounts it refreshes. */
  accounts?: readonly ActorName[];
  /** Actors whose wallets the call may change (checked after it). */
  touched: readonly ActorName[];
  predict(model: ReferencePool, timestamp: bigint): Outcome;
  send(world: World, overrides: { gasLimit: number }): Promise<ContractTransactionResponse>;
}

/** Everything the suite reads from the chain after a step. */
export interface ChainState {
  timestamp: bigint;
  /** The exit figure. */
  totalAssets: bigint;
  /** The gross LP assets (the entry figure). */
  entryTotalAssets: bigint;
  totalSupply: bigint;
  cash: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  reserveAssets: bigint;
  totalShortfall: bigint;
  /** The exit price. */
  sharePrice: bigint;
  entrySharePrice: bigint;
  paused: boolean;
  lastAccrual: bigint;
  lpShares: bigint[];
  /** previewRedeem(balance) of each LP: what it could redeem at the exit price (cash aside). */
  lpRedeemable: bigint[];
  lpMaxWithdraw: bigint[];
  lpMaxRedeem: bigint[];
  /** recognizedShortfall of every actor. */
  recognizedShortfalls: bigint[];
  /** accountShortfall of each borrower: the shortfall a refresh would record now, its debt, its recovery value. */
  liveShortfalls: bigint[];
  liveDebts: bigint[];
  recoveryValues: bigint[];
  /** lastTrustedPrice of each collateral: the price and when it was stored. */
  trustedPrices: bigint[];
  trustedAt: bigint[];
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
  const live = BORROWER_NAMES.map((name) => model.liveShortfallOf(name, timestamp, totals));
  return {
    timestamp,
    totalAssets: exitAssetsOf(totals),
    entryTotalAssets: totals.totalLpAssets,
    totalSupply: model.totalSupply,
    cash: cashOf(model.totals),
    totalBorrowAssets: totals.totalBorrowAssets,
    totalBorrowShares: totals.totalBorrowShares,
    reserveAssets: totals.reserveAssets,
    totalShortfall: totals.totalShortfallAssets,
    sharePrice: model.sharePriceAt(totals),
    entrySharePrice: model.entrySharePriceAt(totals),
    paused: model.paused,
    lastAccrual: model.lastAccrual,
    lpShares: LP_NAMES.map((name) => model.shares[name]),
    lpRedeemable: LP_NAMES.map((name) => model.redeemableAssets(model.shares[name], totals)),
    lpMaxWithdraw: LP_NAMES.map((name) => model.maxWithdrawOf(name, totals)),
    lpMaxRedeem: LP_NAMES.map((name) => model.maxRedeemOf(name, totals)),
    recognizedShortfalls: ACTOR_NAMES.map((name) => model.shortfall[name]),
    liveShortfalls: live.map((figures) => figures.shortfall),
    liveDebts: live.map((figures) => figures.debt),
    recoveryValues: live.map((figures) => figures.recovery),
    trustedPrices: model.trustedPrices.map((trusted) => trusted.priceE36),
    trustedAt: model.trustedPrices.map((trusted) => trusted.updatedAt),
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
      "entryTotalAssets",
      "totalSupply",
      "cash",
      "totalBorrowAssets",
      "totalBorrowShares",
      "reserveAssets",
      "totalRecognizedShortfall",
      "sharePrice",
      "entrySharePrice",
      "paused",
      "lastAccrualTimestamp",
    ] as const) {
      this.calls[name] = pool.encodeFunctionData(name);
    }
    for (const name of ACTOR_NAMES) {
      const account = world.signers[name].address;
      this.calls[`balanceOf:${name}`] = pool.encodeFunctionData("balanceOf", [account]);
      this.calls[`maxWithdraw:${name}`] = pool.encodeFunctionData("maxWithdraw", [account]);
      this.calls[`maxRedeem:${name}`] = pool.encodeFunctionData("maxRedeem", [account]);
      this.calls[`borrowSharesOf:${name}`] = pool.encodeFunctionData("borrowSharesOf", [account]);
      this.calls[`accountLiquidity:${name}`] = pool.encodeFunctionData("accountLiquidity", [account]);
      this.calls[`accountShortfall:${name}`] = pool.encodeFunctionData("accountShortfall", [account]);
      this.calls[`recognizedShortfall:${name}`] = pool.encodeFunctionData("recognizedShortfall", [account]);
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
        this.calls[`lastTrustedPrice:${index}`] = pool.encodeFunctionData("lastTrustedPrice", [token.target as string]);
      }
    });
  }

  private async raw(to: string, key: string): Promise<string> {
    return this.rawData(to, this.calls[key]);
  }

  private async rawData(to: string, data: string): Promise<string> {
    return (await network.provider.send("eth_call", [{ to, data }, "latest"])) as string;
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
      entryTotalAssets: await this.poolUint("entryTotalAssets"),
      totalSupply: await this.poolUint("totalSupply"),
      cash: await this.poolUint("cash"),
      totalBorrowAssets: await this.poolUint("totalBorrowAssets"),
      totalBorrowShares: await this.poolUint("totalBorrowShares"),
      reserveAssets: await this.poolUint("reserveAssets"),
      totalShortfall: await this.poolUint("totalRecognizedShortfall"),
      sharePrice: await this.poolUint("sharePrice"),
      entrySharePrice: await this.poolUint("entrySharePrice"),
      paused: (await this.poolUint("paused")) !== 0n,
      lastAccrual: await this.poolUint("lastAccrualTimestamp"),
      lpShares: [],
      lpRedeemable: [],
      lpMaxWithdraw: [],
      lpMaxRedeem: [],
      recognizedShortfalls: [],
      liveShortfalls: [],
      liveDebts: [],
      recoveryValues: [],
      trustedPrices: [],
      trustedAt: [],
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
    const pool: Interface = this.world.pool.interface;
    for (const name of LP_NAMES) {
      const shares = await this.poolUint(`balanceOf:${name}`);
      state.lpShares.push(shares);
      const preview = await this.rawData(this.poolAddress, pool.encodeFunctionData("previewRedeem", [shares]));
      state.lpRedeemable.push(BigInt(preview));
      state.lpMaxWithdraw.push(await this.poolUint(`maxWithdraw:${name}`));
      state.lpMaxRedeem.push(await this.poolUint(`maxRedeem:${name}`));
    }
    for (const name of ACTOR_NAMES) state.recognizedShortfalls.push(await this.poolUint(`recognizedShortfall:${name}`));
    for (const name of BORROWER_NAMES) {
      const live = await this.raw(this.poolAddress, `accountShortfall:${name}`);
      state.liveShortfalls.push(word(live, 0));
      state.liveDebts.push(word(live, 1));
      state.recoveryValues.push(word(live, 2));
    }
    for (const name of BORROWER_NAMES) {
      state.borrowShares.push(await this.poolUint(`borrowSharesOf:${name}`));
      let liquidity: string | null = null;
      try {
        liquidity = await this.raw(this.poolAddress, `accountLiquidity:${name}`);
      } catch {
        // An oracle of a held collateral reverts or says 0: the view reverts (OracleDown, ZeroPrice), as the model
        // expects (`priced`).
      }
      state.priced.push(liquidity !== null);
      state.collateralValues.push(word(liquidity, 0));
      state.borrowLimits.push(word(liquidity, 1));
      state.liquidationLimits.push(word(liquidity, 2));
      state.debts.push(liquidity === null ? await this.poolUint(`debtOf:${name}`) : word(liquidity, 3));
      const balances: bigint[] = [];
      for (const index of collateralIndexes) balances.push(await this.poolUint(`collateralOf:${name}:${index}`));
      state.collateral.push(balances);
    }
    for (const index of collateralIndexes) state.totalCollateral.push(await this.poolUint(`totalCollateral:${index}`));
    for (const index of collateralIndexes) {
      const trusted = await this.raw(this.poolAddress, `lastTrustedPrice:${index}`);
      state.trustedPrices.push(word(trusted, 0));
      state.trustedAt.push(word(trusted, 1));
    }
    for (const index of tokenIndexes) {
      state.poolBalances.push(
        BigInt(await this.raw(this.world.tokens[index].target as string, `poolBalance:${index}`)),
      );
    }
    return state;
  }
}

/** The 32-byte word `index` of a call's return data (0 for a call that reverted: null). */
function word(data: string | null, index: number): bigint {
  return data === null ? 0n : BigInt(`0x${data.slice(2 + 64 * index, 2 + 64 * (index + 1))}`);
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

/** The pool events the suite checks, in log order. */
type PoolEvent = { kind: "realized"; event: RealizedEvent } | { kind: "shortfall"; event: ShortfallEvent };

/** A successful call, with the model before it and its block's timestamp. */
interface CheckedCall {
  action: Action;
  before: ReferencePool;
  receipt: ContractTransactionReceipt;
  timestamp: bigint;
}

/** What the model expects a call to emit. */
interface ExpectedEvents {
  realizations: readonly ExpectedRealization[];
  shortfallUpdates: readonly ExpectedShortfallUpdate[];
}

const NO_EVENTS: ExpectedEvents = { realizations: [], shortfallUpdates: [] };
const VIRTUAL_LP_SHARES = 10n ** DECIMALS_OFFSET;
const abs = (value: bigint): bigint => (value < 0n ? -value : value);

/**
 * Whether `shares` of `totalSupply` (+ virtual shares) had their redeemable value move by their pro-rata part of
 * a change of the exit figure from `exitBefore` to `exitAfter`, within less than 1 wei: |Δvalue · (S + 10^6) −
 * shares · Δexit| < S + 10^6. `valueAfter` is the chain's previewRedeem.
 */
function proRata(shares: bigint, totalSupply: bigint, exitBefore: bigint, exitAfter: bigint, valueAfter: bigint) {
  const denominator = totalSupply + VIRTUAL_LP_SHARES;
  const valueBefore = lpAssetsDown(shares, exitBefore, totalSupply);
  const gap = abs((valueBefore - valueAfter) * denominator - shares * (exitBefore - exitAfter));
  return { holds: gap < denominator, valueBefore, valueAfter };
}

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
    await this.verify(model, null, NO_EVENTS, []);
  }

  private contractOf(source: RevertSource): BaseContract {
    if (source === "pool") return this.world.pool;
    if (source === "loanToken") return this.world.tokens[LOAN_TOKEN];
    if (source.startsWith("oracle")) return this.world.oracles[Number(source.slice("oracle".length))];
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
      await this.verify(model, null, NO_EVENTS, []);
      return `reverts ${error}`;
    }
    const response = await sent;
    const receipt = await response.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`${action.kind} was expected to succeed`);
    const before = model.clone();
    model.adopt(outcome.next);
    await this.verify(model, { action, before, receipt, timestamp }, outcome, action.touched);
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
    await this.verify(model, null, NO_EVENTS, [lp]);
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
    call: CheckedCall | null,
    expected: ExpectedEvents,
    touched: readonly ActorName[],
  ): Promise<void> {
    const state = await this.world.reader.read(this.chainTime);
    this.compare(model, state);
    const wallets = await this.walletsOf(touched);
    const walletDiffs: string[] = [];
    touched.forEach((name, index) => differences(wallets[index], model.wallets[name], `wallet.${name}`, walletDiffs));
    invariant("INV-01", walletDiffs.length === 0, `wallets differ from the model: ${walletDiffs.join("; ")}`);

    const events = call === null ? [] : this.poolEvents(call.receipt);
    for (const { kind, event } of events) {
      if (kind === "realized") this.tally("BadDebtRealized", true);
      else
        this.tally(
          event.shortfallAfter > event.shortfallBefore ? "ShortfallUpdated:up" : "ShortfallUpdated:down",
          true,
        );
    }
    // Coverage of the loss states: steps that end with an insolvent account, and with a recognized shortfall.
    if (state.liveShortfalls.some((shortfall) => shortfall > 0n)) this.tally("state:insolvent", true);
    if (state.totalShortfall > 0n) this.tally("state:recognized", true);
    if (BORROWER_NAMES.some((name) => model.unpricedIndex(name, state.timestamp) !== null)) {
      this.tally("state:unpriced", true);
    }
    this.checkShortfallEvents(model, events, expected.shortfallUpdates);
    this.checkStateInvariants(model, state);
    this.checkSharePrice(state, events);
    this.checkRealizations(model, state, events, expected.realizations);
    if (call !== null) {
      this.checkFairness(state, call, events);
      const callerWallet = wallets[touched.indexOf(call.action.caller)];
      await this.checkCallInvariants(model, state, call, callerWallet);
    }
    this.previous = state;
  }

  private compare(model: ReferencePool, state: ChainState): void {
    const diffs: string[] = [];
    differences(state, expectedState(model, state.timestamp), "pool", diffs);
    invariant("INV-01", diffs.length === 0, `chain state differs from the model: ${diffs.join("; ")}`);
  }

  /** The receipt's `BadDebtRealized` and `ShortfallUpdated` events from the pool (the keeper's parsers), in log order. */
  private poolEvents(receipt: ContractTransactionReceipt): PoolEvent[] {
    const pool = this.world.pool.target as string;
    return receipt.logs.flatMap((log): PoolEvent[] => [
      ...realizationEvents(pool, [log]).map((event): PoolEvent => ({ kind: "realized", event })),
      ...shortfallEvents(pool, [log]).map((event): PoolEvent => ({ kind: "shortfall", event })),
    ]);
  }

  /** INV-01: the call's `ShortfallUpdated` events are the model's, in order, with the same figures. */
  private checkShortfallEvents(
    model: ReferencePool,
    events: readonly PoolEvent[],
    expected: readonly ExpectedShortfallUpdate[],
  ): void {
    const actual = events.flatMap(({ kind, event }) => (kind === "shortfall" ? [event] : []));
    const diffs: string[] = [];
    differences(
      actual.map((event) => [event.account, event.shortfallBefore, event.shortfallAfter, event.totalShortfall]),
      expected.map((event) => [
        model.addresses.actors[event.account],
        event.shortfallBefore,
        event.shortfallAfter,
        event.totalShortfall,
      ]),
      "ShortfallUpdated",
      diffs,
    );
    invariant("INV-01", diffs.length === 0, `ShortfallUpdated events differ from the model: ${diffs.join("; ")}`);
  }

  /**
   * INV-07 (sums equal totals), INV-08 (token balances = cash + collateral; no cash floor), INV-15 (Σ recorded
   * shortfalls = total; none above its debt), INV-17 (the exit figure is the gross less the uncovered shortfall,
   * never above the entry figure).
   */
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
      state.entryTotalAssets + state.reserveAssets >= state.totalBorrowAssets,
      `entryTotalAssets ${state.entryTotalAssets} + reserve ${state.reserveAssets} < borrows ${state.totalBorrowAssets}`,
    );

    invariant(
      "INV-15",
      sum(state.recognizedShortfalls) === state.totalShortfall,
      `Σ recognized shortfalls ${sum(state.recognizedShortfalls)} ≠ totalRecognizedShortfall ${state.totalShortfall}`,
    );
    ACTOR_NAMES.forEach((name, index) => {
      const borrowerIndex = BORROWER_NAMES.indexOf(name as BorrowerName);
      const debt = borrowerIndex < 0 ? 0n : state.debts[borrowerIndex];
      invariant(
        "INV-15",
        state.recognizedShortfalls[index] <= debt,
        `${name}'s recognized shortfall ${state.recognizedShortfalls[index]} is above its debt ${debt} (total ` +
          `recognized ${state.totalShortfall}, reserve ${state.reserveAssets}: exits are priced at ${state.totalAssets} ` +
          `instead of ${exitLpAssets(state.entryTotalAssets, state.reserveAssets, state.totalShortfall - state.recognizedShortfalls[index] + min(state.recognizedShortfalls[index], debt))}, gross ${state.entryTotalAssets})`,
      );
    });

    invariant(
      "INV-17",
      state.totalAssets === exitLpAssets(state.entryTotalAssets, state.reserveAssets, state.totalShortfall) &&
        state.totalAssets <= state.entryTotalAssets &&
        state.sharePrice <= state.entrySharePrice,
      `exit figure ${state.totalAssets} (price ${state.sharePrice}) vs entry ${state.entryTotalAssets} ` +
        `(price ${state.entrySharePrice}), reserve ${state.reserveAssets}, shortfall ${state.totalShortfall}`,
    );
  }

  /**
   * INV-02: the exit share price never falls, except in a call that emits BadDebtRealized (and before the write-off
   * inside it, it is not below the previous step's, unless a shortfall increase came first) or a ShortfallUpdated
   * increase; the entry price never falls except in a call that emits BadDebtRealized.
   */
  private checkSharePrice(state: ChainState, events: readonly PoolEvent[]): void {
    const firstRealization = events.findIndex(({ kind }) => kind === "realized");
    const firstIncrease = events.findIndex(
      ({ kind, event }) => kind === "shortfall" && event.shortfallAfter > event.shortfallBefore,
    );
    if (firstRealization < 0) {
      invariant(
        "INV-02",
        state.entrySharePrice >= this.previous.entrySharePrice,
        `entry price fell from ${this.previous.entrySharePrice} to ${state.entrySharePrice} without BadDebtRealized`,
      );
    }
    if (firstRealization >= 0) {
      const { event } = events[firstRealization] as { kind: "realized"; event: RealizedEvent };
      if (firstIncrease < 0 || firstIncrease > firstRealization) {
        invariant(
          "INV-02",
          event.sharePriceBefore >= this.previous.sharePrice,
          `share price ${this.previous.sharePrice} fell to ${event.sharePriceBefore} before the realization`,
        );
      }
      return;
    }
    if (firstIncrease >= 0) return;
    invariant(
      "INV-02",
      state.sharePrice >= this.previous.sharePrice,
      `exit price fell from ${this.previous.sharePrice} to ${state.sharePrice} without BadDebtRealized or a ` +
        `ShortfallUpdated increase`,
    );
  }

  /** INV-03, INV-04, INV-05, INV-12 at every realization. */
  private checkRealizations(
    model: ReferencePool,
    state: ChainState,
    events: readonly PoolEvent[],
    expected: readonly ExpectedRealization[],
  ): void {
    const realized = events.flatMap((entry, position) =>
      entry.kind === "realized" ? [{ event: entry.event, position }] : [],
    );
    invariant(
      "INV-01",
      realized.length === expected.length,
      `${realized.length} BadDebtRealized, model ${expected.length}`,
    );
    invariant("INV-01", realized.length <= 1, `${realized.length} realizations in one call`);
    const shareDecimals = model.shareDecimals;
    for (const [index, { event, position }] of realized.entries()) {
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

      // The figures just before the write-off, from the chain's after the call: the waterfall moved the gross LP
      // assets by the socialized part, the reserve by its cover, and the total shortfall by the account's recognized
      // shortfall (the ShortfallUpdated to 0 the realization emitted just before).
      const cleared = events
        .slice(0, position)
        .reverse()
        .find(
          (entry) =>
            entry.kind === "shortfall" && entry.event.account === event.borrower && entry.event.shortfallAfter === 0n,
        );
      const recognized = cleared?.kind === "shortfall" ? cleared.event.shortfallBefore : 0n;
      const exitBefore = exitLpAssets(
        state.entryTotalAssets + event.socializedAssets,
        state.reserveAssets + event.coveredByReserve,
        state.totalShortfall + recognized,
      );
      const exitAfter = state.totalAssets;

      // INV-03: the event's prices are the exit prices just before and after, as sharePrice() rounds them.
      invariant(
        "INV-03",
        event.sharePriceAfter === state.sharePrice &&
          event.sharePriceBefore === sharePrice(exitBefore, state.totalSupply, shareDecimals) &&
          event.sharePriceAfter === sharePrice(exitAfter, state.totalSupply, shareDecimals),
        `share price ${event.sharePriceBefore} → ${event.sharePriceAfter} (chain ${state.sharePrice}) is not the ` +
          `exit price of ${exitBefore} → ${exitAfter} over ${state.totalSupply} shares (socialized ` +
          `${event.socializedAssets}, covered ${event.coveredByReserve}, recognized ${recognized})`,
      );

      // INV-04: every LP's redeemable value moves by its pro-rata part of the exit figure's change, within 1 wei.
      for (const [lpIndex, shares] of state.lpShares.entries()) {
        const check = proRata(shares, state.totalSupply, exitBefore, exitAfter, state.lpRedeemable[lpIndex]);
        invariant(
          "INV-04",
          check.holds,
          `${LP_NAMES[lpIndex]} (${shares} shares) went from ${check.valueBefore} to ${check.valueAfter} at the ` +
            `realization; its pro-rata part of ${exitBefore - exitAfter} is ${shares * (exitBefore - exitAfter)}/` +
            `${state.totalSupply + VIRTUAL_LP_SHARES}`,
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

      // INV-12: the realized account is closed: no shares, no debt, no collateral, no recognized shortfall.
      const accountIndex = BORROWER_NAMES.indexOf(modelEvent.borrower);
      const recordedAfter = state.recognizedShortfalls[ACTOR_NAMES.indexOf(modelEvent.borrower)];
      invariant(
        "INV-12",
        state.borrowShares[accountIndex] === 0n &&
          state.debts[accountIndex] === 0n &&
          recordedAfter === 0n &&
          state.collateral[accountIndex].every((balance) => balance === 0n),
        `${modelEvent.borrower} keeps shares ${state.borrowShares[accountIndex]}, debt ${state.debts[accountIndex]}, ` +
          `shortfall ${recordedAfter}, collateral ${state.collateral[accountIndex].join("/")} after its realization`,
      );
    }
  }

  /**
   * INV-13 (fairness): in a call that recognizes, releases or realizes a loss (emits ShortfallUpdated or
   * BadDebtRealized), no LP's shares move and every LP's redeemable value (previewRedeem at the exit price) moves by
   * its pro-rata part of the exit figure's change over the call (from its start, interest accrued), within 1 wei:
   * every LP who holds through it bears the same fraction.
   */
  private checkFairness(state: ChainState, call: CheckedCall, events: readonly PoolEvent[]): void {
    if (events.length === 0) return;
    const { before } = call;
    const exitBefore = exitAssetsOf(before.accruedTotals(call.timestamp));
    const exitAfter = state.totalAssets;
    invariant(
      "INV-13",
      state.totalSupply === before.totalSupply &&
        LP_NAMES.every((name, index) => state.lpShares[index] === before.shares[name]),
      `LP shares moved in a ${call.action.kind} that emitted a loss event: ` +
        `${LP_NAMES.map((name) => before.shares[name]).join("/")} → ${state.lpShares.join("/")}`,
    );
    for (const [lpIndex, shares] of state.lpShares.entries()) {
      const check = proRata(shares, state.totalSupply, exitBefore, exitAfter, state.lpRedeemable[lpIndex]);
      invariant(
        "INV-13",
        check.holds,
        `${LP_NAMES[lpIndex]} (${shares} of ${state.totalSupply} shares) went from ${check.valueBefore} to ` +
          `${check.valueAfter} in ${call.action.kind}; the exit figure went from ${exitBefore} to ${exitAfter}`,
      );
    }
    this.tally("fairnessChecked", true);
  }

  /**
   * INV-06 (liquidation dust), INV-09 (deposit → redeem), INV-10 (borrow limit), INV-14 (a refresh records the live
   * shortfall), INV-16 (the reserve committed to the shortfall stays), INV-17 (exits at most the exit price).
   */
  private async checkCallInvariants(
    model: ReferencePool,
    state: ChainState,
    call: CheckedCall,
    callerWallet: readonly bigint[] | undefined,
  ): Promise<void> {
    const { action, before, timestamp } = call;
    const account = action.account;
    const borrowerIndex = (name: ActorName): number => BORROWER_NAMES.indexOf(name as BorrowerName);
    if ((action.kind === "liquidate" || action.kind === "closeInsolventAccount") && account !== undefined) {
      const index = borrowerIndex(account);
      const debt = state.debts[index];
      // The chain's valuation when every oracle answers; the model's book valuation (last trusted prices) otherwise.
      const value = state.priced[index]
        ? state.collateralValues[index]
        : model.tolerantLiquidityOf(account, state.timestamp).collateralValue;
      const dust = model.spec.liquidationParams.dustThresholdAssets;
      invariant(
        "INV-06",
        debt === 0n || value > dust || value >= debt,
        `after ${action.kind} ${account} keeps debt ${debt} behind collateral worth ${value} ≤ dust ${dust}`,
      );
    }
    if ((action.kind === "deposit" || action.kind === "mint") && LP_NAMES.includes(action.caller as never)) {
      const lpIndex = LP_NAMES.indexOf(action.caller as LpName);
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
      const index = borrowerIndex(account);
      const debt = state.debts[index];
      const borrowLimit = state.borrowLimits[index];
      invariant(
        "INV-10",
        debt === 0n || (state.priced[index] && debt <= borrowLimit),
        `${account} owes ${debt} above its borrow limit ${borrowLimit} after ${action.kind}`,
      );
    }

    // INV-14: the accounts this call refreshed record exactly what accountShortfall says now; borrow and
    // withdrawCollateral release the shortfall of an account that is within its borrow limit, which has none.
    const refreshed: ActorName[] = [];
    if (action.kind === "recognizeLosses") refreshed.push(...(action.accounts ?? []));
    if ((action.kind === "liquidate" || action.kind === "closeInsolventAccount") && account !== undefined) {
      refreshed.push(account);
    }
    if ((action.kind === "repay" || action.kind === "supplyCollateral") && account !== undefined) {
      if (before.shortfall[account] > 0n) refreshed.push(account);
    }
    if ((action.kind === "borrow" || action.kind === "withdrawCollateral") && account !== undefined) {
      const index = borrowerIndex(account);
      const recorded = state.recognizedShortfalls[ACTOR_NAMES.indexOf(account)];
      invariant(
        "INV-14",
        recorded === 0n && state.liveShortfalls[index] === 0n,
        `after ${action.kind} ${account} records ${recorded} and has a live shortfall ${state.liveShortfalls[index]} ` +
          `(debt ${state.debts[index]})`,
      );
    }
    for (const name of refreshed) {
      const index = borrowerIndex(name);
      const recorded = state.recognizedShortfalls[ACTOR_NAMES.indexOf(name)];
      const live = index < 0 ? 0n : state.liveShortfalls[index];
      invariant(
        "INV-14",
        recorded === live,
        `${action.kind} refreshed ${name} to ${recorded}, accountShortfall says ${live}`,
      );
    }

    // INV-16: withdrawReserve never takes the reserve below what the recognized shortfall needs of it.
    if (action.kind === "withdrawReserve") {
      const reserveBefore = before.accruedTotals(timestamp).reserveAssets;
      const committed = min(reserveBefore, state.totalShortfall);
      invariant(
        "INV-16",
        state.reserveAssets >= committed,
        `withdrawReserve left ${state.reserveAssets} of ${reserveBefore}, below min(reserve, shortfall ` +
          `${state.totalShortfall}) = ${committed}`,
      );
    }

    // INV-17: an exiting LP gets at most its burned shares' worth at the exit price before the call.
    if ((action.kind === "withdraw" || action.kind === "redeem") && callerWallet !== undefined) {
      const lp = action.caller as LpName;
      const received = callerWallet[LOAN_TOKEN] - before.wallets[lp][LOAN_TOKEN];
      const burned = before.shares[lp] - state.lpShares[LP_NAMES.indexOf(lp)];
      const exitBefore = exitAssetsOf(before.accruedTotals(timestamp));
      const worth = lpAssetsDown(burned, exitBefore, before.totalSupply);
      invariant(
        "INV-17",
        received <= worth,
        `${lp} received ${received} for ${burned} shares worth ${worth} at the exit figure ${exitBefore} ` +
          `(entry figure ${before.accruedTotals(timestamp).totalLpAssets})`,
      );
    }
  }
}
