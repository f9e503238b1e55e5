import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { KinkedRateModel } from "../../typechain-types";
import {
  kinkedBorrowRatePerSecond,
  utilizationE18,
} from "../../keepers/src/model/poolMath";

const WAD = 10n ** 18n;
const YEAR = 31_536_000n;
/** 1000% APR per second: 10e18 / 365 days, rounded down. */
const MAX_RATE = 317_097_919_837n;

// Round numbers so every expected rate below can be checked by hand.
const BASE = 1_000_000_000n; // 1e9 per second
const SLOPE_BELOW = 40_000_000_000n; // 4e10 per 100% utilization
const SLOPE_ABOVE = 300_000_000_000n; // 3e11 per 100% utilization
const KINK = 800_000_000_000_000_000n; // 80%

/** A view's expected answer for (cash, borrows), checked by hand. */
type Point = readonly [cash: bigint, borrows: bigint, expected: bigint];

/** Named groups of points; each group is one test. */
type PointCases = readonly { title: string; points: readonly Point[] }[];

/** One test per case: for each point, `view(model, cash, borrows)` of the round-parameter model answers `expected`. */
function itAnswers(
  cases: PointCases,
  view: (
    model: KinkedRateModel,
    cash: bigint,
    borrows: bigint,
  ) => Promise<bigint>,
  fixture: () => Promise<{ model: KinkedRateModel }>,
): void {
  for (const { title, points } of cases) {
    it(title, async function () {
      const { model } = await loadFixture(fixture);
      for (const [cash, borrows, expected] of points) {
        expect(await view(model, cash, borrows)).to.equal(expected);
      }
    });
  }
}

/** Deterministic xorshift so the "random" cases are reproducible. */
function makeRng(seed: bigint): (bits: bigint) => bigint {
  let state = seed;
  return (bits: bigint) => {
    let out = 0n;
    for (let produced = 0n; produced < bits; produced += 64n) {
      state ^= (state << 13n) & 0xffffffffffffffffn;
      state ^= state >> 7n;
      state ^= (state << 17n) & 0xffffffffffffffffn;
      out = (out << 64n) | state;
    }
    return out & ((1n << bits) - 1n);
  };
}

