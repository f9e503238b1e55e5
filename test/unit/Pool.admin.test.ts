import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { MockERC20, MockPriceOracle } from "../../typechain-types";
import type { CollateralParamsStruct } from "../../typechain-types/contracts/Pool";
import type { PoolConfigStruct } from "../../typechain-types/contracts/PoolFactory";
import { deployPool, priceE36, units } from "../helpers/fixtures";
import type { CollateralSetup, PoolFixture } from "../helpers/fixtures";
import { totalsOf } from "../helpers/chainReads";
import { DEFAULT_LIQUIDATION_PARAMS, supplyAndBorrow } from "../helpers/setup";
import {
  accrue,
  healthFactorDown,
  interestOf,
} from "../../keepers/src/model/poolMath";

const E18 = 10n ** 18n;
const UINT128_MAX = 2n ** 128n - 1n;

interface ParamsInput {
  ltvBps: bigint;
  liquidationThresholdBps: bigint;
  liquidationBonusBps: bigint;
  supplyCap?: bigint;
  enabled?: boolean;
}

/** The risk parameters of a collateral: LTV, liquidation threshold and liquidation bonus, in basis points. */
function riskParams(
  ltvBps: bigint,
  liquidationThresholdBps: bigint,
  liquidationBonusBps: bigint,
): ParamsInput {
  return { ltvBps, liquidationThresholdBps, liquidationBonusBps };
}

function collateralParams(
  oracle: string,
  input: ParamsInput,
): CollateralParamsStruct {
  return {
    oracle,
    ltvBps: input.ltvBps,
    liquidationThresholdBps: input.liquidationThresholdBps,
    liquidationBonusBps: input.liquidationBonusBps,
    supplyCap: input.supplyCap ?? UINT128_MAX,
    enabled: input.enabled ?? true,
  };
}

/**
 * Collateral params priced by collateral 0's oracle, with `risk` (by default LTV 70%, threshold 80%, bonus 5%: within
 * every bound), the largest supply cap and enabled.
 */
async function paramsWithOracle0(
  collaterals: readonly CollateralSetup[],
  risk: ParamsInput = riskParams(7_000n, 8_000n, 500n),
): Promise<CollateralParamsStruct> {
  return collateralParams(await collaterals[0].oracle.getAddress(), risk);
}

/** The tuple form of a CollateralParams struct, as event arguments are compared. */
function asTuple(
  params: CollateralParamsStruct,
): [string, bigint, bigint, bigint, bigint, boolean] {
  return [
    params.oracle as string,
    BigInt(params.ltvBps),
    BigInt(params.liquidationThresholdBps),
    BigInt(params.liquidationBonusBps),
    BigInt(params.supplyCap),
    params.enabled as boolean,
  ];
}

async function newToken(
  decimals: number,
  name = "New Collateral",
): Promise<MockERC20> {
  return ethers.deployContract("MockERC20", [name, "NEW", decimals]);
}

async function newOracle(price: bigint): Promise<MockPriceOracle> {
  const oracle = await ethers.deployContract("MockPriceOracle");
  await oracle.setPrice(price);
  return oracle;
}

// ------------------------------------------------------------------ fixtures

async function baseFixture(): Promise<PoolFixture> {
  return deployPool();
}

/** Rate 1e9 per second (set before any borrow); lp0 deposits 2,000, borrower0 borrows exactly 1,000. */
const RATE = 1_000_000_000n;
async function borrowedFixture(): Promise<PoolFixture & { start: bigint }> {
  const fx = await deployPool({ ratePerSecondE18: RATE });
  const [lp0] = fx.lps;
  const borrower = fx.borrowers[0];
  await fx.pool.connect(lp0).deposit(units(2_000, 18), lp0.address);
  await supplyAndBorrow(fx, borrower, units(10, 18), units(1_000, 18));
  return { ...fx, start: await fx.pool.lastAccrualTimestamp() };
}

/**
 * Paused pool with something for every never-paused entry point to act on:
 * borrower0 healthy (10 COL0, owes 1,000), borrower1 liquidatable (1 COL0 at 1,800, owes 1,500: HF 0.96),
 * borrower2 socializable (1 COL1 worth 0, owes 1,000), and lp0's 100,000 deposit.
 */
async function pausedFixture() {
  const fx = await deployPool({
    collateralDecimals: [18, 18],
    collateralPrices: [2_000, 2_000],
  });
  const { pool, lps, borrowers, collaterals, guardian } = fx;
  const col0 = await collaterals[0].token.getAddress();
  const col1 = await collaterals[1].token.getAddress();
  await pool.connect(lps[0]).deposit(units(100_000, 18), lps[0].address);
  const [healthy, liquidatable, socializable] = borrowers;
  await supplyAndBorrow(fx, healthy, units(10, 18), units(1_000, 18));
  await supplyAndBorrow(fx, liquidatable, units(1, 18), units(1_500, 18));
  await supplyAndBorrow(fx, socializable, [0n, units(1, 18)], units(1_000, 18));
  await collaterals[0].oracle.setPrice(priceE36(1_800, 18, 18));
  await collaterals[1].oracle.setPrice(1n);
  await pool.connect(guardian).setPaused(true);
  return { ...fx, col0, col1 };
}
type PausedFixture = Awaited<ReturnType<typeof pausedFixture>>;

// ------------------------------------------------------------------ tests

