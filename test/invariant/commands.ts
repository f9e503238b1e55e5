/**
 * The commands of the differential suite (fast-check model-based testing): each one sizes a call from the model's
 * state (fractions of a balance, a headroom or a debt, so that random sequences reach the interesting boundaries),
 * lets the runner predict, send and verify it, and prints itself with what happened for the shrunk counterexample.
 */
import fc from "fast-check";
import { ethers } from "hardhat";
import { canSocialize, healthFactorDown, MAX_UINT256, PRICE_SCALE } from "../../keepers/src/model/poolMath";
import type { Action, ChainRunner, WorldConfig } from "./harness";
import {
  ACTOR_NAMES,
  BORROWER_NAMES,
  LP_NAMES,
  type ActorName,
  type BorrowerName,
  type LpName,
  type ReferencePool,
} from "./referencePool";

const BPS = 10_000n;
const DAY = 86_400;

/** A slippage bound: none (the plain ERC-4626 call), the exact predicted figure, or one wei too tight. */
export type Bound = "none" | "exact" | "tight";

abstract class PoolCommand implements fc.AsyncCommand<ReferencePool, ChainRunner, false> {
  /** Whether `describe` shows the amounts this run resolved (in the trace), or only the generated parameters. */
  private showResolved = false;

  check(): boolean {
    return true;
  }

  /**
   * Runs the command and appends it, with the amounts it resolved to and what happened, to the sequence's trace; a
   * failure rethrows with that trace, so the shrunk counterexample comes with the figures of its own run.
   */
  async run(model: ReferencePool, runner: ChainRunner): Promise<void> {
    try {
      const outcome = await this.perform(model, runner);
      runner.trace.push(`${this.traceLine()} → ${outcome}`);
    } catch (error) {
      runner.trace.push(`${this.traceLine()} → FAILED`);
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${message}\n    steps of this sequence after the prelude:\n      ${runner.trace.join("\n      ")}`,
        {
          cause: error,
        },
      );
    }
  }

  /** The generated parameters only (what fast-check shrinks and prints). */
  toString(): string {
    return this.describe();
  }

  private traceLine(): string {
    this.showResolved = true;
    try {
      return this.describe();
    } finally {
      this.showResolved = false;
    }
  }

  protected resolvedPart(value: bigint | string): string {
    return this.showResolved ? ` = ${value}` : "";
  }

  protected abstract describe(): string;
  protected abstract perform(model: ReferencePool, runner: ChainRunner): Promise<string>;
}

/** The model's state accrued to the next call's block, for sizing it. */
const atNextBlock = (model: ReferencePool, runner: ChainRunner): ReferencePool =>
  model.accruedCopy(runner.nextTimestamp());

const fraction = (amount: bigint, bps: number): bigint => (amount * BigInt(bps)) / BPS;

/** The borrower with debt and the lowest health factor (poolMath, at the pool's book prices), b0 if none. */
function leastHealthy(model: ReferencePool, timestamp: bigint): BorrowerName {
  let chosen: BorrowerName = "b0";
  let lowest: bigint | null = null;
  for (const name of BORROWER_NAMES) {
    const liquidity = model.tolerantLiquidityOf(name, timestamp);
    if (liquidity.debt === 0n) continue;
    const health = healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
    if (lowest === null || health < lowest) [chosen, lowest] = [name, health];
  }
  return chosen;
}

/** The borrower with the largest live shortfall (accountShortfall), as a keeper would pick; b0 if none has one. */
function mostInsolvent(model: ReferencePool, timestamp: bigint): BorrowerName {
  let chosen: BorrowerName = "b0";
  let largest = 0n;
  for (const name of BORROWER_NAMES) {
    const shortfall = model.liveShortfallOf(name, timestamp)?.shortfall ?? 0n;
    if (shortfall > largest) [chosen, largest] = [name, shortfall];
  }
  return chosen;
}

// ------------------------------------------------------------------ LP side

export class DepositCommand extends PoolCommand {
  constructor(
    readonly lp: LpName,
    readonly assets: bigint,
    readonly bound: Bound,
  ) {
    super();
  }

  protected describe(): string {
    return `${this.bound === "none" ? "deposit" : `depositWithMinShares(${this.bound})`}(${this.lp}, ${this.assets})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { lp, assets } = this;
    const predicted = model.deposit(lp, assets, 0n, runner.nextTimestamp());
    const minShares =
      this.bound === "none" || !predicted.ok ? 0n : predicted.result + (this.bound === "tight" ? 1n : 0n);
    const action: Action = {
      kind: "deposit",
      caller: lp,
      touched: [lp],
      predict: (m, timestamp) => m.deposit(lp, assets, minShares, timestamp),
      send: (world, overrides) => {
        const pool = world.pool.connect(world.signers[lp]);
        const receiver = world.signers[lp].address;
        return this.bound === "none"
          ? pool.deposit(assets, receiver, overrides)
          : pool.depositWithMinShares(assets, receiver, minShares, overrides);
      },
    };
    return runner.execute(model, action);
  }
}

export class MintCommand extends PoolCommand {
  constructor(
    readonly lp: LpName,
    readonly shares: bigint,
    readonly bound: Bound,
  ) {
    super();
  }