describe("KinkedRateModel", function () {
  async function deploy(
    base: bigint,
    below: bigint,
    above: bigint,
    kink: bigint,
  ): Promise<KinkedRateModel> {
    return ethers.deployContract("KinkedRateModel", [base, below, above, kink]);
  }

  async function modelFixture() {
    const model = await deploy(BASE, SLOPE_BELOW, SLOPE_ABOVE, KINK);
    return { model };
  }

  describe("constructor", function () {
    it("stores the parameters and exposes the limit", async function () {
      const { model } = await loadFixture(modelFixture);
      expect(await model.baseRatePerSecondE18()).to.equal(BASE);
      expect(await model.slopeBelowKinkPerSecondE18()).to.equal(SLOPE_BELOW);
      expect(await model.slopeAboveKinkPerSecondE18()).to.equal(SLOPE_ABOVE);
      expect(await model.kinkE18()).to.equal(KINK);
      expect(await model.MAX_RATE_PER_SECOND_E18()).to.equal(MAX_RATE);
      expect(MAX_RATE).to.equal((10n * WAD) / YEAR);
    });

    it("emits RateModelParameters", async function () {
      const { model } = await loadFixture(modelFixture);
      await expect(model.deploymentTransaction())
        .to.emit(model, "RateModelParameters")
        .withArgs(BASE, SLOPE_BELOW, SLOPE_ABOVE, KINK);
    });

    it("reverts with KinkOutOfRange for a kink of 0", async function () {
      const { model } = await loadFixture(modelFixture);
      await expect(deploy(BASE, SLOPE_BELOW, SLOPE_ABOVE, 0n))
        .to.be.revertedWithCustomError(model, "KinkOutOfRange")
        .withArgs(0n);
    });

    it("reverts with KinkOutOfRange for a kink of 100% or more", async function () {
      const { model } = await loadFixture(modelFixture);
      await expect(deploy(BASE, SLOPE_BELOW, SLOPE_ABOVE, WAD))
        .to.be.revertedWithCustomError(model, "KinkOutOfRange")
        .withArgs(WAD);
      await expect(deploy(BASE, SLOPE_BELOW, SLOPE_ABOVE, WAD + 1n))
        .to.be.revertedWithCustomError(model, "KinkOutOfRange")
        .withArgs(WAD + 1n);
    });

    it("accepts the extreme kinks 1 and 1e18 - 1", async function () {
      const low = await deploy(0n, 0n, MAX_RATE, 1n);
      expect(await low.kinkE18()).to.equal(1n);
      // slopeAbove * (1e18 - 1) / 1e18 rounds down to MAX_RATE - 1.
      expect(await low.maxRatePerSecond()).to.equal(MAX_RATE - 1n);

      const high = await deploy(0n, MAX_RATE, 0n, WAD - 1n);
      expect(await high.kinkE18()).to.equal(WAD - 1n);
      expect(await high.maxRatePerSecond()).to.equal(MAX_RATE - 1n);
    });

    it("accepts a maximum rate exactly at the limit", async function () {
      const atLimit = await deploy(MAX_RATE, 0n, 0n, KINK);
      expect(await atLimit.maxRatePerSecond()).to.equal(MAX_RATE);

      // 100 + 2*(L-100)*0.5 + 0*0.5 = L
      const split = await deploy(100n, 2n * (MAX_RATE - 100n), 0n, WAD / 2n);
      expect(await split.maxRatePerSecond()).to.equal(MAX_RATE);
    });

    it("validates the rounded-down maximum rate", async function () {
      // slopeBelow * 0.5 = (2L + 1) / 2 rounds down to L; slopeAbove * 0.5 = 1 / 2 rounds down to 0.
      const rounded = await deploy(0n, 2n * MAX_RATE + 1n, 1n, WAD / 2n);
      expect(await rounded.maxRatePerSecond()).to.equal(MAX_RATE);
    });

    it("reverts with MaxRateTooHigh one unit above the limit", async function () {
      const { model } = await loadFixture(modelFixture);
      await expect(deploy(MAX_RATE + 1n, 0n, 0n, KINK))
        .to.be.revertedWithCustomError(model, "MaxRateTooHigh")
        .withArgs(MAX_RATE + 1n, MAX_RATE);
      // 0 + 2L * 0.5 + 2 * 0.5 = L + 1
      await expect(deploy(0n, 2n * MAX_RATE, 2n, WAD / 2n))
        .to.be.revertedWithCustomError(model, "MaxRateTooHigh")
        .withArgs(MAX_RATE + 1n, MAX_RATE);
    });

    it("reverts with MaxRateTooHigh for a too steep slope above the kink", async function () {
      const { model } = await loadFixture(modelFixture);
      // 1e9 + 4e10 * 0.8 + 2e12 * 0.2 = 1e9 + 3.2e10 + 4e11
      await expect(deploy(BASE, SLOPE_BELOW, 2_000_000_000_000n, KINK))
        .to.be.revertedWithCustomError(model, "MaxRateTooHigh")
        .withArgs(433_000_000_000n, MAX_RATE);
    });

    it("reports a saturated maximum rate instead of overflowing", async function () {
      const { model } = await loadFixture(modelFixture);
      await expect(
        deploy(ethers.MaxUint256, ethers.MaxUint256, ethers.MaxUint256, KINK),
      )
        .to.be.revertedWithCustomError(model, "MaxRateTooHigh")
        .withArgs(ethers.MaxUint256, MAX_RATE);
    });
  });

  describe("utilization", function () {
    const cases: PointCases = [
      {
        title: "is 0 with no borrows, including an empty pool",
        points: [
          [0n, 0n, 0n],
          [1_000n, 0n, 0n],
        ],
      },
      {
        title: "is 100% with no cash",
        points: [
          [0n, 1n, WAD],
          [0n, 123_456_789n, WAD],
        ],
      },
      {
        title: "is borrows / (cash + borrows), rounded down",
        points: [
          [60n, 40n, 400_000_000_000_000_000n],
          [1n, 2n, 666_666_666_666_666_666n],
          [2n, 1n, 333_333_333_333_333_333n],
          [10n ** 30n, 3n * 10n ** 30n, 750_000_000_000_000_000n],
        ],
      },
    ];
    itAnswers(
      cases,
      (model, cash, borrows) => model.utilization(cash, borrows),
      modelFixture,
    );
  });

  describe("borrowRatePerSecond", function () {
    const cases: PointCases = [
      {
        title: "is the base rate at 0% utilization",
        points: [
          [0n, 0n, BASE],
          [1_000_000n, 0n, BASE],
        ],
      },
      {
        title: "follows the lower slope below the kink",
        points: [
          // u = 40%: 1e9 + 4e10 * 0.4
          [60n, 40n, 17_000_000_000n],
          // u = 333333333333333333: 1e9 + floor(4e10 * 333333333333333333 / 1e18) = 1e9 + 13333333333
          [2n, 1n, 14_333_333_333n],
        ],
      },
      {
        title: "is base + slopeBelow * kink at the kink",
        // u = 80%: 1e9 + 4e10 * 0.8
        points: [[20n, 80n, 33_000_000_000n]],
      },
      {
        title: "adds the steeper slope above the kink",
        points: [
          // u = 90%: 3.3e10 + 3e11 * 0.1
          [1n, 9n, 63_000_000_000n],
          // u = 857142857142857142: 3.3e10 + floor(3e11 * 57142857142857142 / 1e18) = 3.3e10 + 17142857142
          [1n, 6n, 50_142_857_142n],
        ],
      },
    ];
    itAnswers(
      cases,
      (model, cash, borrows) => model.borrowRatePerSecond(cash, borrows),
      modelFixture,
    );

    it("is the maximum rate at 100% utilization", async function () {
      const { model } = await loadFixture(modelFixture);
      // u = 100%: 3.3e10 + 3e11 * 0.2
      expect(await model.borrowRatePerSecond(0n, 5_000n)).to.equal(
        93_000_000_000n,
      );
      expect(await model.maxRatePerSecond()).to.equal(93_000_000_000n);
    });

    it("matches the reference formula on pseudo-random balances and parameters", async function () {
      // The reference formula is poolMath's (utilizationE18, kinkedBorrowRatePerSecond).
      const rng = makeRng(0x9e3779b97f4a7c15n);
      for (let i = 0; i < 4; i++) {
        const kink = 1n + (rng(64n) % (WAD - 1n));
        const base = rng(64n) % (MAX_RATE / 4n);
        const below = rng(64n) % (MAX_RATE / 2n);
        const above = rng(64n) % (MAX_RATE / 4n);
        const model = await deploy(base, below, above, kink);
        for (let j = 0; j < 12; j++) {
          const cash = j % 4 === 0 ? 0n : rng(96n);
          const borrows = j % 5 === 0 ? 0n : rng(96n);
          expect(await model.utilization(cash, borrows)).to.equal(
            utilizationE18(cash, borrows),
          );
          expect(await model.borrowRatePerSecond(cash, borrows)).to.equal(
            kinkedBorrowRatePerSecond(
              {
                baseRatePerSecondE18: base,
                slopeBelowKinkPerSecondE18: below,
                slopeAboveKinkPerSecondE18: above,
                kinkE18: kink,
              },
              cash,
              borrows,
            ),
          );
        }
      }
    });
  });

  describe("borrowRateAtUtilization", function () {
    it("matches the hand-computed rates", async function () {
      const { model } = await loadFixture(modelFixture);
      expect(await model.borrowRateAtUtilization(0n)).to.equal(BASE);
      expect(
        await model.borrowRateAtUtilization(400_000_000_000_000_000n),
      ).to.equal(17_000_000_000n);
      expect(await model.borrowRateAtUtilization(KINK)).to.equal(
        33_000_000_000n,
      );
      expect(await model.borrowRateAtUtilization(KINK + 1n)).to.equal(
        33_000_000_000n,
      ); // 3e11 * 1e-18 -> 0
      expect(
        await model.borrowRateAtUtilization(900_000_000_000_000_000n),
      ).to.equal(63_000_000_000n);
      expect(await model.borrowRateAtUtilization(WAD)).to.equal(
        93_000_000_000n,
      );
    });

    it("is non-decreasing in utilization and never above the maximum", async function () {
      const { model } = await loadFixture(modelFixture);
      let previous = 0n;
      for (let u = 0n; u <= WAD; u += WAD / 40n) {
        const rate = await model.borrowRateAtUtilization(u);
        expect(rate).to.be.gte(previous);
        expect(rate).to.be.lte(93_000_000_000n);
        previous = rate;
      }
    });

    it("reverts with UtilizationOutOfRange above 100%", async function () {
      const { model } = await loadFixture(modelFixture);
      await expect(model.borrowRateAtUtilization(WAD + 1n))
        .to.be.revertedWithCustomError(model, "UtilizationOutOfRange")
        .withArgs(WAD + 1n);
    });
  });

  describe("realistic parameters", function () {
    it("gives the expected APRs for a 0% / 4% at 80% / +60% above kink model", async function () {
      const below = (5n * WAD) / 100n / YEAR; // 5% APR per 100% utilization: 4% APR at 80%
      const above = (300n * WAD) / 100n / YEAR; // 300% APR per 100% utilization: +60% over the last 20%
      const model = await deploy(0n, below, above, KINK);
      expect(below).to.equal(1_585_489_599n);
      expect(above).to.equal(95_129_375_951n);
      // APR at the kink ~ 4%, at 100% ~ 64%, within the per-second rounding (< 1e-10 APR).
      const rateAtKink = await model.borrowRateAtUtilization(KINK);
      const rateAtMax = await model.maxRatePerSecond();
      expect(rateAtKink).to.equal(1_268_391_679n); // floor(1585489599 * 0.8)
      expect(rateAtMax).to.equal(20_294_266_869n); // + floor(95129375951 * 0.2)
      const aprAtKink = rateAtKink * YEAR;
      const aprAtMax = rateAtMax * YEAR;
      expect(aprAtKink).to.be.closeTo((4n * WAD) / 100n, 10n ** 8n);
      expect(aprAtMax).to.be.closeTo((64n * WAD) / 100n, 10n ** 8n);
    });
  });
});
