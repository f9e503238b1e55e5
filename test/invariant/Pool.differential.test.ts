import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ROUND_KINKED_PARAMS } from "../helpers/setup";
import {
  BorrowCommand,
  DepositCommand,
  DonateToReserveCommand,
  OracleFailureCommand,
  PriceCommand,
  RecognizeLossesCommand,
  RepayCommand,
  SupplyCollateralCommand,
  TimeJumpCommand,
  commandArbitrary,
} from "./commands";
import { ChainRunner, deployWorld, type WorldConfig } from "./harness";
import type { ReferencePool } from "./referencePool";

/**
 * Differential stateful fuzzing: random sequences of every pool call by three LPs, three borrowers, a liquidator,
 * the owner and the guardian (loss recognition, the one-call close and collateral planted on another account
 * included), with price moves (crashes, recoveries and zero prices), failing oracles, time jumps and pauses. Before
 * each call the reference model (built only from keepers/src/model/poolMath.ts) predicts success or the exact custom
 * error; after it, the whole on-chain state must equal the model's and every invariant of docs/invariants.md must
 * hold. Seeded: INVARIANT_SEED overrides the seed, INVARIANT_PATH replays one failing path; a failure prints both
 * and the shrunk command sequence (replay: INVARIANT_SEED=<seed> INVARIANT_PATH=<path> with --grep on the pool's
 * name). INVARIANT_PROFILE=long runs ≥ 10,000 sequences (npm run test:invariant:long).
 */

interface Profile {
  /** Sequences per pool configuration. */
  sequences: number;
  maxCommands: number;
}

const PROFILES: Record<"quick" | "long", Profile> = {
  quick: { sequences: 60, maxCommands: 24 },
  long: { sequences: 5_000, maxCommands: 16 },
};
const DEFAULT_SEED = 20_261_125;

const profileName = process.env.INVARIANT_PROFILE === "long" ? "long" : "quick";
const profile = PROFILES[profileName];
const baseSeed = process.env.INVARIANT_SEED === undefined ? DEFAULT_SEED : Number(process.env.INVARIANT_SEED);
const replayPath = process.env.INVARIANT_PATH;

/** 50% APR, per second. */
const HALF_APR_PER_SECOND_E18 = (5n * 10n ** 17n) / (365n * 86_400n);

const CONFIGS: readonly WorldConfig[] = [
  {
    name: "6-decimals loan asset, 18- and 8-decimals collaterals, constant 50% APR",
    loanDecimals: 6,
    collaterals: [
      { decimals: 18, wholePrice: 2_000, ltvBps: 7_500, liquidationThresholdBps: 8_000, liquidationBonusBps: 500 },
      { decimals: 8, wholePrice: 30_000, ltvBps: 7_000, liquidationThresholdBps: 7_800, liquidationBonusBps: 800 },
    ],
    reserveFactorBps: 1_000,
    closeFactorBps: 5_000,
    fullLiquidationHealthFactor: 95n * 10n ** 16n,
    dustThresholdAssets: 50n * 10n ** 6n,
    rate: { kind: "constant", ratePerSecondE18: HALF_APR_PER_SECOND_E18 },
    mintWholeTokens: 10_000_000n,
  },
  {
    name: "18-decimals loan asset, 8- and 18-decimals collaterals, kinked rate model",
    loanDecimals: 18,
    collaterals: [
      { decimals: 8, wholePrice: 30_000, ltvBps: 6_500, liquidationThresholdBps: 7_500, liquidationBonusBps: 1_000 },
      { decimals: 18, wholePrice: 2, ltvBps: 8_000, liquidationThresholdBps: 8_500, liquidationBonusBps: 300 },
    ],
    reserveFactorBps: 2_500,
    closeFactorBps: 5_000,
    fullLiquidationHealthFactor: 95n * 10n ** 16n,
    dustThresholdAssets: 25n * 10n ** 18n,
    rate: { kind: "kinked", params: ROUND_KINKED_PARAMS },
    mintWholeTokens: 10_000_000n,
  },
];

/** Whole loan units, as raw units. */
const loanUnits = (config: WorldConfig, amount: number): bigint =>
  ethers.parseUnits(amount.toString(), config.loanDecimals);

/** Collateral `index` worth `value` whole loan units at the starting price. */
const collateralWorth = (config: WorldConfig, index: number, value: number): bigint => {
  const collateral = config.collaterals[index];
  return (
    (ethers.parseUnits(value.toString(), collateral.decimals) * 10n ** 6n) / BigInt(collateral.wholePrice * 1_000_000)
  );
};

/**
 * The starting point of every sequence, reached through the same checked commands: LPs of 100k, 250k and 50k,
 * three borrowers at 99.5%, 99% and 95% of their borrow limits (one on two collaterals, one with a position a few
 * times the dust threshold), a small reserve, a week of interest; then collateral 1 crashes to 30%, b1 and b2 are
 * recognized insolvent (a shortfall above the reserve, so exits are priced below entries), and the price comes
 * back: every sequence starts with a stale recognized shortfall that the next touch or refresh of b1 or b2 releases.
 */
