import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as model from "../../keepers/src/model/poolMath";
import type { MathHarness } from "../../typechain-types";

/**
 * SharesMath and RiskMath against the TypeScript model, on random inputs: the model is the one copy of the formulas
 * that the keeper and the tests rely on, so it must equal the contracts to the wei. Seeded, so a failure reproduces;
 * fast-check prints the seed and the shrunk counterexample.
 */
describe("SharesMath and RiskMath equal the bigint model", () => {
  const RUNS = { numRuns: 250, seed: 20_261_125 };
  const UINT128_MAX = 2n ** 128n - 1n;

  async function harnessFixture() {
    return ethers.deployContract("MathHarness");
  }

  const amount = fc.bigInt({ min: 0n, max: UINT128_MAX });
  const positiveAmount = fc.bigInt({ min: 1n, max: UINT128_MAX });
  // Prices from far below one unit to an 8-decimals collateral worth 1e12 units of an 18-decimals loan asset.
  const priceE36 = fc.bigInt({ min: 1n, max: 10n ** 66n });
  const bonusBps = fc.bigInt({ min: 0n, max: 2_000n });
  const bps = fc.bigInt({ min: 0n, max: 10_000n });

  it("borrow-share conversions: toSharesDown ≤ toSharesUp ≤ toSharesDown + 1, toAssetsUp as modelled", async () => {
    const harness = await loadFixture(harnessFixture);
    await fc.assert(
      fc.asyncProperty(
        amount,
        amount,
        amount,
        async (assets, totalAssets, totalShares) => {
          const down = await harness.toSharesDown(
            assets,
            totalAssets,
            totalShares,
          );
          const up = await harness.toSharesUp(assets, totalAssets, totalShares);
          expect(down).to.equal(
            model.toSharesDown(assets, totalAssets, totalShares),
          );
          expect(up).to.equal(
            model.toSharesUp(assets, totalAssets, totalShares),
          );
          expect(up - down).to.be.oneOf([0n, 1n]);
          const assetsUp = await harness.toAssetsUp(
            assets,
            totalAssets,
            totalShares,
          );
          expect(assetsUp).to.equal(
            model.toAssetsUp(assets, totalAssets, totalShares),
          );
        },
      ),
      RUNS,
    );
  });

  it("valuation and basis points round down (or up where named)", async () => {
    const harness = await loadFixture(harnessFixture);
    await fc.assert(
      fc.asyncProperty(
        amount,
        priceE36,
        bps,
        async (assets, price, basisPoints) => {
          expect(await harness.valueDown(assets, price)).to.equal(
            model.valueDown(assets, price),
          );
          const down = await harness.bpsDown(assets, basisPoints);
          const up = await harness.bpsUp(assets, basisPoints);
          expect(down).to.equal(model.bpsDown(assets, basisPoints));
          expect(up).to.equal(model.bpsUp(assets, basisPoints));
          expect(up - down).to.be.oneOf([0n, 1n]);
        },
      ),
      RUNS,
    );
  });

  it("health factor: max without debt, rounded down otherwise", async () => {
    const harness = await loadFixture(harnessFixture);
    await fc.assert(
      fc.asyncProperty(amount, amount, async (liquidationLimit, debt) => {
        const health = await harness.healthFactorDown(liquidationLimit, debt);
        expect(health).to.equal(model.healthFactorDown(liquidationLimit, debt));
        if (debt > 0n)
          expect(health < model.WAD).to.equal(liquidationLimit < debt);
      }),
      RUNS,
    );
  });

  /** Checks `property` against the harness on random (collateral assets, bonus, price) triples. */
  async function forSeizures(
    property: (harness: MathHarness, assets: bigint, bonus: bigint, price: bigint) => Promise<void>,
  ): Promise<void> {
    const harness = await loadFixture(harnessFixture);
    await fc.assert(
      fc.asyncProperty(amount, bonusBps, priceE36, (assets, bonus, price) => property(harness, assets, bonus, price)),
      RUNS,
    );
  }

  it("seizing favours the pool: the collateral for a repayment rounds down, the repayment for a seizure up", async () => {
    await forSeizures(async (harness, assets, bonus, price) => {
      const seized = await harness.seizedCollateralDown(assets, bonus, price);
      const repaid = await harness.repaidForSeizedUp(assets, bonus, price);
      expect(seized).to.equal(model.seizedCollateralDown(assets, bonus, price));
      expect(repaid).to.equal(model.repaidForSeizedUp(assets, bonus, price));
      // Paying back what a seizure of `seized` costs is never less than what was repaid for it.
      expect(model.repaidForSeizedUp(seized, bonus, price) <= assets).to.equal(true);
    });
  });

  it("recovery: repaidForSeizedDown is the model's, value / (1 + bonus) rounded down, at most one below the rounded-up figure", async () => {
    await forSeizures(async (harness, assets, bonus, price) => {
      const down = await harness.repaidForSeizedDown(assets, bonus, price);
      expect(down).to.equal(model.repaidForSeizedDown(assets, bonus, price));
      const up = model.repaidForSeizedUp(assets, bonus, price);
      expect(up - down).to.be.oneOf([0n, 1n]);
      // Never more than the collateral's value (rounded down): a bonus ≥ 0 only lowers it.
      expect(down <= model.valueDown(assets, price)).to.equal(true);
    });
  });

  it("close factor: the cap is the model's, never above the debt, and lifts to 100% exactly where the model says", async () => {
    const harness = await loadFixture(harnessFixture);
    const inputs = fc
      .record({
        debt: positiveAmount,
        healthFactor: fc.bigInt({ min: 0n, max: 2n * model.WAD }),
        totalCollateralValue: amount,
        seizableShare: bps,
        bonus: bonusBps,
        closeFactor: fc.bigInt({ min: 1n, max: 10_000n }),
        fullLiquidationHealthFactor: fc.bigInt({ min: 0n, max: model.WAD }),
        dust: fc.oneof(
          fc.constant(0n),
          fc.bigInt({ min: 0n, max: 10n ** 20n }),
        ),
      })
      .map((r) => ({
        ...r,
        seizableValue: model.bpsDown(r.totalCollateralValue, r.seizableShare),
      }));
    await fc.assert(
      fc.asyncProperty(inputs, async (r) => {
        const params = {
          closeFactorBps: r.closeFactor,
          fullLiquidationHealthFactor: r.fullLiquidationHealthFactor,
          dustThresholdAssets: r.dust,
        };
        const onChain = await harness.maxRepayUp(
          r.debt,
          r.healthFactor,
          r.totalCollateralValue,
          r.seizableValue,
          r.bonus,
          r.closeFactor,
          r.fullLiquidationHealthFactor,
          r.dust,
        );
        const modelled = model.maxRepayUp(
          r.debt,
          r.healthFactor,
          r.totalCollateralValue,
          r.seizableValue,
          r.bonus,
          params,
        );
        expect(onChain).to.equal(modelled);
        expect(onChain <= r.debt).to.equal(true);
        expect(onChain >= model.bpsUp(r.debt, r.closeFactor)).to.equal(true);
      }),
      RUNS,
    );
  });
});
