/**
 * `Core`: the contracts every network needs and that hold no per-network data: the pool factory, the batch lens and
 * a kinked interest rate model. Rate model parameters are Ignition parameters (module "Core") with defaults below.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { aprBpsToPerSecondE18, WAD } from "../lib/units";
import { poolCreationCode } from "../lib/poolCreationCode";

/** A kinked model in APR terms: the rate starts at `baseAprBps`, rises gently to the kink, then steeply. */
export interface KinkedRateModelApr {
  baseAprBps: number;
  /** Rate added per 100% of utilization up to the kink. */
  slopeBelowKinkAprBps: number;
  /** Rate added per 100% of utilization above the kink. */
  slopeAboveKinkAprBps: number;
  kinkBps: number;
}

/**
 * 0% at no utilization, 4% APR at the 80% kink, 100% APR at full utilization: borrowing stays cheap while the pool
 * has cash and becomes expensive enough near 100% that borrowers repay and LPs can withdraw.
 */
export const DEFAULT_RATE_MODEL: KinkedRateModelApr = {
  baseAprBps: 0,
  slopeBelowKinkAprBps: 500,
  slopeAboveKinkAprBps: 48_000,
  kinkBps: 8_000,
};

/** The KinkedRateModel constructor arguments (per second, scaled by 1e18) for a model given in APR terms. */
export function kinkedRateModelArgs(model: KinkedRateModelApr): {
  baseRatePerSecondE18: bigint;
  slopeBelowKinkPerSecondE18: bigint;
  slopeAboveKinkPerSecondE18: bigint;
  kinkE18: bigint;
} {
  return {
    baseRatePerSecondE18: aprBpsToPerSecondE18(model.baseAprBps),
    slopeBelowKinkPerSecondE18: aprBpsToPerSecondE18(model.slopeBelowKinkAprBps),
    slopeAboveKinkPerSecondE18: aprBpsToPerSecondE18(model.slopeAboveKinkAprBps),
    kinkE18: (BigInt(model.kinkBps) * WAD) / 10_000n,
  };
}

const defaults = kinkedRateModelArgs(DEFAULT_RATE_MODEL);

export default buildModule("Core", (m) => {
  const poolFactory = m.contract("PoolFactory", [poolCreationCode()]);
  const poolLens = m.contract("PoolLens");
  const rateModel = m.contract("KinkedRateModel", [
    m.getParameter("baseRatePerSecondE18", defaults.baseRatePerSecondE18),
    m.getParameter("slopeBelowKinkPerSecondE18", defaults.slopeBelowKinkPerSecondE18),
    m.getParameter("slopeAboveKinkPerSecondE18", defaults.slopeAboveKinkPerSecondE18),
    m.getParameter("kinkE18", defaults.kinkE18),
  ]);
  return { poolFactory, poolLens, rateModel };
});