function prelude(config: WorldConfig): fc.AsyncCommand<ReferencePool, ChainRunner, false>[] {
  return [
    new DepositCommand("lp0", loanUnits(config, 100_000), "none"),
    new DepositCommand("lp1", loanUnits(config, 250_000), "exact"),
    new DepositCommand("lp2", loanUnits(config, 50_000), "none"),
    new SupplyCollateralCommand("b0", "b0", 0, collateralWorth(config, 0, 40_000)),
    new SupplyCollateralCommand("b1", "b1", 0, collateralWorth(config, 0, 15_000)),
    new SupplyCollateralCommand("b1", "b1", 1, collateralWorth(config, 1, 15_000)),
    new SupplyCollateralCommand("b2", "b2", 1, collateralWorth(config, 1, 400)),
    new BorrowCommand("b0", 9_950),
    new BorrowCommand("b1", 9_900),
    new BorrowCommand("b2", 9_500),
    new DonateToReserveCommand("owner", loanUnits(config, 500)),
    new TimeJumpCommand(7 * 86_400),
    new PriceCommand(1, { kind: "scale", bps: 3_000 }),
    new RecognizeLossesCommand("liquidator", ["b1", "b2"]),
    new PriceCommand(1, { kind: "restore" }),
  ];
}

describe("Pool: differential stateful fuzzing against the reference model", function () {
  for (const config of CONFIGS) {
    // The same seed for both pools: the seed a failure prints is the INVARIANT_SEED that replays it.
    const seed = baseSeed;
    const stats = new Map<string, { ok: number; reverted: number }>();

    async function worldAfterPrelude() {
      const { world, model } = await deployWorld(config);
      const runner = await ChainRunner.start(world, model, new Map());
      for (const command of prelude(config)) await command.run(model, runner);
      const start = await ChainRunner.start(world, model, new Map());
      return { world, model, startState: start.lastState };
    }

    it(`${config.name}: ${profile.sequences} sequences of up to ${profile.maxCommands} calls equal the model (seed ${seed})`, async function () {
      const { world, model: startModel, startState } = await loadFixture(worldAfterPrelude);
      let sequences = 0;
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(
          fc.commands([commandArbitrary(config)], { maxCommands: profile.maxCommands, size: "max" }),
          async (commands) => {
            sequences += 1;
            await loadFixture(worldAfterPrelude);
            const model = startModel.clone();
            const runner = new ChainRunner(world, startState, stats);
            await fc.asyncModelRun(() => Promise.resolve({ model, real: runner }), commands);
          },
        ),
        {
          seed,
          numRuns: profile.sequences,
          path: replayPath,
          endOnFailure: replayPath !== undefined,
        },
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const tally = [...stats.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, { ok, reverted }]) => `${kind} ${ok}/${reverted}`)
        .join(", ");
      console.log(`      [${profileName}] ${sequences} sequences in ${seconds} s; calls ok/reverted: ${tally}`);
      // The generator reaches the loss path: liquidations go through and bad debt is realized and checked; losses are
      // recognized and released, the fairness check runs on them, and insolvent accounts are closed in one call.
      expect(stats.get("liquidate")?.ok ?? 0).to.be.greaterThan(0);
      expect(stats.get("BadDebtRealized")?.ok ?? 0).to.be.greaterThan(0);
      expect(stats.get("recognizeLosses")?.ok ?? 0).to.be.greaterThan(0);
      expect(stats.get("ShortfallUpdated:up")?.ok ?? 0).to.be.greaterThan(0);
      expect(stats.get("ShortfallUpdated:down")?.ok ?? 0).to.be.greaterThan(0);
      expect(stats.get("fairnessChecked")?.ok ?? 0).to.be.greaterThan(0);
      expect(stats.get("closeInsolventAccount")?.ok ?? 0).to.be.greaterThan(0);
    });

    // The shrunk counterexample INVARIANT_SEED=2, 3 and 6 found on the pool of 2260c59: b1 carries the prelude's
    // recognized shortfall, the oracle of its collateral 0 fails past MAX_TRUSTED_PRICE_AGE, and b1 repays its whole
    // debt. The refresh in repay then skipped an account holding an unpriced collateral, so b1 kept a recognized
    // shortfall with no debt and every exit was priced 0.7% low (INV-15). Since 68e93aa recognition values an
    // unpriced collateral at 0 and the repay clears it.
    it(`${config.name}: a full repay clears the recognized shortfall, even with a held collateral unpriced`, async function () {
      const { world, model: startModel, startState } = await loadFixture(worldAfterPrelude);
      const model = startModel.clone();
      const runner = new ChainRunner(world, startState, new Map());
      const commands = [
        new OracleFailureCommand(0, true),
        new TimeJumpCommand(86_400),
        new RepayCommand("b1", "b1", null),
      ];
      for (const command of commands) await command.run(model, runner);
    });
  }
});