  protected describe(): string {
    return `${this.bound === "none" ? "mint" : `mintWithMaxAssets(${this.bound})`}(${this.lp}, ${this.shares} shares)`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { lp, shares } = this;
    const predicted = model.mint(lp, shares, MAX_UINT256, runner.nextTimestamp());
    const maxAssets =
      this.bound === "none" || !predicted.ok ? MAX_UINT256 : predicted.result - (this.bound === "tight" ? 1n : 0n);
    const action: Action = {
      kind: "mint",
      caller: lp,
      touched: [lp],
      predict: (m, timestamp) => m.mint(lp, shares, maxAssets, timestamp),
      send: (world, overrides) => {
        const pool = world.pool.connect(world.signers[lp]);
        const receiver = world.signers[lp].address;
        return this.bound === "none"
          ? pool.mint(shares, receiver, overrides)
          : pool.mintWithMaxAssets(shares, receiver, maxAssets, overrides);
      },
    };
    return runner.execute(model, action);
  }
}

export class WithdrawCommand extends PoolCommand {
  private assets = 0n;

  constructor(
    readonly lp: LpName,
    readonly maxWithdrawBps: number,
    readonly bound: Bound,
  ) {
    super();
  }

  protected describe(): string {
    const name = this.bound === "none" ? "withdraw" : `withdrawWithMaxShares(${this.bound})`;
    return `${name}(${this.lp}, ${this.maxWithdrawBps} bps of maxWithdraw${this.resolvedPart(this.assets)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { lp } = this;
    const assets = fraction(atNextBlock(model, runner).maxWithdrawOf(lp), this.maxWithdrawBps);
    this.assets = assets;
    const predicted = model.withdraw(lp, assets, MAX_UINT256, runner.nextTimestamp());
    const maxShares =
      this.bound === "none" || !predicted.ok ? MAX_UINT256 : predicted.result - (this.bound === "tight" ? 1n : 0n);
    const action: Action = {
      kind: "withdraw",
      caller: lp,
      touched: [lp],
      predict: (m, timestamp) => m.withdraw(lp, assets, maxShares, timestamp),
      send: (world, overrides) => {
        const pool = world.pool.connect(world.signers[lp]);
        const self = world.signers[lp].address;
        return this.bound === "none"
          ? pool.withdraw(assets, self, self, overrides)
          : pool.withdrawWithMaxShares(assets, self, self, maxShares, overrides);
      },
    };
    return runner.execute(model, action);
  }
}

export class RedeemCommand extends PoolCommand {
  private shares = 0n;

  constructor(
    readonly lp: LpName,
    readonly balanceBps: number,
    readonly bound: Bound,
  ) {
    super();
  }

  protected describe(): string {
    const name = this.bound === "none" ? "redeem" : `redeemWithMinAssets(${this.bound})`;
    return `${name}(${this.lp}, ${this.balanceBps} bps of shares${this.resolvedPart(this.shares)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { lp } = this;
    const shares = fraction(model.shares[lp], this.balanceBps);
    this.shares = shares;
    const predicted = model.redeem(lp, shares, 0n, runner.nextTimestamp());
    const minAssets =
      this.bound === "none" || !predicted.ok ? 0n : predicted.result + (this.bound === "tight" ? 1n : 0n);
    const action: Action = {
      kind: "redeem",
      caller: lp,
      touched: [lp],
      predict: (m, timestamp) => m.redeem(lp, shares, minAssets, timestamp),
      send: (world, overrides) => {
        const pool = world.pool.connect(world.signers[lp]);
        const self = world.signers[lp].address;
        return this.bound === "none"
          ? pool.redeem(shares, self, self, overrides)
          : pool.redeemWithMinAssets(shares, self, self, minAssets, overrides);
      },
    };
    return runner.execute(model, action);
  }
}

export class TransferSharesCommand extends PoolCommand {
  private shares = 0n;

  constructor(
    readonly from: LpName,
    readonly to: LpName,
    readonly balanceBps: number,
  ) {
    super();
  }

  protected describe(): string {
    return `transferShares(${this.from} → ${this.to}, ${this.balanceBps} bps${this.resolvedPart(this.shares)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { from, to } = this;
    const shares = fraction(model.shares[from], this.balanceBps);
    this.shares = shares;
    return runner.execute(model, {
      kind: "transferShares",
      caller: from,
      touched: [],
      predict: (m) => m.transferShares(from, to, shares),
      send: (world, overrides) =>
        world.pool.connect(world.signers[from]).transfer(world.signers[to].address, shares, overrides),
    });
  }
}

/** Deposit and redeem of the minted shares in one block (INV-09). */
export class RoundTripCommand extends PoolCommand {
  constructor(
    readonly lp: LpName,
    readonly assets: bigint,
  ) {
    super();
  }

  protected describe(): string {
    return `depositThenRedeemInOneBlock(${this.lp}, ${this.assets})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    return (await runner.roundTrip(model, this.lp, this.assets)) ?? "skipped: the model says a leg reverts";
  }
}

// ------------------------------------------------------------------ borrower side

export class SupplyCollateralCommand extends PoolCommand {
  constructor(
    readonly caller: BorrowerName,
    readonly onBehalf: BorrowerName,
    readonly index: number,
    readonly assets: bigint,
  ) {
    super();
  }

  protected describe(): string {
    return `supplyCollateral(${this.caller} for ${this.onBehalf}, collateral${this.index}, ${this.assets})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller, onBehalf, index, assets } = this;
    return runner.execute(model, {
      kind: "supplyCollateral",
      caller,
      account: onBehalf,
      touched: [caller],
      predict: (m, timestamp) => m.supplyCollateral(caller, index, assets, onBehalf, timestamp),
      send: (world, overrides) =>
        world.pool
          .connect(world.signers[caller])
          .supplyCollateral(
            world.tokens[1 + index].target as string,
            assets,
            world.signers[onBehalf].address,
            overrides,
          ),
    });
  }
}

export class WithdrawCollateralCommand extends PoolCommand {
  private assets = 0n;

  constructor(
    readonly borrower: BorrowerName,
    readonly index: number,
    readonly balanceBps: number,
  ) {
    super();
  }

  protected describe(): string {
    return `withdrawCollateral(${this.borrower}, collateral${this.index}, ${this.balanceBps} bps${this.resolvedPart(this.assets)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { borrower, index } = this;
    const assets = fraction(model.collateral[borrower][index], this.balanceBps);
    this.assets = assets;
    return runner.execute(model, {
      kind: "withdrawCollateral",
      caller: borrower,
      account: borrower,
      touched: [borrower],
      predict: (m, timestamp) => m.withdrawCollateral(borrower, index, assets, timestamp),
      send: (world, overrides) =>
        world.pool
          .connect(world.signers[borrower])
          .withdrawCollateral(
            world.tokens[1 + index].target as string,
            assets,
            world.signers[borrower].address,
            overrides,
          ),
    });
  }
}

export class BorrowCommand extends PoolCommand {
  private assets = 0n;

  constructor(
    readonly borrower: BorrowerName,
    readonly headroomBps: number,
  ) {
    super();
  }

  protected describe(): string {
    return `borrow(${this.borrower}, ${this.headroomBps} bps of headroom${this.resolvedPart(this.assets)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { borrower } = this;
    const liquidity = atNextBlock(model, runner).liquidityOrNull(borrower);
    const headroom =
      liquidity === null || liquidity.borrowLimit <= liquidity.debt ? 1n : liquidity.borrowLimit - liquidity.debt;
    const assets = fraction(headroom, this.headroomBps);
    this.assets = assets;
    return runner.execute(model, {
      kind: "borrow",
      caller: borrower,
      account: borrower,
      touched: [borrower],
      predict: (m, timestamp) => m.borrow(borrower, assets, timestamp),
      send: (world, overrides) =>
        world.pool.connect(world.signers[borrower]).borrow(assets, world.signers[borrower].address, overrides),
    });
  }
}

export class RepayCommand extends PoolCommand {
  private assets = 0n;

  /** `debtBps` null repays with type(uint256).max. */
  constructor(
    readonly caller: BorrowerName,
    readonly onBehalf: BorrowerName,
    readonly debtBps: number | null,
  ) {
    super();
  }

  protected describe(): string {
    const amount = this.debtBps === null ? "max" : `${this.debtBps} bps of debt${this.resolvedPart(this.assets)}`;
    return `repay(${this.caller} for ${this.onBehalf}, ${amount})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller, onBehalf } = this;
    const debt = atNextBlock(model, runner).debtOf(onBehalf);
    const assets = this.debtBps === null ? MAX_UINT256 : fraction(debt, this.debtBps);
    this.assets = assets;
    return runner.execute(model, {
      kind: "repay",
      caller,
      account: onBehalf,
      touched: [caller],
      predict: (m, timestamp) => m.repay(caller, onBehalf, assets, timestamp),
      send: (world, overrides) =>
        world.pool.connect(world.signers[caller]).repay(assets, world.signers[onBehalf].address, overrides),
    });
  }
}

// ------------------------------------------------------------------ liquidators and the reserve

/** How a liquidation's minimum seized collateral is set. */
export type SeizeBound = "zero" | "exact" | "tight";

export class LiquidateCommand extends PoolCommand {
  private assets = 0n;

  private index = 0;

  /**
   * `debtBps` null asks to repay type(uint256).max; `chosenIndex` null seizes the first collateral the borrower
   * holds (collateral 0 if none).
   */
  private borrower: BorrowerName = "b0";

  /** `chosenBorrower` null targets the borrower with the lowest health factor (as a keeper would). */
  constructor(
    readonly chosenBorrower: BorrowerName | null,
    readonly chosenIndex: number | null,
    readonly debtBps: number | null,
    readonly seizeBound: SeizeBound,
  ) {
    super();
  }

  protected describe(): string {
    const amount = this.debtBps === null ? "max" : `${this.debtBps} bps of debt${this.resolvedPart(this.assets)}`;
    const collateral =
      this.chosenIndex === null
        ? `first held${this.resolvedPart(`collateral${this.index}`)}`
        : `collateral${this.index}`;
    const borrower = this.chosenBorrower ?? `least healthy${this.resolvedPart(this.borrower)}`;
    return `liquidate(${borrower}, ${collateral}, ${amount}, minSeized ${this.seizeBound})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const borrower = this.chosenBorrower ?? leastHealthy(atNextBlock(model, runner), runner.nextTimestamp());
    this.borrower = borrower;
    const held = model.collateral[borrower].findIndex((balance) => balance > 0n);
    const index = this.chosenIndex ?? (held < 0 ? 0 : held);
    this.index = index;
    const debt = atNextBlock(model, runner).debtOf(borrower);
    const repayAssets = this.debtBps === null ? MAX_UINT256 : fraction(debt, this.debtBps);
    this.assets = repayAssets;
    const predicted = model.liquidate("liquidator", borrower, index, repayAssets, 0n, runner.nextTimestamp());
    const minSeized =
      this.seizeBound === "zero" || !predicted.ok ? 0n : predicted.result + (this.seizeBound === "tight" ? 1n : 0n);
    return runner.execute(model, {
      kind: "liquidate",
      caller: "liquidator",
      account: borrower,
      touched: ["liquidator"],
      predict: (m, timestamp) => m.liquidate("liquidator", borrower, index, repayAssets, minSeized, timestamp),
      send: (world, overrides) =>
        world.pool
          .connect(world.signers.liquidator)
          .liquidate(
            world.signers[borrower].address,
            world.tokens[1 + index].target as string,
            repayAssets,
            minSeized,
            world.signers.liquidator.address,
            overrides,
          ),
    });
  }
}

export class SocializeCommand extends PoolCommand {
  private borrower: BorrowerName = "b0";

  /** `chosenBorrower` null targets the first borrower the model finds socializable (b0 if none). */
  constructor(
    readonly caller: ActorName,
    readonly chosenBorrower: BorrowerName | null,
  ) {
    super();
  }

  protected describe(): string {
    return `socializeBadDebt(${this.caller} on ${this.chosenBorrower ?? `first socializable${this.resolvedPart(this.borrower)}`})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller } = this;
    const accrued = atNextBlock(model, runner);
    const dust = model.spec.liquidationParams.dustThresholdAssets;
    const borrower =
      this.chosenBorrower ??
      BORROWER_NAMES.find((name) => canSocialize(accrued.tolerantLiquidityOf(name, runner.nextTimestamp()), dust)) ??
      "b0";
    this.borrower = borrower;
    return runner.execute(model, {
      kind: "socializeBadDebt",
      caller,
      account: borrower,
      touched: [caller],
      predict: (m, timestamp) => m.socializeBadDebt(caller, borrower, timestamp),
      send: (world, overrides) =>
        world.pool.connect(world.signers[caller]).socializeBadDebt(world.signers[borrower].address, overrides),
    });
  }
}

/** How closeInsolventAccount's minimum seized value is set: 0, the predicted value, one wei above it, or double. */
export type CloseBound = "zero" | "exact" | "tight" | "high";

export class CloseInsolventCommand extends PoolCommand {
  private borrower: BorrowerName = "b0";

  private minSeizedValue = 0n;

  /** `chosenBorrower` null targets the borrower with the largest live shortfall (as a keeper would). */
  constructor(
    readonly chosenBorrower: BorrowerName | null,
    readonly bound: CloseBound,
  ) {
    super();
  }

  protected describe(): string {
    const borrower = this.chosenBorrower ?? `most insolvent${this.resolvedPart(this.borrower)}`;
    return `closeInsolventAccount(${borrower}, minSeizedValue ${this.bound}${this.resolvedPart(this.minSeizedValue)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const borrower = this.chosenBorrower ?? mostInsolvent(atNextBlock(model, runner), runner.nextTimestamp());
    this.borrower = borrower;
    const predicted = model.closeInsolventAccount("liquidator", borrower, 0n, runner.nextTimestamp());
    const seizedValue = predicted.ok ? predicted.result : 0n;
    const minSeizedValue =
      this.bound === "zero" || !predicted.ok
        ? 0n
        : this.bound === "exact"
          ? seizedValue
          : this.bound === "tight"
            ? seizedValue + 1n
            : seizedValue * 2n + 1n;
    this.minSeizedValue = minSeizedValue;
    return runner.execute(model, {
      kind: "closeInsolventAccount",
      caller: "liquidator",
      account: borrower,
      touched: ["liquidator"],
      predict: (m, timestamp) => m.closeInsolventAccount("liquidator", borrower, minSeizedValue, timestamp),
      send: (world, overrides) =>
        world.pool
          .connect(world.signers.liquidator)
          .closeInsolventAccount(
            world.signers[borrower].address,
            minSeizedValue,
            world.signers.liquidator.address,
            overrides,
          ),
    });
  }
}

/** recognizeLosses on a list of accounts (any subset of the actors, repeats allowed), by anyone. */
export class RecognizeLossesCommand extends PoolCommand {
  constructor(
    readonly caller: ActorName,
    readonly accounts: readonly ActorName[],
  ) {
    super();
  }

  protected describe(): string {
    return `recognizeLosses(${this.caller}, [${this.accounts.join(", ")}])`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller, accounts } = this;
    return runner.execute(model, {
      kind: "recognizeLosses",
      caller,
      accounts,
      touched: [],
      predict: (m, timestamp) => m.recognizeLosses(accounts, timestamp),
      send: (world, overrides) =>
        world.pool.connect(world.signers[caller]).recognizeLosses(
          accounts.map((name) => world.signers[name].address),
          overrides,
        ),
    });
  }
}

/** How much collateral a third party plants on an account: a few wei, or a value just below or above dust. */
export type PlantSize = { kind: "wei"; raw: bigint } | { kind: "dust"; dustBps: number };

/**
 * Collateral supplied on behalf of another account by someone else (an LP or the liquidator): the griefing of
 * issue 13 (planted dust or just-above-dust collateral, later maybe with a failed feed, on an insolvent account).
 */
export class PlantCollateralCommand extends PoolCommand {
  private target: BorrowerName = "b0";

  private assets = 0n;

  /** `chosenTarget` null plants on the borrower with the largest live shortfall. */
  constructor(
    readonly planter: ActorName,
    readonly chosenTarget: BorrowerName | null,
    readonly index: number,
    readonly size: PlantSize,
  ) {
    super();
  }

  protected describe(): string {
    const target = this.chosenTarget ?? `most insolvent${this.resolvedPart(this.target)}`;
    const size = this.size.kind === "wei" ? `${this.size.raw} wei` : `${this.size.dustBps} bps of dust`;
    return `plantCollateral(${this.planter} on ${target}, collateral${this.index}, ${size}${this.resolvedPart(this.assets)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { planter, index, size } = this;
    const target = this.chosenTarget ?? mostInsolvent(atNextBlock(model, runner), runner.nextTimestamp());
    this.target = target;
    // Sizing only: the collateral amount whose value at the book price is about `dustBps` of the dust threshold.
    const { priceE36 } = model.bookPriceOf(index, runner.nextTimestamp());
    const assets =
      size.kind === "wei"
        ? size.raw
        : (fraction(model.spec.liquidationParams.dustThresholdAssets, size.dustBps) * PRICE_SCALE) /
            (priceE36 === 0n ? 1n : priceE36) +
          1n;
    this.assets = assets;
    return runner.execute(model, {
      kind: "supplyCollateral",
      caller: planter,
      account: target,
      touched: [planter],
      predict: (m, timestamp) => m.supplyCollateral(planter, index, assets, target, timestamp),
      send: (world, overrides) =>
        world.pool
          .connect(world.signers[planter])
          .supplyCollateral(world.tokens[1 + index].target as string, assets, world.signers[target].address, overrides),
    });
  }
}

/** refreshTrustedPrices: anyone stores the collaterals' live prices as trusted prices (re-dating unchanged ones). */
export class RefreshTrustedPricesCommand extends PoolCommand {
  constructor(readonly caller: ActorName) {
    super();
  }

  protected describe(): string {
    return `refreshTrustedPrices(${this.caller})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller } = this;
    return runner.execute(model, {
      kind: "refreshTrustedPrices",
      caller,
      touched: [],
      predict: (m, timestamp) => m.refreshTrustedPrices(timestamp),
      send: (world, overrides) => world.pool.connect(world.signers[caller]).refreshTrustedPrices(overrides),
    });
  }
}

export class DonateToReserveCommand extends PoolCommand {
  constructor(
    readonly caller: ActorName,
    readonly assets: bigint,
  ) {
    super();
  }

  protected describe(): string {
    return `donateToReserve(${this.caller}, ${this.assets})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller, assets } = this;
    return runner.execute(model, {
      kind: "donateToReserve",
      caller,
      touched: [caller],
      predict: (m, timestamp) => m.donateToReserve(caller, assets, timestamp),
      send: (world, overrides) => world.pool.connect(world.signers[caller]).donateToReserve(assets, overrides),
    });
  }
}

export class WithdrawReserveCommand extends PoolCommand {
  private assets = 0n;

  constructor(
    readonly caller: ActorName,
    readonly reserveBps: number,
  ) {
    super();
  }

  protected describe(): string {
    return `withdrawReserve(${this.caller}, ${this.reserveBps} bps of reserve${this.resolvedPart(this.assets)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller } = this;
    const assets = fraction(atNextBlock(model, runner).totals.reserveAssets, this.reserveBps);
    this.assets = assets;
    return runner.execute(model, {
      kind: "withdrawReserve",
      caller,
      touched: [caller],
      predict: (m, timestamp) => m.withdrawReserve(caller, assets, timestamp),
      send: (world, overrides) =>
        world.pool.connect(world.signers[caller]).withdrawReserve(assets, world.signers[caller].address, overrides),
    });
  }
}

// ------------------------------------------------------------------ the world: prices, time, pause, stray tokens

/**
 * A price move: scaled by `bps` / 1e4 (crashes and recoveries included), set to 0 (no price: the pool falls back on
 * the last trusted price), or restored to the starting price.
 */
export type PriceMove = { kind: "scale"; bps: number } | { kind: "zero" } | { kind: "restore" };

export class PriceCommand extends PoolCommand {
  private priceE36 = 0n;

  constructor(
    readonly index: number,
    readonly move: PriceMove,
  ) {
    super();
  }

  protected describe(): string {
    const move = this.move.kind === "scale" ? `× ${this.move.bps} bps` : this.move.kind;
    return `price(collateral${this.index} ${move}${this.resolvedPart(this.priceE36)})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { index, move } = this;
    const initial = runner.world.initialPricesE36[index];
    const current = model.pricesE36[index];
    // A price at 0 stays at 0 when scaled: scaling restarts from 1 wei so the oracle can come back.
    const priceE36 =
      move.kind === "zero"
        ? 0n
        : move.kind === "restore"
          ? initial
          : fraction(current === 0n ? 1n : current, move.bps) + 1n;
    this.priceE36 = priceE36;
    return runner.execute(model, {
      kind: "setPrice",
      caller: "owner",
      touched: [],
      predict: (m) => m.setPrice(index, priceE36),
      send: (world, overrides) => world.oracles[index].setPrice(priceE36, overrides),
    });
  }
}

/** The oracle of a collateral starts reverting (a failed feed) or answers again. */
export class OracleFailureCommand extends PoolCommand {
  constructor(
    readonly index: number,
    readonly reverting: boolean,
  ) {
    super();
  }

  protected describe(): string {
    return `oracle(collateral${this.index} ${this.reverting ? "fails" : "answers again"})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { index, reverting } = this;
    return runner.execute(model, {
      kind: "setOracleReverting",
      caller: "owner",
      touched: [],
      predict: (m) => m.setOracleReverting(index, reverting),
      send: (world, overrides) => world.oracles[index].setReverting(reverting, overrides),
    });
  }
}

export class TimeJumpCommand extends PoolCommand {
  constructor(readonly seconds: number) {
    super();
  }

  protected describe(): string {
    return `timeJump(${this.seconds} s)`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    await runner.jump(model, BigInt(this.seconds));
    return "ok";
  }
}

export class SetPausedCommand extends PoolCommand {
  constructor(
    readonly caller: ActorName,
    readonly paused: boolean,
  ) {
    super();
  }

  protected describe(): string {
    return `setPaused(${this.caller}, ${this.paused})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller, paused } = this;
    return runner.execute(model, {
      kind: "setPaused",
      caller,
      touched: [],
      predict: (m) => m.setPaused(caller, paused),
      send: (world, overrides) => world.pool.connect(world.signers[caller]).setPaused(paused, overrides),
    });
  }
}

/** Loan assets sent to the pool by a plain transfer: must change no figure but the pool's token balance. */
export class StrayTransferCommand extends PoolCommand {
  constructor(
    readonly caller: ActorName,
    readonly assets: bigint,
  ) {
    super();
  }

  protected describe(): string {
    return `strayTransfer(${this.caller}, ${this.assets})`;
  }

  protected async perform(model: ReferencePool, runner: ChainRunner): Promise<string> {
    const { caller, assets } = this;
    return runner.execute(model, {
      kind: "strayTransfer",
      caller,
      touched: [caller],
      predict: (m) => m.strayTransfer(caller, assets),
      send: (world, overrides) =>
        world.tokens[0].connect(world.signers[caller]).transfer(world.pool.target as string, assets, overrides),
    });
  }
}

// ------------------------------------------------------------------ arbitraries

/** Whole units of a token with `decimals`, as raw units. */
const whole = (amount: number, decimals: number): bigint => ethers.parseUnits(amount.toString(), decimals);

/**
 * The weighted command generator for `config`: amounts from a few wei to large positions, fractions reaching past
 * 100% (so limits are hit from both sides), crashes and zero prices, long and short time jumps.
 */
export function commandArbitrary(
  config: WorldConfig,
): fc.Arbitrary<fc.AsyncCommand<ReferencePool, ChainRunner, false>> {
  const loan = config.loanDecimals;
  const lp = fc.constantFrom(...LP_NAMES);
  const borrower = fc.constantFrom(...BORROWER_NAMES);
  const collateralIndex = fc.integer({ min: 0, max: config.collaterals.length - 1 });
  const bound = fc.constantFrom<Bound>("none", "none", "exact", "tight");
  const loanAmount = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((units) => whole(units, loan)) },
    { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 10n ** BigInt(loan) }) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 1_000n }) },
  );
  const smallLoanAmount = fc.oneof(
    fc.integer({ min: 1, max: 5_000 }).map((units) => whole(units, loan)),
    fc.bigInt({ min: 0n, max: 1_000n }),
  );
  // Bps that mostly land inside the limit, sometimes exactly on it, sometimes past it.
  const bps = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
    { weight: 2, arbitrary: fc.constant(10_000) },
    { weight: 1, arbitrary: fc.integer({ min: 10_001, max: 12_000 }) },
  );
  const collateralAmount = fc
    .tuple(
      collateralIndex,
      fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 60_000 }) }, { weight: 1, arbitrary: fc.constant(0) }),
      fc.bigInt({ min: 0n, max: 1_000n }),
    )
    .map(([index, valueUnits, dustRaw]) => {
      const collateral = config.collaterals[index];
      // `valueUnits` loan units' worth at the starting price, or (for 0) a few raw units.
      const assets =
        valueUnits === 0
          ? dustRaw
          : (whole(valueUnits, loan) * 10n ** BigInt(collateral.decimals)) /
            (whole(collateral.wholePrice, loan) > 0n ? whole(collateral.wholePrice, loan) : 1n);
      return { index, assets };
    });
  const priceMove = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.integer({ min: 6_500, max: 11_500 }).map((value): PriceMove => ({ kind: "scale", bps: value })),
    },
    // Falls that take the prelude's borrowers (at 95-99.5% of their limits) just past insolvency, where a shortfall
    // is small and liquidation, recognition and the one-call close disagree most easily.
    {
      weight: 5,
      arbitrary: fc.integer({ min: 7_000, max: 8_500 }).map((value): PriceMove => ({ kind: "scale", bps: value })),
    },
    {
      weight: 3,
      arbitrary: fc.integer({ min: 100, max: 5_000 }).map((value): PriceMove => ({ kind: "scale", bps: value })),
    },
    // Recoveries: a crashed price coming back releases a recognized shortfall.
    {
      weight: 3,
      arbitrary: fc.integer({ min: 11_500, max: 30_000 }).map((value): PriceMove => ({ kind: "scale", bps: value })),
    },
    { weight: 2, arbitrary: fc.constant<PriceMove>({ kind: "restore" }) },
    { weight: 1, arbitrary: fc.constant<PriceMove>({ kind: "zero" }) },
  );
  // Every borrower (a keeper's batch), or a random list: mostly borrowers (who can owe), sometimes an account
  // without debt; repeats allowed.
  const recognized = fc.oneof(
    { weight: 1, arbitrary: fc.constant<ActorName[]>([...BORROWER_NAMES]) },
    {
      weight: 2,
      arbitrary: fc.array(
        fc.oneof(
          { weight: 6, arbitrary: borrower },
          { weight: 1, arbitrary: fc.constantFrom<ActorName>(...ACTOR_NAMES) },
        ),
        { minLength: 0, maxLength: 5 },
      ),
    },
  );
  const plantSize = fc.oneof(
    fc.bigInt({ min: 1n, max: 1_000n }).map((raw): PlantSize => ({ kind: "wei", raw })),
    fc.integer({ min: 1_000, max: 9_900 }).map((dustBps): PlantSize => ({ kind: "dust", dustBps })),
    fc.integer({ min: 10_100, max: 13_000 }).map((dustBps): PlantSize => ({ kind: "dust", dustBps })),
  );
  const seconds = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 3_600 }) },
    { weight: 3, arbitrary: fc.integer({ min: 3_600, max: 30 * DAY }) },
    { weight: 1, arbitrary: fc.integer({ min: 30 * DAY, max: 365 * DAY }) },
  );
  const anyActor = fc.constantFrom<ActorName>("lp0", "liquidator", "owner", "b1");

  type Cmd = fc.AsyncCommand<ReferencePool, ChainRunner, false>;
  const weighted = (weight: number, arbitrary: fc.Arbitrary<Cmd>) => ({ weight, arbitrary });
  return fc.oneof(
    weighted(
      3,
      fc.tuple(lp, loanAmount, bound).map(([who, assets, b]): Cmd => new DepositCommand(who, assets, b)),
    ),
    weighted(
      2,
      fc.tuple(lp, loanAmount, bound).map(([who, assets, b]): Cmd => new MintCommand(who, assets * 1_000_000n, b)),
    ),
    weighted(
      2,
      fc.tuple(lp, bps, bound).map(([who, share, b]): Cmd => new WithdrawCommand(who, share, b)),
    ),
    weighted(
      2,
      fc.tuple(lp, bps, bound).map(([who, share, b]): Cmd => new RedeemCommand(who, share, b)),
    ),
    weighted(
      1,
      fc.tuple(lp, lp, bps).map(([from, to, share]): Cmd => new TransferSharesCommand(from, to, share)),
    ),
    weighted(
      1,
      fc.tuple(lp, loanAmount).map(([who, assets]): Cmd => new RoundTripCommand(who, assets)),
    ),
    weighted(
      4,
      fc
        .tuple(borrower, fc.option(borrower, { freq: 5 }), collateralAmount)
        .map(([who, other, { index, assets }]): Cmd => new SupplyCollateralCommand(who, other ?? who, index, assets)),
    ),
    weighted(
      2,
      fc
        // Small fractions too: the prelude's borrowers are near their limits, and a withdrawal that stays within
        // the limit releases a recognized shortfall.
        .tuple(borrower, collateralIndex, fc.oneof(bps, fc.integer({ min: 1, max: 400 })))
        .map(([who, index, share]): Cmd => new WithdrawCollateralCommand(who, index, share)),
    ),
    weighted(
      5,
      fc
        .tuple(borrower, fc.oneof(bps, fc.integer({ min: 9_000, max: 10_050 })))
        .map(([who, share]): Cmd => new BorrowCommand(who, share)),
    ),
    weighted(
      3,
      fc
        .tuple(borrower, fc.option(borrower, { freq: 5 }), fc.option(bps, { freq: 4 }))
        .map(([who, other, share]): Cmd => new RepayCommand(who, other ?? who, share)),
    ),
    weighted(
      5,
      fc
        .tuple(
          fc.option(borrower, { freq: 2 }),
          fc.option(collateralIndex, { freq: 2 }),
          fc.option(fc.integer({ min: 1, max: 10_000 }), { freq: 3 }),
          fc.constantFrom<SeizeBound>("zero", "zero", "exact", "tight"),
        )
        .map(([who, index, share, seize]): Cmd => new LiquidateCommand(who, index, share, seize)),
    ),
    weighted(
      2,
      fc
        .tuple(fc.constantFrom<ActorName>("liquidator", "lp1"), fc.option(borrower, { freq: 2 }))
        .map(([who, b]): Cmd => new SocializeCommand(who, b)),
    ),
    weighted(
      5,
      fc
        .tuple(fc.option(borrower, { freq: 2 }), fc.constantFrom<CloseBound>("zero", "zero", "exact", "tight", "high"))
        .map(([who, minBound]): Cmd => new CloseInsolventCommand(who, minBound)),
    ),
    weighted(
      7,
      fc
        .tuple(fc.constantFrom<ActorName>("liquidator", "lp1", "b2"), recognized)
        .map(([who, accounts]): Cmd => new RecognizeLossesCommand(who, accounts)),
    ),
    weighted(
      2,
      fc
        .tuple(
          fc.constantFrom<ActorName>("lp2", "liquidator"),
          fc.option(borrower, { freq: 3 }),
          collateralIndex,
          plantSize,
        )
        .map(([who, target, index, size]): Cmd => new PlantCollateralCommand(who, target, index, size)),
    ),
    weighted(
      1,
      anyActor.map((who): Cmd => new RefreshTrustedPricesCommand(who)),
    ),
    weighted(
      1,
      fc.tuple(anyActor, smallLoanAmount).map(([who, assets]): Cmd => new DonateToReserveCommand(who, assets)),
    ),
    weighted(
      1,
      fc
        .tuple(fc.constantFrom<ActorName>("owner", "owner", "owner", "lp2"), bps)
        .map(([who, share]): Cmd => new WithdrawReserveCommand(who, share)),
    ),
    weighted(
      10,
      fc.tuple(collateralIndex, priceMove).map(([index, move]): Cmd => new PriceCommand(index, move)),
    ),
    weighted(
      2,
      fc
        .tuple(collateralIndex, fc.boolean())
        .map(([index, reverting]): Cmd => new OracleFailureCommand(index, reverting)),
    ),
    weighted(
      4,
      seconds.map((value): Cmd => new TimeJumpCommand(value)),
    ),
    weighted(
      1,
      fc
        .tuple(fc.constantFrom<ActorName>("guardian", "owner", "lp0"), fc.boolean())
        .map(([who, paused]): Cmd => new SetPausedCommand(who, paused)),
    ),
    weighted(
      1,
      fc.tuple(anyActor, smallLoanAmount).map(([who, assets]): Cmd => new StrayTransferCommand(who, assets)),
    ),
  );
}