describe("Pool: admin", function () {
  describe("constructor validation (through the factory)", function () {
    async function configFor(
      fx: PoolFixture,
      overrides: Partial<PoolConfigStruct>,
    ): Promise<PoolConfigStruct> {
      return {
        loanAsset: await fx.loanToken.getAddress(),
        name: "Mutual Pool X",
        symbol: "mpX",
        owner: fx.owner.address,
        guardian: fx.guardian.address,
        rateModel: await fx.rateModel.getAddress(),
        reserveFactorBps: 1_000n,
        liquidationParams: DEFAULT_LIQUIDATION_PARAMS,
        ...overrides,
      };
    }
    const SALT = ethers.id("admin-tests");

    it("rejects 5- and 19-decimal loan assets with UnsupportedDecimals and accepts 6 and 18", async function () {
      const fx = await loadFixture(baseFixture);
      for (const decimals of [5, 19]) {
        const token = await newToken(decimals, `Loan ${decimals}`);
        const config = await configFor(fx, {
          loanAsset: await token.getAddress(),
        });
        await expect(fx.factory.createPool(config, SALT))
          .to.be.revertedWithCustomError(fx.pool, "UnsupportedDecimals")
          .withArgs(await token.getAddress(), decimals);
      }
      for (const decimals of [6, 18]) {
        const token = await newToken(decimals, `Loan ${decimals}`);
        const config = await configFor(fx, {
          loanAsset: await token.getAddress(),
        });
        await expect(fx.factory.createPool(config, SALT)).to.emit(
          fx.factory,
          "PoolCreated",
        );
      }
    });

    it("the Pool constructor itself rejects a 19-decimal loan asset", async function () {
      const fx = await loadFixture(baseFixture);
      const token = await newToken(19);
      const poolFactory = await ethers.getContractFactory("Pool");
      await expect(
        poolFactory.deploy(
          await token.getAddress(),
          "n",
          "s",
          fx.owner.address,
          fx.guardian.address,
          await fx.rateModel.getAddress(),
          0n,
          DEFAULT_LIQUIDATION_PARAMS,
        ),
      )
        .to.be.revertedWithCustomError(fx.pool, "UnsupportedDecimals")
        .withArgs(await token.getAddress(), 19);
    });

    it("rejects a zero rate model with ZeroAddress", async function () {
      const fx = await loadFixture(baseFixture);
      const config = await configFor(fx, { rateModel: ethers.ZeroAddress });
      await expect(
        fx.factory.createPool(config, SALT),
      ).to.be.revertedWithCustomError(fx.pool, "ZeroAddress");
    });

    it("rejects a reserve factor above 50% with InvalidReserveFactor and accepts exactly 50%", async function () {
      const fx = await loadFixture(baseFixture);
      await expect(
        fx.factory.createPool(
          await configFor(fx, { reserveFactorBps: 5_001n }),
          SALT,
        ),
      )
        .to.be.revertedWithCustomError(fx.pool, "InvalidReserveFactor")
        .withArgs(5_001n, 5_000n);
      await expect(
        fx.factory.createPool(
          await configFor(fx, { reserveFactorBps: 5_000n }),
          SALT,
        ),
      ).to.emit(fx.factory, "PoolCreated");
    });

    it("rejects a close factor of 0 or above 100% with InvalidCloseFactor", async function () {
      const fx = await loadFixture(baseFixture);
      for (const closeFactorBps of [0n, 10_001n]) {
        const config = await configFor(fx, {
          liquidationParams: { ...DEFAULT_LIQUIDATION_PARAMS, closeFactorBps },
        });
        await expect(fx.factory.createPool(config, SALT))
          .to.be.revertedWithCustomError(fx.pool, "InvalidCloseFactor")
          .withArgs(closeFactorBps);
      }
      const edge = await configFor(fx, {
        liquidationParams: {
          ...DEFAULT_LIQUIDATION_PARAMS,
          closeFactorBps: 10_000n,
        },
      });
      await expect(fx.factory.createPool(edge, SALT)).to.emit(
        fx.factory,
        "PoolCreated",
      );
    });

    it("rejects a full-liquidation health factor above 1e18 with InvalidFullLiquidationHealthFactor", async function () {
      const fx = await loadFixture(baseFixture);
      const config = await configFor(fx, {
        liquidationParams: {
          ...DEFAULT_LIQUIDATION_PARAMS,
          fullLiquidationHealthFactor: E18 + 1n,
        },
      });
      await expect(fx.factory.createPool(config, SALT))
        .to.be.revertedWithCustomError(
          fx.pool,
          "InvalidFullLiquidationHealthFactor",
        )
        .withArgs(E18 + 1n);
      const edge = await configFor(fx, {
        liquidationParams: {
          ...DEFAULT_LIQUIDATION_PARAMS,
          fullLiquidationHealthFactor: E18,
        },
      });
      await expect(fx.factory.createPool(edge, SALT)).to.emit(
        fx.factory,
        "PoolCreated",
      );
    });
  });

  describe("listCollateral", function () {
    it("lists a collateral, stores its params and emits CollateralListed", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const token = await newToken(8);
      const oracle = await newOracle(priceE36(60_000, 18, 8));
      const params = collateralParams(await oracle.getAddress(), {
        ltvBps: 7_000n,
        liquidationThresholdBps: 7_800n,
        liquidationBonusBps: 750n,
        supplyCap: units(500, 8),
        enabled: true,
      });
      await expect(
        pool.connect(owner).listCollateral(await token.getAddress(), params),
      )
        .to.emit(pool, "CollateralListed")
        .withArgs(await token.getAddress(), asTuple(params));
      expect(await pool.collaterals()).to.deep.equal([
        await collaterals[0].token.getAddress(),
        await token.getAddress(),
      ]);
      expect(
        asTuple(await pool.collateralParams(await token.getAddress())),
      ).to.deep.equal(asTuple(params));
      expect(await pool.totalCollateral(await token.getAddress())).to.equal(0n);
    });

    it("reverts with ZeroAddress for a zero collateral", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const params = await paramsWithOracle0(collaterals);
      await expect(
        pool.connect(owner).listCollateral(ethers.ZeroAddress, params),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
    });

    it("reverts with InvalidCollateral for the loan asset and for the pool itself", async function () {
      const { pool, owner, loanToken, collaterals } =
        await loadFixture(baseFixture);
      const params = await paramsWithOracle0(collaterals);
      for (const address of [
        await loanToken.getAddress(),
        await pool.getAddress(),
      ]) {
        await expect(pool.connect(owner).listCollateral(address, params))
          .to.be.revertedWithCustomError(pool, "InvalidCollateral")
          .withArgs(address);
      }
    });

    it("reverts with CollateralAlreadyListed for a listed collateral", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const token = await collaterals[0].token.getAddress();
      const params = await paramsWithOracle0(collaterals);
      await expect(pool.connect(owner).listCollateral(token, params))
        .to.be.revertedWithCustomError(pool, "CollateralAlreadyListed")
        .withArgs(token);
    });

    it("lists up to 8 collaterals and reverts with TooManyCollaterals(8) at the 9th", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const params = await paramsWithOracle0(collaterals);
      // The fixture listed one; seven more make eight.
      for (let i = 0; i < 7; i++) {
        const token = await newToken(18, `Extra ${i}`);
        await pool
          .connect(owner)
          .listCollateral(await token.getAddress(), params);
      }
      expect((await pool.collaterals()).length).to.equal(8);
      const ninth = await newToken(18, "Ninth");
      await expect(
        pool.connect(owner).listCollateral(await ninth.getAddress(), params),
      )
        .to.be.revertedWithCustomError(pool, "TooManyCollaterals")
        .withArgs(8n);
    });

    it("reverts with UnsupportedDecimals for 5- and 19-decimal collateral and accepts 6 and 18", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const params = await paramsWithOracle0(collaterals);
      for (const decimals of [5, 19]) {
        const token = await newToken(decimals);
        await expect(
          pool.connect(owner).listCollateral(await token.getAddress(), params),
        )
          .to.be.revertedWithCustomError(pool, "UnsupportedDecimals")
          .withArgs(await token.getAddress(), decimals);
      }
      for (const decimals of [6, 18]) {
        const token = await newToken(decimals);
        await expect(
          pool.connect(owner).listCollateral(await token.getAddress(), params),
        ).to.emit(pool, "CollateralListed");
      }
    });

    it("validates the params (ZeroAddress oracle, LiquidationDoesNotImproveHealth)", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const token = await newToken(18);
      await expect(
        pool
          .connect(owner)
          .listCollateral(
            await token.getAddress(),
            collateralParams(
              ethers.ZeroAddress,
              riskParams(7_000n, 8_000n, 500n),
            ),
          ),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
      await expect(
        pool
          .connect(owner)
          .listCollateral(
            await token.getAddress(),
            await paramsWithOracle0(
              collaterals,
              riskParams(8_000n, 9_000n, 1_200n),
            ),
          ),
      )
        .to.be.revertedWithCustomError(pool, "LiquidationDoesNotImproveHealth")
        .withArgs(9_000n, 1_200n);
      expect(await pool.collaterals()).to.have.length(1);
    });
  });

  describe("setCollateralParams and the parameter bounds", function () {
    it("emits CollateralParamsUpdated with the old and new params and stores the new ones", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const token = await collaterals[0].token.getAddress();
      const oldParams = await paramsWithOracle0(
        collaterals,
        riskParams(7_500n, 8_000n, 500n),
      );
      expect(asTuple(await pool.collateralParams(token))).to.deep.equal(
        asTuple(oldParams),
      );
      const otherOracle = await newOracle(priceE36(1_999, 18, 18));
      const newParams = collateralParams(await otherOracle.getAddress(), {
        ltvBps: 6_000n,
        liquidationThresholdBps: 7_000n,
        liquidationBonusBps: 1_000n,
        supplyCap: units(12_345, 18),
        enabled: false,
      });
      await expect(pool.connect(owner).setCollateralParams(token, newParams))
        .to.emit(pool, "CollateralParamsUpdated")
        .withArgs(token, asTuple(oldParams), asTuple(newParams));
      expect(asTuple(await pool.collateralParams(token))).to.deep.equal(
        asTuple(newParams),
      );
    });

    it("reverts with CollateralNotListed for an unlisted collateral", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      const token = await newToken(18);
      await expect(
        pool
          .connect(owner)
          .setCollateralParams(
            await token.getAddress(),
            await paramsWithOracle0(collaterals),
          ),
      )
        .to.be.revertedWithCustomError(pool, "CollateralNotListed")
        .withArgs(await token.getAddress());
    });

    // Each bound at its edge (accepted) and one past it (rejected). threshold × (1e4 + bonus) must stay < 1e8.
    const accepted: { name: string; p: ParamsInput }[] = [
      {
        name: "threshold at the 9,500 cap (9,500 × 10,000 = 95,000,000)",
        p: riskParams(9_499n, 9_500n, 0n),
      },
      {
        name: "LTV one below the threshold",
        p: riskParams(7_999n, 8_000n, 500n),
      },
      {
        name: "LTV 0",
        p: riskParams(0n, 1n, 0n),
      },
      {
        name: "bonus at the 2,000 cap (8,333 × 12,000 = 99,996,000)",
        p: riskParams(8_000n, 8_333n, 2_000n),
      },
      {
        name: "8,900 × 11,200 = 99,680,000",
        p: riskParams(8_000n, 8_900n, 1_200n),
      },
      {
        name: "9,000 × 11,111 = 99,999,000",
        p: riskParams(8_000n, 9_000n, 1_111n),
      },
      {
        name: "9,500 × 10,526 = 99,997,000",
        p: riskParams(9_000n, 9_500n, 526n),
      },
    ];
    for (const { name, p } of accepted) {
      it(`accepts ${name}`, async function () {
        const { pool, owner, collaterals } = await loadFixture(baseFixture);
        const token = await collaterals[0].token.getAddress();
        const params = await paramsWithOracle0(collaterals, p);
        await expect(
          pool.connect(owner).setCollateralParams(token, params),
        ).to.emit(pool, "CollateralParamsUpdated");
        expect(asTuple(await pool.collateralParams(token))).to.deep.equal(
          asTuple(params),
        );
      });
    }

    const rejected: {
      name: string;
      p: ParamsInput;
      error: string;
      args: bigint[];
    }[] = [
      {
        name: "threshold 9,501",
        p: riskParams(9_000n, 9_501n, 0n),
        error: "InvalidLiquidationThreshold",
        args: [9_501n, 9_500n],
      },
      {
        name: "LTV equal to the threshold",
        p: riskParams(8_000n, 8_000n, 500n),
        error: "InvalidLtv",
        args: [8_000n, 8_000n],
      },
      {
        name: "LTV above the threshold",
        p: riskParams(8_001n, 8_000n, 500n),
        error: "InvalidLtv",
        args: [8_001n, 8_000n],
      },
      {
        name: "threshold 0 (LTV 0 is not below it)",
        p: riskParams(0n, 0n, 0n),
        error: "InvalidLtv",
        args: [0n, 0n],
      },
      {
        name: "bonus 2,001 (8,000 × 12,001 < 1e8, so only the cap fails)",
        p: riskParams(7_000n, 8_000n, 2_001n),
        error: "InvalidLiquidationBonus",
        args: [2_001n, 2_000n],
      },
      {
        name: "9,000 × 11,200 = 100,800,000",
        p: riskParams(8_000n, 9_000n, 1_200n),
        error: "LiquidationDoesNotImproveHealth",
        args: [9_000n, 1_200n],
      },
      {
        name: "9,000 × 11,112 = 100,008,000",
        p: riskParams(8_000n, 9_000n, 1_112n),
        error: "LiquidationDoesNotImproveHealth",
        args: [9_000n, 1_112n],
      },
      {
        name: "9,500 × 10,527 = 100,006,500",
        p: riskParams(9_000n, 9_500n, 527n),
        error: "LiquidationDoesNotImproveHealth",
        args: [9_500n, 527n],
      },
      {
        name: "8,334 × 12,000 = 100,008,000",
        p: riskParams(8_000n, 8_334n, 2_000n),
        error: "LiquidationDoesNotImproveHealth",
        args: [8_334n, 2_000n],
      },
    ];
    for (const { name, p, error, args } of rejected) {
      it(`rejects ${name} with ${error}`, async function () {
        const { pool, owner, collaterals } = await loadFixture(baseFixture);
        const token = await collaterals[0].token.getAddress();
        const params = await paramsWithOracle0(collaterals, p);
        await expect(pool.connect(owner).setCollateralParams(token, params))
          .to.be.revertedWithCustomError(pool, error)
          .withArgs(...args);
      });
    }

    it("rejects a zero oracle with ZeroAddress", async function () {
      const { pool, owner, collaterals } = await loadFixture(baseFixture);
      await expect(
        pool
          .connect(owner)
          .setCollateralParams(
            await collaterals[0].token.getAddress(),
            collateralParams(
              ethers.ZeroAddress,
              riskParams(7_000n, 8_000n, 500n),
            ),
          ),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
    });

    it("with threshold × (1 + bonus) < 100%, liquidating a just-unhealthy position raises its health", async function () {
      // Defaults 8,000 / 500: 8,000 × 10,500 = 84,000,000 < 1e8. Each repaid unit removes 0.8 × 1.05 = 0.84 of
      // liquidation limit, so a liquidation raises HF when HF > 0.84 and lowers it below.
      const fx = await loadFixture(baseFixture);
      const { pool, lps, borrowers, liquidator, collaterals } = fx;
      const token = await collaterals[0].token.getAddress();
      await pool.connect(lps[0]).deposit(units(10_000, 18), lps[0].address);
      for (const borrower of [borrowers[0], borrowers[1]]) {
        await supplyAndBorrow(fx, borrower, units(1, 18), units(1_500, 18));
      }
      /** `account`'s health factor before and after a liquidation repaying 100 of its debt. */
      async function healthAroundLiquidation(
        account: string,
      ): Promise<{ before: bigint; after: bigint }> {
        const before = await pool.healthFactor(account);
        await pool
          .connect(liquidator)
          .liquidate(account, token, units(100, 18), 0n, liquidator.address);
        return { before, after: await pool.healthFactor(account) };
      }

      // At 1,800: limit 1,440 against 1,500 → HF 0.96 (just unhealthy).
      await collaterals[0].oracle.setPrice(priceE36(1_800, 18, 18));
      const justUnhealthy = await healthAroundLiquidation(borrowers[0].address);
      expect(justUnhealthy.before).to.equal(96n * 10n ** 16n);
      expect(justUnhealthy.after).to.be.greaterThan(justUnhealthy.before);

      // At 1,500: limit 1,200 against 1,500 → HF 0.8 < 0.84: the same partial liquidation lowers it.
      await collaterals[0].oracle.setPrice(priceE36(1_500, 18, 18));
      const deep = await healthAroundLiquidation(borrowers[1].address);
      expect(deep.before).to.equal(8n * 10n ** 17n);
      expect(deep.after).to.be.lessThan(deep.before);
    });
  });

  describe("setReserveFactor, setRateModel, setLiquidationParams, setGuardian", function () {
    it("setReserveFactor accrues at the old factor first, then uses the new one", async function () {
      const fx = await loadFixture(borrowedFixture);
      const { pool, owner, start } = fx;
      // 1,000e18 borrowed × 1e9/s × 1,000 s / 1e18 = 1e15 interest; 10% (old factor) = 1e14 to the reserve.
      await time.setNextBlockTimestamp(start + 1_000n);
      await expect(pool.connect(owner).setReserveFactor(5_000n))
        .to.emit(pool, "InterestAccrued")
        .withArgs(RATE, 10n ** 15n, 10n ** 14n)
        .and.to.emit(pool, "ReserveFactorUpdated")
        .withArgs(1_000n, 5_000n);
      expect(await pool.reserveFactorBps()).to.equal(5_000n);
      expect(await pool.reserveAssets()).to.equal(10n ** 14n);

      // Next 1,000 s on 1,000.001e18: interest 1.000001e15, 50% (new factor) = 5.000005e14.
      await time.setNextBlockTimestamp(start + 2_000n);
      await expect(pool.accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(RATE, 1_000_001_000_000_000n, 500_000_500_000_000n);
      expect(await pool.reserveAssets()).to.equal(
        10n ** 14n + 500_000_500_000_000n,
      );
    });

    it("setReserveFactor rejects above 50% with InvalidReserveFactor", async function () {
      const { pool, owner } = await loadFixture(baseFixture);
      await expect(pool.connect(owner).setReserveFactor(5_001n))
        .to.be.revertedWithCustomError(pool, "InvalidReserveFactor")
        .withArgs(5_001n, 5_000n);
      await expect(pool.connect(owner).setReserveFactor(0n))
        .to.emit(pool, "ReserveFactorUpdated")
        .withArgs(1_000n, 0n);
    });

    it("setRateModel accrues at the old rate first, emits RateModelUpdated, then uses the new model", async function () {
      const fx = await loadFixture(borrowedFixture);
      const { pool, owner, start, rateModel } = fx;
      const newModel = await ethers.deployContract("MockRateModel");
      await newModel.setRatePerSecond(2n * RATE);
      await time.setNextBlockTimestamp(start + 1_000n);
      await expect(
        pool.connect(owner).setRateModel(await newModel.getAddress()),
      )
        .to.emit(pool, "InterestAccrued")
        .withArgs(RATE, 10n ** 15n, 10n ** 14n)
        .and.to.emit(pool, "RateModelUpdated")
        .withArgs(await rateModel.getAddress(), await newModel.getAddress());
      expect(await pool.rateModel()).to.equal(await newModel.getAddress());
      expect(await pool.borrowRatePerSecond()).to.equal(2n * RATE);

      // 1,000.001e18 × 2e9 × 1,000 / 1e18 = 2.000002e15; 10% = 2.000002e14.
      await time.setNextBlockTimestamp(start + 2_000n);
      await expect(pool.accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(2n * RATE, 2_000_002_000_000_000n, 200_000_200_000_000n);
    });

    it("setRateModel rejects the zero address", async function () {
      const { pool, owner } = await loadFixture(baseFixture);
      await expect(
        pool.connect(owner).setRateModel(ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
    });

    it("setLiquidationParams emits the old and new params and validates the bounds", async function () {
      const { pool, owner } = await loadFixture(baseFixture);
      const next = {
        closeFactorBps: 10_000n,
        fullLiquidationHealthFactor: E18,
        dustThresholdAssets: 12_345n,
      };
      await expect(pool.connect(owner).setLiquidationParams(next))
        .to.emit(pool, "LiquidationParamsUpdated")
        .withArgs(
          [
            DEFAULT_LIQUIDATION_PARAMS.closeFactorBps,
            DEFAULT_LIQUIDATION_PARAMS.fullLiquidationHealthFactor,
            0n,
          ],
          [10_000n, E18, 12_345n],
        );
      const stored = await pool.liquidationParams();
      expect([
        stored.closeFactorBps,
        stored.fullLiquidationHealthFactor,
        stored.dustThresholdAssets,
      ]).to.deep.equal([10_000n, E18, 12_345n]);

      for (const closeFactorBps of [0n, 10_001n]) {
        await expect(
          pool.connect(owner).setLiquidationParams({ ...next, closeFactorBps }),
        )
          .to.be.revertedWithCustomError(pool, "InvalidCloseFactor")
          .withArgs(closeFactorBps);
      }
      await expect(
        pool.connect(owner).setLiquidationParams({
          ...next,
          fullLiquidationHealthFactor: E18 + 1n,
        }),
      )
        .to.be.revertedWithCustomError(
          pool,
          "InvalidFullLiquidationHealthFactor",
        )
        .withArgs(E18 + 1n);
      // Lowest accepted values.
      await expect(
        pool.connect(owner).setLiquidationParams({
          closeFactorBps: 1n,
          fullLiquidationHealthFactor: 0n,
          dustThresholdAssets: 0n,
        }),
      )
        .to.emit(pool, "LiquidationParamsUpdated")
        .withArgs([10_000n, E18, 12_345n], [1n, 0n, 0n]);
    });

    it("setGuardian emits GuardianUpdated, moves the pause right and accepts zero", async function () {
      const { pool, owner, guardian, others } = await loadFixture(baseFixture);
      const next = others[0];
      await expect(pool.connect(owner).setGuardian(next.address))
        .to.emit(pool, "GuardianUpdated")
        .withArgs(guardian.address, next.address);
      expect(await pool.guardian()).to.equal(next.address);
      await expect(pool.connect(guardian).setPaused(true))
        .to.be.revertedWithCustomError(pool, "NotGuardian")
        .withArgs(guardian.address);
      await expect(pool.connect(next).setPaused(true))
        .to.emit(pool, "PausedUpdated")
        .withArgs(next.address, false, true);

      await expect(pool.connect(owner).setGuardian(ethers.ZeroAddress))
        .to.emit(pool, "GuardianUpdated")
        .withArgs(next.address, ethers.ZeroAddress);
      await expect(pool.connect(next).setPaused(false))
        .to.be.revertedWithCustomError(pool, "NotGuardian")
        .withArgs(next.address);
      // The owner can always pause and unpause.
      await expect(pool.connect(owner).setPaused(false))
        .to.emit(pool, "PausedUpdated")
        .withArgs(owner.address, true, false);
    });
  });

  describe("ownership", function () {
    it("transfers ownership in two steps (Ownable2Step)", async function () {
      const { pool, owner, others } = await loadFixture(baseFixture);
      const [next, stranger] = others;
      await expect(pool.connect(owner).transferOwnership(next.address))
        .to.emit(pool, "OwnershipTransferStarted")
        .withArgs(owner.address, next.address);
      expect(await pool.owner()).to.equal(owner.address);
      expect(await pool.pendingOwner()).to.equal(next.address);

      await expect(pool.connect(stranger).acceptOwnership())
        .to.be.revertedWithCustomError(pool, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
      // The pending owner has no rights yet.
      await expect(pool.connect(next).setReserveFactor(0n))
        .to.be.revertedWithCustomError(pool, "OwnableUnauthorizedAccount")
        .withArgs(next.address);

      await expect(pool.connect(next).acceptOwnership())
        .to.emit(pool, "OwnershipTransferred")
        .withArgs(owner.address, next.address);
      expect(await pool.owner()).to.equal(next.address);
      expect(await pool.pendingOwner()).to.equal(ethers.ZeroAddress);

      await expect(pool.connect(owner).setReserveFactor(0n))
        .to.be.revertedWithCustomError(pool, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
      await expect(pool.connect(next).setReserveFactor(0n))
        .to.emit(pool, "ReserveFactorUpdated")
        .withArgs(1_000n, 0n);
    });

    const adminCalls: {
      name: string;
      call: (
        fx: PoolFixture,
        caller: HardhatEthersSigner,
      ) => Promise<ContractTransactionResponse>;
    }[] = [
      {
        name: "listCollateral",
        call: async (fx, caller) => {
          const token = await newToken(18);
          return fx.pool
            .connect(caller)
            .listCollateral(
              await token.getAddress(),
              await paramsWithOracle0(fx.collaterals),
            );
        },
      },
      {
        name: "setCollateralParams",
        call: async (fx, caller) =>
          fx.pool
            .connect(caller)
            .setCollateralParams(
              await fx.collaterals[0].token.getAddress(),
              await paramsWithOracle0(fx.collaterals),
            ),
      },
      {
        name: "setReserveFactor",
        call: (fx, caller) => fx.pool.connect(caller).setReserveFactor(0n),
      },
      {
        name: "setRateModel",
        call: async (fx, caller) =>
          fx.pool.connect(caller).setRateModel(await fx.rateModel.getAddress()),
      },
      {
        name: "setLiquidationParams",
        call: (fx, caller) =>
          fx.pool
            .connect(caller)
            .setLiquidationParams(DEFAULT_LIQUIDATION_PARAMS),
      },
      {
        name: "setGuardian",
        call: (fx, caller) =>
          fx.pool.connect(caller).setGuardian(caller.address),
      },
      {
        name: "withdrawReserve",
        call: (fx, caller) =>
          fx.pool.connect(caller).withdrawReserve(1n, caller.address),
      },
      {
        name: "transferOwnership",
        call: (fx, caller) =>
          fx.pool.connect(caller).transferOwnership(caller.address),
      },
      {
        name: "renounceOwnership",
        call: (fx, caller) => fx.pool.connect(caller).renounceOwnership(),
      },
    ];
    for (const { name, call } of adminCalls) {
      it(`${name} is owner-only (OwnableUnauthorizedAccount for the guardian, an LP and a stranger)`, async function () {
        const fx = await loadFixture(baseFixture);
        for (const caller of [fx.guardian, fx.lps[0], fx.others[0]]) {
          await expect(call(fx, caller))
            .to.be.revertedWithCustomError(
              fx.pool,
              "OwnableUnauthorizedAccount",
            )
            .withArgs(caller.address);
        }
      });
    }
  });

  describe("setPaused", function () {
    it("the guardian and the owner may pause and unpause, emitting PausedUpdated", async function () {
      const { pool, owner, guardian } = await loadFixture(baseFixture);
      expect(await pool.paused()).to.equal(false);
      await expect(pool.connect(guardian).setPaused(true))
        .to.emit(pool, "PausedUpdated")
        .withArgs(guardian.address, false, true);
      expect(await pool.paused()).to.equal(true);
      await expect(pool.connect(owner).setPaused(false))
        .to.emit(pool, "PausedUpdated")
        .withArgs(owner.address, true, false);
      expect(await pool.paused()).to.equal(false);
      await expect(pool.connect(owner).setPaused(true))
        .to.emit(pool, "PausedUpdated")
        .withArgs(owner.address, false, true);
      await expect(pool.connect(guardian).setPaused(false))
        .to.emit(pool, "PausedUpdated")
        .withArgs(guardian.address, true, false);
    });

    it("anyone else reverts with NotGuardian(caller)", async function () {
      const { pool, lps, borrowers, others } = await loadFixture(baseFixture);
      for (const caller of [lps[0], borrowers[0], others[0]]) {
        await expect(pool.connect(caller).setPaused(true))
          .to.be.revertedWithCustomError(pool, "NotGuardian")
          .withArgs(caller.address);
      }
    });
  });

  describe("pause matrix", function () {
    it("the fixture is set up: borrower1 liquidatable, borrower2 worth nothing, pool paused", async function () {
      const { pool, borrowers } = await loadFixture(pausedFixture);
      expect(await pool.paused()).to.equal(true);
      // 1 COL0 at 1,800 × 80% = 1,440 against 1,500 of debt.
      expect(await pool.healthFactor(borrowers[1].address)).to.equal(
        healthFactorDown(units(1_440, 18), units(1_500, 18)),
      );
      expect(
        (await pool.accountLiquidity(borrowers[2].address)).collateralValue,
      ).to.equal(0n);
    });

    const blocked: {
      name: string;
      call: (fx: PausedFixture) => Promise<ContractTransactionResponse>;
    }[] = [
      {
        name: "deposit",
        call: (fx) =>
          fx.pool.connect(fx.lps[1]).deposit(E18, fx.lps[1].address),
      },
      {
        name: "depositWithMinShares",
        call: (fx) =>
          fx.pool
            .connect(fx.lps[1])
            .depositWithMinShares(E18, fx.lps[1].address, 0n),
      },
      {
        name: "mint",
        call: (fx) =>
          fx.pool.connect(fx.lps[1]).mint(10n ** 24n, fx.lps[1].address),
      },
      {
        name: "mintWithMaxAssets",
        call: (fx) =>
          fx.pool
            .connect(fx.lps[1])
            .mintWithMaxAssets(
              10n ** 24n,
              fx.lps[1].address,
              ethers.MaxUint256,
            ),
      },
      {
        name: "borrow",
        call: (fx) =>
          fx.pool.connect(fx.borrowers[0]).borrow(E18, fx.borrowers[0].address),
      },
      {
        name: "supplyCollateral",
        call: (fx) =>
          fx.pool
            .connect(fx.borrowers[0])
            .supplyCollateral(fx.col0, E18, fx.borrowers[0].address),
      },
    ];
    for (const { name, call } of blocked) {
      it(`paused: ${name} reverts with Paused()`, async function () {
        const fx = await loadFixture(pausedFixture);
        await expect(call(fx)).to.be.revertedWithCustomError(fx.pool, "Paused");
      });
    }

    const allowed: {
      name: string;
      event: string;
      call: (fx: PausedFixture) => Promise<ContractTransactionResponse>;
    }[] = [
      {
        name: "repay",
        event: "Repay",
        call: (fx) =>
          fx.pool
            .connect(fx.borrowers[0])
            .repay(units(100, 18), fx.borrowers[0].address),
      },
      {
        name: "liquidate",
        event: "Liquidate",
        call: (fx) =>
          fx.pool
            .connect(fx.liquidator)
            .liquidate(
              fx.borrowers[1].address,
              fx.col0,
              ethers.MaxUint256,
              0n,
              fx.liquidator.address,
            ),
      },
      {
        name: "socializeBadDebt",
        event: "BadDebtRealized",
        call: (fx) =>
          fx.pool
            .connect(fx.liquidator)
            .socializeBadDebt(fx.borrowers[2].address),
      },
      {
        name: "withdraw",
        event: "Withdraw",
        call: (fx) =>
          fx.pool
            .connect(fx.lps[0])
            .withdraw(units(1_000, 18), fx.lps[0].address, fx.lps[0].address),
      },
      {
        name: "withdrawWithMaxShares",
        event: "Withdraw",
        call: (fx) =>
          fx.pool
            .connect(fx.lps[0])
            .withdrawWithMaxShares(
              units(1_000, 18),
              fx.lps[0].address,
              fx.lps[0].address,
              ethers.MaxUint256,
            ),
      },
      {
        name: "redeem",
        event: "Withdraw",
        call: (fx) =>
          fx.pool
            .connect(fx.lps[0])
            .redeem(10n ** 27n, fx.lps[0].address, fx.lps[0].address),
      },
      {
        name: "redeemWithMinAssets",
        event: "Withdraw",
        call: (fx) =>
          fx.pool
            .connect(fx.lps[0])
            .redeemWithMinAssets(
              10n ** 27n,
              fx.lps[0].address,
              fx.lps[0].address,
              0n,
            ),
      },
      {
        name: "withdrawCollateral",
        event: "WithdrawCollateral",
        call: (fx) =>
          fx.pool
            .connect(fx.borrowers[0])
            .withdrawCollateral(fx.col0, E18, fx.borrowers[0].address),
      },
      {
        name: "donateToReserve",
        event: "ReserveDonated",
        call: (fx) => fx.pool.connect(fx.lps[1]).donateToReserve(E18),
      },
    ];
    for (const { name, event, call } of allowed) {
      it(`paused: ${name} still succeeds (${event})`, async function () {
        const fx = await loadFixture(pausedFixture);
        await expect(call(fx)).to.emit(fx.pool, event);
        expect(await fx.pool.paused()).to.equal(true);
      });
    }

    it("paused: accrueInterest and withdrawReserve still succeed", async function () {
      const fx = await loadFixture(pausedFixture);
      await fx.pool.connect(fx.lps[1]).donateToReserve(E18);
      await expect(fx.pool.connect(fx.others[0]).accrueInterest()).to.not.be
        .reverted;
      await expect(
        fx.pool.connect(fx.owner).withdrawReserve(E18, fx.owner.address),
      )
        .to.emit(fx.pool, "ReserveWithdrawn")
        .withArgs(fx.owner.address, E18);
    });

    it("unpausing restores deposit, mint, borrow and supplyCollateral", async function () {
      const fx = await loadFixture(pausedFixture);
      await fx.pool.connect(fx.guardian).setPaused(false);
      for (const { call } of blocked) {
        await expect(call(fx)).to.not.be.reverted;
      }
    });
  });

  describe("supplyCollateral", function () {
    it("credits onBehalf and emits SupplyCollateral", async function () {
      const { pool, borrowers, collaterals } = await loadFixture(baseFixture);
      const token = await collaterals[0].token.getAddress();
      const [payer, beneficiary] = borrowers;
      await expect(
        pool
          .connect(payer)
          .supplyCollateral(token, units(3, 18), beneficiary.address),
      )
        .to.emit(pool, "SupplyCollateral")
        .withArgs(payer.address, beneficiary.address, token, units(3, 18));
      expect(await pool.collateralOf(beneficiary.address, token)).to.equal(
        units(3, 18),
      );
      expect(await pool.collateralOf(payer.address, token)).to.equal(0n);
      expect(await pool.totalCollateral(token)).to.equal(units(3, 18));
    });

    it("reverts with ZeroAmount and with ZeroAddress for a zero onBehalf", async function () {
      const { pool, borrowers, collaterals } = await loadFixture(baseFixture);
      const token = await collaterals[0].token.getAddress();
      await expect(
        pool
          .connect(borrowers[0])
          .supplyCollateral(token, 0n, borrowers[0].address),
      ).to.be.revertedWithCustomError(pool, "ZeroAmount");
      await expect(
        pool
          .connect(borrowers[0])
          .supplyCollateral(token, E18, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
    });

    it("reverts with CollateralNotListed for an unlisted token", async function () {
      const { pool, borrowers } = await loadFixture(baseFixture);
      const token = await newToken(18);
      await token.mint(borrowers[0].address, E18);
      await token.connect(borrowers[0]).approve(await pool.getAddress(), E18);
      await expect(
        pool
          .connect(borrowers[0])
          .supplyCollateral(
            await token.getAddress(),
            E18,
            borrowers[0].address,
          ),
      )
        .to.be.revertedWithCustomError(pool, "CollateralNotListed")
        .withArgs(await token.getAddress());
    });

    it("reverts with CollateralDisabled for a disabled collateral, which can still be withdrawn", async function () {
      const { pool, owner, borrowers, collaterals } =
        await loadFixture(baseFixture);
      const token = await collaterals[0].token.getAddress();
      await pool
        .connect(borrowers[0])
        .supplyCollateral(token, E18, borrowers[0].address);
      await pool.connect(owner).setCollateralParams(
        token,
        await paramsWithOracle0(collaterals, {
          ...riskParams(7_500n, 8_000n, 500n),
          enabled: false,
        }),
      );
      await expect(
        pool
          .connect(borrowers[0])
          .supplyCollateral(token, E18, borrowers[0].address),
      )
        .to.be.revertedWithCustomError(pool, "CollateralDisabled")
        .withArgs(token);
      await expect(
        pool
          .connect(borrowers[0])
          .withdrawCollateral(token, E18, borrowers[0].address),
      )
        .to.emit(pool, "WithdrawCollateral")
        .withArgs(borrowers[0].address, borrowers[0].address, token, E18);
    });

    it("reverts with SupplyCapExceeded(collateral, totalSupplied, cap) past the cap and fills it exactly", async function () {
      const { pool, owner, borrowers, collaterals } =
        await loadFixture(baseFixture);
      const token = await collaterals[0].token.getAddress();
      const cap = units(100, 18);
      await pool.connect(owner).setCollateralParams(
        token,
        await paramsWithOracle0(collaterals, {
          ...riskParams(7_500n, 8_000n, 500n),
          supplyCap: cap,
        }),
      );
      await expect(
        pool
          .connect(borrowers[0])
          .supplyCollateral(token, cap + 1n, borrowers[0].address),
      )
        .to.be.revertedWithCustomError(pool, "SupplyCapExceeded")
        .withArgs(token, cap + 1n, cap);
      await pool
        .connect(borrowers[0])
        .supplyCollateral(token, units(60, 18), borrowers[0].address);
      // The cap counts every account's collateral together.
      await expect(
        pool
          .connect(borrowers[1])
          .supplyCollateral(token, units(41, 18), borrowers[1].address),
      )
        .to.be.revertedWithCustomError(pool, "SupplyCapExceeded")
        .withArgs(token, units(101, 18), cap);
      await expect(
        pool
          .connect(borrowers[1])
          .supplyCollateral(token, units(40, 18), borrowers[1].address),
      ).to.emit(pool, "SupplyCollateral");
      expect(await pool.totalCollateral(token)).to.equal(cap);
      await expect(
        pool
          .connect(borrowers[1])
          .supplyCollateral(token, 1n, borrowers[1].address),
      )
        .to.be.revertedWithCustomError(pool, "SupplyCapExceeded")
        .withArgs(token, cap + 1n, cap);
    });
  });

  describe("accrueInterest", function () {
    it("is permissionless and emits InterestAccrued with hand-checked figures", async function () {
      const fx = await loadFixture(borrowedFixture);
      const { pool, others, start } = fx;
      const stored = await totalsOf(fx.pool);
      // 1,000e18 × 1e9/s × 1,000 s / 1e18 = 1e15 interest; 10% reserve factor → 1e14 to the reserve.
      await time.setNextBlockTimestamp(start + 1_000n);
      await expect(pool.connect(others[0]).accrueInterest())
        .to.emit(pool, "InterestAccrued")
        .withArgs(RATE, 10n ** 15n, 10n ** 14n);
      expect(interestOf(units(1_000, 18), RATE, 1_000n, 1_000n)).to.deep.equal({
        interest: 10n ** 15n,
        reserveShare: 10n ** 14n,
      });
      expect(await pool.lastAccrualTimestamp()).to.equal(start + 1_000n);
      expect(await pool.totalBorrowAssets()).to.equal(
        units(1_000, 18) + 10n ** 15n,
      );
      expect(await pool.reserveAssets()).to.equal(10n ** 14n);
      expect(await pool.totalAssets()).to.equal(
        units(2_000, 18) + 9n * 10n ** 14n,
      );
      expect(await totalsOf(fx.pool)).to.deep.equal(
        accrue(stored, RATE, 1_000n, 1_000n),
      );
    });

    it("without borrows it only moves the accrual timestamp and emits nothing", async function () {
      const { pool, others, lps } = await loadFixture(baseFixture);
      await pool.connect(lps[0]).deposit(units(1_000, 18), lps[0].address);
      const next = BigInt(await time.latest()) + 500n;
      await time.setNextBlockTimestamp(next);
      await expect(pool.connect(others[0]).accrueInterest()).to.not.emit(
        pool,
        "InterestAccrued",
      );
      expect(await pool.lastAccrualTimestamp()).to.equal(next);
      expect(await pool.totalAssets()).to.equal(units(1_000, 18));
    });

    it("at a zero rate it emits nothing and changes no total", async function () {
      const fx = await loadFixture(borrowedFixture);
      const { pool, rateModel } = fx;
      await rateModel.setRatePerSecond(0n);
      const before = await totalsOf(fx.pool);
      // Changing the model's rate does not accrue the pool: the next accrual prices the whole gap since the
      // borrow (including the second before the change) at the rate it reads then, 0.
      await expect(pool.accrueInterest()).to.not.emit(pool, "InterestAccrued");
      expect(await totalsOf(fx.pool)).to.deep.equal(before);
    });
  });
});
