import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import * as pm from "../../keepers/src/model/poolMath";
import {
  deployPool,
  priceE36,
  units,
  type CollateralSetup,
  type PoolFixture,
  type PoolFixtureOptions,
} from "../helpers/fixtures";
import {
  liquidationStateOf,
  liquidityOf,
  positionsOf,
  totalsOf,
  type ViewTag,
} from "../helpers/chainReads";
import {
  DEFAULT_LIQUIDATION_PARAMS,
  restoreChainAfterSuite,
  supplyAndBorrow,
} from "../helpers/setup";
import type { Pool } from "../../typechain-types";

// ------------------------------------------------------------------ local helpers

async function healthOf(
  pool: Pool,
  account: string,
  collaterals: readonly CollateralSetup[],
): Promise<bigint> {
  const liquidity = await liquidityOf(pool, account, collaterals);
  return pm.healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
}

interface Expectation {
  totals: pm.PoolTotals;
  liquidity: pm.AccountLiquidity;
  borrowShares: bigint;
  quote: pm.LiquidationQuote | null;
  /** The loss waterfall when the quote realizes bad debt. */
  realization: pm.BadDebtRealization | null;
  sharePriceBefore: bigint;
  sharePriceAfter: bigint;
  totalSupply: bigint;
}

/**
 * What poolMath says `liquidate(borrower, focus, repayAssets, …)` does in the block that `tag` views (`focus`:
 * collateral 0 unless given).
 */
async function expectLiquidation(
  pool: Pool,
  borrower: string,
  collaterals: readonly CollateralSetup[],
  repayAssets: bigint,
  focus: CollateralSetup = collaterals[0],
  tag: ViewTag = "latest",
): Promise<Expectation> {
  const totals = await totalsOf(pool, tag);
  const state = await liquidationStateOf(
    pool,
    borrower,
    collaterals,
    focus,
    totals,
  );
  const { liquidity, borrowShares } = state;
  const quote = pm.quoteLiquidation({ ...state, repayAssets });
  const totalSupply = await pool.totalSupply();
  const shareDecimals = BigInt(await pool.decimals());
  const sharePriceBefore = pm.sharePrice(
    totals.totalLpAssets,
    totalSupply,
    shareDecimals,
  );
  let realization: pm.BadDebtRealization | null = null;
  if (quote !== null && quote.realizesBadDebt) {
    realization = pm.realizeBadDebt(
      {
        ...totals,
        totalBorrowAssets: pm.zeroFloorSub(
          totals.totalBorrowAssets,
          quote.repaidAssets,
        ),
        totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
      },
      borrowShares - quote.repaidShares,
    );
    expect(realization.badDebtAssets).to.equal(quote.badDebtAssets);
  }
  const sharePriceAfter =
    realization === null
      ? sharePriceBefore
      : pm.sharePrice(
          realization.totalsAfter.totalLpAssets,
          totalSupply,
          shareDecimals,
        );
  return {
    totals,
    liquidity,
    borrowShares,
    quote,
    realization,
    sharePriceBefore,
    sharePriceAfter,
    totalSupply,
  };
}

/** The quote, or a test failure if poolMath says the call reverts. */
function must(quote: pm.LiquidationQuote | null): pm.LiquidationQuote {
  if (quote === null) throw new Error("poolMath quotes a revert");
  return quote;
}

/** The expectation's bad-debt realization, or a test failure if poolMath says the call realizes none. */
function mustRealize(e: Expectation): pm.BadDebtRealization {
  if (e.realization === null) throw new Error("expected a realization");
  return e.realization;
}

/** BadDebtRealized's arguments, as poolMath expects them in `e`, for a liquidation of `borrower`. */
function badDebtRealizedArgs(
  borrower: string,
  e: Expectation,
): [string, bigint, bigint, bigint, bigint, bigint] {
  const realization = mustRealize(e);
  return [
    borrower,
    realization.badDebtAssets,
    realization.coveredByReserve,
    realization.socializedAssets,
    e.sharePriceBefore,
    e.sharePriceAfter,
  ];
}

/** poolMath's quote for liquidating `borrower`'s collateral 0 now; a test failure if it says the call reverts. */
async function quoteFor(
  pool: Pool,
  borrower: string,
  collaterals: readonly CollateralSetup[],
  repayAssets: bigint,
): Promise<pm.LiquidationQuote> {
  return must(
    (await expectLiquidation(pool, borrower, collaterals, repayAssets)).quote,
  );
}

/** priceE36 of an 18-decimal collateral against the 18-decimal loan asset, from a decimal string. */
const px = (wholeLoanPerCollateral: string): bigint =>
  ethers.parseUnits(wholeLoanPerCollateral, 36);

/** The default liquidation parameters with another dust threshold (and full-liquidation health factor). */
const liquidationParams = (
  dustThresholdAssets: bigint,
  fullLiquidationHealthFactor = DEFAULT_LIQUIDATION_PARAMS.fullLiquidationHealthFactor,
): pm.LiquidationParams => ({
  ...DEFAULT_LIQUIDATION_PARAMS,
  fullLiquidationHealthFactor,
  dustThresholdAssets,
});

// ------------------------------------------------------------------ fixtures

const LP_DEPOSIT = units(100_000, 18);
const COLLATERAL = units(10, 18);
const DEBT = units(15_000, 18); // the borrow limit of 10 collateral at 2,000 and 75% LTV
const BONUS_BPS = 500n;

/** A fixture with a position to liquidate: `borrower` is borrower 0's address, `collateral` collateral 0's. */
interface PositionFixture extends PoolFixture {
  borrower: string;
  collateral: string;
}

/**
 * A pool deployed with `options`, `lpDeposit` deposited by LP 0, and borrower 0 holding `collateral` (an amount of
 * collateral 0, or one amount per collateral) and owing `debt`.
 */
async function poolWithPosition(
  options: PoolFixtureOptions,
  lpDeposit: bigint,
  collateral: bigint | readonly bigint[],
  debt: bigint,
): Promise<PositionFixture> {
  const fixture = await deployPool(options);
  const { pool, lps, borrowers, collaterals } = fixture;
  await pool.connect(lps[0]).deposit(lpDeposit, lps[0].address);
  await supplyAndBorrow(fixture, borrowers[0], collateral, debt);
  return {
    ...fixture,
    borrower: borrowers[0].address,
    collateral: await collaterals[0].token.getAddress(),
  };
}

/** Collateral 0: 18 decimals at 2,000; collateral 1: 8 decimals at 30,000. */
const TWO_COLLATERALS: PoolFixtureOptions = {
  collateralDecimals: [18, 8],
  collateralPrices: [2_000, 30_000],
};

/** Borrower 0: 10 collateral (18 decimals, price 2,000), owes 15,000 (HF 16,000 / 15,000). Rate 0, dust 0. */
async function borrowedToTheLimit(): Promise<PositionFixture> {
  return poolWithPosition({}, LP_DEPOSIT, COLLATERAL, DEBT);
}

/** Same, but the LPs deposited exactly the 15,000 lent: 100% utilization, no idle cash. */
async function fullyUtilized(): Promise<PositionFixture> {
  return poolWithPosition({}, DEBT, COLLATERAL, DEBT);
}

/**
 * TWO_COLLATERALS, dust threshold 10 loan units. Borrower 0 holds 10 of collateral 0 and 16,667 sats of
 * collateral 1 (worth 5.0001) and owes 15,000.
 */
async function twoCollateralsWithDust(): Promise<PositionFixture> {
  return poolWithPosition(
    { ...TWO_COLLATERALS, dustThresholdAssets: units(10, 18) },
    LP_DEPOSIT,
    [COLLATERAL, 16_667n],
    DEBT,
  );
}

/** TWO_COLLATERALS, dust 0; borrower 0 holds 10 of collateral 0 and 0.1 of collateral 1 (worth 3,000). */
async function twoCollateralsNoDust(): Promise<PositionFixture> {
  return poolWithPosition(
    TWO_COLLATERALS,
    LP_DEPOSIT,
    [COLLATERAL, 10_000_000n],
    DEBT,
  );
}

/**
 * Borrower 0 supplied 1 wei of collateral (worth 2,000 wei) and borrowed 1,000 wei; then the pool's maximum rate
 * ran for a million years in one accrual, so a borrow share is worth ≈ 10 wei and the position is deep underwater.
 */
async function inflatedSharePrice(): Promise<PositionFixture> {
  const fixture = await poolWithPosition({}, LP_DEPOSIT, 1n, 1_000n);
  const { pool, rateModel } = fixture;
  await rateModel.setRatePerSecond(pm.MAX_BORROW_RATE_PER_SECOND_E18);
  await time.setNextBlockTimestamp(
    (await pool.lastAccrualTimestamp()) + 31_536_000_000_000n,
  );
  await pool.accrueInterest();
  await rateModel.setRatePerSecond(0);
  return fixture;
}

/** Dust 1,000 wei. Borrower 0 supplied 1 wei of collateral (worth 2,000 wei) and borrowed 1,500 wei (its limit). */
async function oneWeiPosition(): Promise<PositionFixture> {
  return poolWithPosition(
    { dustThresholdAssets: 1_000n },
    LP_DEPOSIT,
    1n,
    1_500n,
  );
}

/** borrowedToTheLimit + borrower 1 with a small healthy loan (100 collateral, owes 1,000). */
async function twoBorrowers(): Promise<PositionFixture> {
  const fixture = await borrowedToTheLimit();
  await supplyAndBorrow(
    fixture,
    fixture.borrowers[1],
    units(100, 18),
    units(1_000, 18),
  );
  return fixture;
}

// ------------------------------------------------------------------ tests

describe("Pool — liquidation and bad debt", () => {
  // Some fixtures jump the clock a million years ahead: leave the chain as this file found it.
  restoreChainAfterSuite();

  describe("liquidate: reverts", () => {
    it("reverts with PositionHealthy(account, healthFactor) while HF > 1", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      const health = await healthOf(pool, borrower, collaterals);
      // 10 × 2,000 × 80% = 16,000 over 15,000.
      expect(health).to.equal(pm.healthFactorDown(units(16_000, 18), DEBT));
      expect(await pool.healthFactor(borrower)).to.equal(health);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, others[0].address),
      )
        .to.be.revertedWithCustomError(pool, "PositionHealthy")
        .withArgs(borrower, health);
    });

    it("reverts with PositionHealthy at exactly HF = 1e18", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      // 10 × 1,875 × 80% = 15,000 = the debt.
      await collaterals[0].oracle.setPrice(px("1875"));
      expect(await pool.healthFactor(borrower)).to.equal(pm.WAD);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, others[0].address),
      )
        .to.be.revertedWithCustomError(pool, "PositionHealthy")
        .withArgs(borrower, pm.WAD);
      // One step of price below, it is liquidatable.
      await collaterals[0].oracle.setPrice(px("1875") - 1n);
      expect(await pool.healthFactor(borrower)).to.be.lt(pm.WAD);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, 1n, 0n, others[0].address),
      ).to.emit(pool, "Liquidate");
    });

    it("reverts with NoCollateralToSeize(account, collateral)", async () => {
      const { pool, borrowers, liquidator, others, collateral } =
        await loadFixture(borrowedToTheLimit);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrowers[1].address,
            collateral,
            DEBT,
            0n,
            others[0].address,
          ),
      )
        .to.be.revertedWithCustomError(pool, "NoCollateralToSeize")
        .withArgs(borrowers[1].address, collateral);
    });

    it("reverts with NoCollateralToSeize for a collateral the unhealthy borrower does not hold", async () => {
      const { pool, collaterals, liquidator, others, borrower } =
        await loadFixture(twoCollateralsNoDust);
      await collaterals[0].oracle.setPrice(px("1400"));
      const otherToken = await collaterals[1].token.getAddress();
      await pool
        .connect(liquidator)
        .liquidate(
          borrower,
          otherToken,
          units(1_000, 18),
          0n,
          others[0].address,
        );
      expect(await pool.healthFactor(borrower)).to.be.lt(pm.WAD);
      // Seize collateral 1 again and again until none is left, then it has none to seize.
      await pool
        .connect(liquidator)
        .liquidate(borrower, otherToken, DEBT, 0n, others[0].address);
      expect(await pool.collateralOf(borrower, otherToken)).to.equal(0n);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, otherToken, 1n, 0n, others[0].address),
      )
        .to.be.revertedWithCustomError(pool, "NoCollateralToSeize")
        .withArgs(borrower, otherToken);
    });

    it("reverts with ZeroAmount and ZeroAddress (receiver)", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1800"));
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, 0n, 0n, others[0].address),
      ).to.be.revertedWithCustomError(pool, "ZeroAmount");
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(pool, "ZeroAddress");
    });

    it("reverts with SeizedBelowMinimum(seized, minSeized)", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1874.99"));
      const repay = units(1_000, 18);
      const quote = await quoteFor(pool, borrower, collaterals, repay);
      expect(quote.seizedCollateral).to.equal(
        pm.seizedCollateralDown(repay, BONUS_BPS, px("1874.99")),
      );
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrower,
            collateral,
            repay,
            quote.seizedCollateral + 1n,
            others[0].address,
          ),
      )
        .to.be.revertedWithCustomError(pool, "SeizedBelowMinimum")
        .withArgs(quote.seizedCollateral, quote.seizedCollateral + 1n);
      // At exactly the minimum it goes through.
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrower,
            collateral,
            repay,
            quote.seizedCollateral,
            others[0].address,
          ),
      ).to.emit(pool, "Liquidate");
    });

    it("reverts with RepayBelowOneShare(repaid) when the repayment buys no borrow share", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(inflatedSharePrice);
      const expectation = await expectLiquidation(
        pool,
        borrower,
        collaterals,
        1n,
      );
      expect(
        pm.toSharesDown(
          1n,
          expectation.totals.totalBorrowAssets,
          expectation.totals.totalBorrowShares,
        ),
      ).to.equal(0n);
      expect(expectation.quote).to.equal(null);
      expect(await pool.healthFactor(borrower)).to.be.lt(pm.WAD);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, 1n, 0n, others[0].address),
      )
        .to.be.revertedWithCustomError(pool, "RepayBelowOneShare")
        .withArgs(1n);
    });

    it("a collateral whose oracle fails cannot be seized (PriceUnavailable); socialize values it at its last trusted price", async () => {
      const { pool, collaterals, borrowers, liquidator, others } =
        await loadFixture(borrowedToTheLimit);
      const { token, oracle } = collaterals[0];
      const collateral = await token.getAddress();
      // The true price has fallen to 1,400 (HF 0.75) but the feed fails: the pool falls back on the listing price,
      // 2,000, and never seizes at a price it cannot read.
      await oracle.setPrice(px("1400"));
      await oracle.setReverting(true);
      expect((await pool.lastTrustedPrice(collateral)).priceE36).to.equal(
        px("2000"),
      );
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrowers[0].address,
            collateral,
            DEBT,
            0n,
            others[0].address,
          ),
      )
        .to.be.revertedWithCustomError(pool, "PriceUnavailable")
        .withArgs(collateral);
      // 10 collateral at the last trusted 2,000 = 20,000, far above the dust threshold of 0.
      await expect(
        pool.connect(liquidator).socializeBadDebt(borrowers[0].address),
      )
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(borrowers[0].address, units(20_000, 18), 0n);
      // Nothing moved.
      expect(await pool.collateralOf(borrowers[0].address, collateral)).to.equal(
        COLLATERAL,
      );
      expect(await pool.debtOf(borrowers[0].address)).to.equal(DEBT);
    });

    it("an unrelated collateral's failing oracle does not block the liquidation: it counts at its last trusted price", async () => {
      const { pool, collaterals, borrowers, liquidator, others } =
        await loadFixture(twoCollateralsNoDust);
      const borrower = borrowers[0].address;
      const [seized, unrelated] = collaterals;
      const seizedAddress = await seized.token.getAddress();
      // Collateral 1's feed would now say 60,000 (enough to keep the account healthy) but fails: the pool values
      // its 0.1 at the last trusted 30,000 (3,000), with collateral 0 at 1,400 (14,000): limit 13,600 < 15,000.
      await seized.oracle.setPrice(px("1400"));
      await unrelated.oracle.setPrice(priceE36(60_000, 18, 8));
      await unrelated.oracle.setReverting(true);
      const { priceE36: trusted } = await pool.lastTrustedPrice(
        await unrelated.token.getAddress(),
      );
      expect(trusted).to.equal(priceE36(30_000, 18, 8));
      const state = await liquidationStateOf(
        pool,
        borrower,
        collaterals,
        seized,
      );
      const positions = await positionsOf(pool, borrower, collaterals);
      positions[1] = { ...positions[1], priceE36: trusted };
      const liquidity = pm.accountLiquidity(
        positions,
        state.borrowShares,
        state.totalBorrowAssets,
        state.totalBorrowShares,
      );
      expect(liquidity.collateralValue).to.equal(units(17_000, 18));
      const quote = must(
        pm.quoteLiquidation({ ...state, liquidity, repayAssets: DEBT }),
      );
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, seizedAddress, DEBT, 0n, others[0].address),
      )
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          seizedAddress,
          others[0].address,
          quote.repaidAssets,
          quote.repaidShares,
          quote.seizedCollateral,
          0n,
        );
      expect(await pool.collateralOf(borrower, seizedAddress)).to.equal(
        COLLATERAL - quote.seizedCollateral,
      );
    });

    it("a failing feed never makes a healthy account liquidatable: it counts at its last trusted price", async () => {
      const { pool, collaterals, borrowers, liquidator, others } =
        await loadFixture(twoCollateralsNoDust);
      const borrower = borrowers[0].address;
      const [seized, unrelated] = collaterals;
      // Collateral 1's feed breaks after reporting 1 wei per unit; the pool keeps valuing it at 30,000.
      await unrelated.oracle.setPrice(1n);
      await unrelated.oracle.setReverting(true);
      const positions = await positionsOf(pool, borrower, collaterals);
      positions[1] = {
        ...positions[1],
        priceE36: (
          await pool.lastTrustedPrice(await unrelated.token.getAddress())
        ).priceE36,
      };
      const liquidity = pm.accountLiquidity(
        positions,
        await pool.borrowSharesOf(borrower),
        (await totalsOf(pool)).totalBorrowAssets,
        await pool.totalBorrowShares(),
      );
      // (20,000 + 3,000) × 80% = 18,400 over 15,000.
      expect(liquidity.liquidationLimit).to.equal(units(18_400, 18));
      const health = pm.healthFactorDown(liquidity.liquidationLimit, liquidity.debt);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrower,
            await seized.token.getAddress(),
            DEBT,
            0n,
            others[0].address,
          ),
      )
        .to.be.revertedWithCustomError(pool, "PositionHealthy")
        .withArgs(borrower, health);
    });
  });

  describe("liquidate: close factor", () => {
    it("HF just below 1 (≥ 0.95): repays at most bpsUp(debt, 50%) even if more is requested", async () => {
      const { pool, loanToken, collaterals, liquidator, others, borrower } =
        await loadFixture(borrowedToTheLimit);
      const { token, oracle } = collaterals[0];
      const collateral = await token.getAddress();
      const receiver = others[0];
      await oracle.setPrice(px("1874.99"));
      const health = await pool.healthFactor(borrower);
      expect(health)
        .to.be.lt(pm.WAD)
        .and.gte(95n * 10n ** 16n);

      const e = await expectLiquidation(pool, borrower, collaterals, DEBT);
      const quote = must(e.quote);
      expect(quote.repaidAssets).to.equal(pm.bpsUp(DEBT, 5_000n));
      expect(quote.repaidAssets).to.equal(units(7_500, 18));
      expect(quote.seizedCollateral).to.equal(
        pm.seizedCollateralDown(quote.repaidAssets, BONUS_BPS, px("1874.99")),
      );
      expect(quote.realizesBadDebt).to.equal(false);

      const [repaid, seized, badDebt] = await pool
        .connect(liquidator)
        .liquidate.staticCall(borrower, collateral, DEBT, 0n, receiver.address);
      expect([repaid, seized, badDebt]).to.deep.equal([
        quote.repaidAssets,
        quote.seizedCollateral,
        0n,
      ]);

      const tx = pool
        .connect(liquidator)
        .liquidate(borrower, collateral, DEBT, 0n, receiver.address);
      await expect(tx)
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          collateral,
          receiver.address,
          quote.repaidAssets,
          quote.repaidShares,
          quote.seizedCollateral,
          0n,
        );
      await expect(tx).not.to.emit(pool, "BadDebtRealized");
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [liquidator, pool, receiver],
        [-quote.repaidAssets, quote.repaidAssets, 0n],
      );
      await expect(tx).to.changeTokenBalances(
        token,
        [pool, receiver, liquidator],
        [-quote.seizedCollateral, quote.seizedCollateral, 0n],
      );
      expect(await pool.collateralOf(borrower, collateral)).to.equal(
        COLLATERAL - quote.seizedCollateral,
      );
      expect(await pool.totalCollateral(collateral)).to.equal(
        COLLATERAL - quote.seizedCollateral,
      );
      expect(await pool.borrowSharesOf(borrower)).to.equal(
        e.borrowShares - quote.repaidShares,
      );
      expect(await pool.totalBorrowAssets()).to.equal(
        e.totals.totalBorrowAssets - quote.repaidAssets,
      );
      expect(await pool.totalAssets()).to.equal(e.totals.totalLpAssets);
    });

    it("the cap is rounded up: an odd debt's half is bpsUp", async () => {
      const { pool, collaterals, borrowers, liquidator, others } =
        await loadFixture(borrowedToTheLimit);
      const borrower = borrowers[0];
      // Repay 1 wei so that the debt is odd.
      await pool.connect(borrower).repay(units(1, 18) + 1n, borrower.address);
      // Debt 14,999 − 1 wei; 10 × 1,874.8 × 80% = 14,998.4: HF ≈ 0.99996.
      await collaterals[0].oracle.setPrice(px("1874.8"));
      expect(await pool.healthFactor(borrower.address))
        .to.be.lt(pm.WAD)
        .and.gte(95n * 10n ** 16n);
      const e = await expectLiquidation(
        pool,
        borrower.address,
        collaterals,
        DEBT,
      );
      expect(e.liquidity.debt % 2n).to.equal(1n);
      const quote = must(e.quote);
      expect(quote.repaidAssets).to.equal(e.liquidity.debt / 2n + 1n);
      expect(quote.repaidAssets).to.equal(pm.bpsUp(e.liquidity.debt, 5_000n));
      await expect(
        pool
          .connect(liquidator)
          .liquidate(
            borrower.address,
            await collaterals[0].token.getAddress(),
            DEBT,
            0n,
            others[0].address,
          ),
      )
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower.address,
          await collaterals[0].token.getAddress(),
          others[0].address,
          quote.repaidAssets,
          quote.repaidShares,
          quote.seizedCollateral,
          0n,
        );
    });

    it("HF exactly 0.95: still capped at 50%", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      // 10 × 1,781.25 × 80% = 14,250 = 0.95 × 15,000.
      await collaterals[0].oracle.setPrice(px("1781.25"));
      expect(await pool.healthFactor(borrower)).to.equal(95n * 10n ** 16n);
      const quote = await quoteFor(pool, borrower, collaterals, DEBT);
      expect(quote.repaidAssets).to.equal(units(7_500, 18));
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, others[0].address),
      )
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          collateral,
          others[0].address,
          units(7_500, 18),
          quote.repaidShares,
          quote.seizedCollateral,
          0n,
        );
      expect(await pool.debtOf(borrower)).to.equal(units(7_500, 18));
    });

    it("HF just below 0.95: the whole debt may be repaid at once", async () => {
      const {
        pool,
        loanToken,
        collaterals,
        liquidator,
        others,
        collateral,
        borrower,
      } = await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1781.24"));
      expect(await pool.healthFactor(borrower)).to.be.lt(95n * 10n ** 16n);
      const e = await expectLiquidation(pool, borrower, collaterals, DEBT);
      const quote = must(e.quote);
      expect(quote.repaidAssets).to.equal(DEBT);
      expect(quote.repaidShares).to.equal(e.borrowShares);
      expect(quote.seizedCollateral).to.equal(
        pm.seizedCollateralDown(DEBT, BONUS_BPS, px("1781.24")),
      );
      expect(quote.seizedCollateral).to.be.lt(COLLATERAL);

      const tx = pool
        .connect(liquidator)
        .liquidate(
          borrower,
          collateral,
          ethers.MaxUint256,
          0n,
          others[0].address,
        );
      await expect(tx)
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          collateral,
          others[0].address,
          DEBT,
          e.borrowShares,
          quote.seizedCollateral,
          0n,
        );
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [liquidator, pool],
        [-DEBT, DEBT],
      );
      expect(await pool.debtOf(borrower)).to.equal(0n);
      expect(await pool.borrowSharesOf(borrower)).to.equal(0n);
      // The borrower keeps the rest of its collateral.
      expect(await pool.collateralOf(borrower, collateral)).to.equal(
        COLLATERAL - quote.seizedCollateral,
      );
    });

    it("dust > 0: the whole debt may be repaid when the close factor would leave debt at or below dust", async () => {
      const {
        pool,
        owner,
        collaterals,
        liquidator,
        others,
        collateral,
        borrower,
      } = await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1874.99"));

      // 15,000 − 7,500 = 7,500 left: one wei above the dust → capped.
      await pool
        .connect(owner)
        .setLiquidationParams(liquidationParams(units(7_500, 18) - 1n));
      let quote = await quoteFor(pool, borrower, collaterals, DEBT);
      expect(quote.repaidAssets).to.equal(units(7_500, 18));
      expect(
        (
          await pool
            .connect(liquidator)
            .liquidate.staticCall(
              borrower,
              collateral,
              DEBT,
              0n,
              others[0].address,
            )
        )[0],
      ).to.equal(units(7_500, 18));

      // At the dust → the whole debt.
      await pool
        .connect(owner)
        .setLiquidationParams(liquidationParams(units(7_500, 18)));
      const e = await expectLiquidation(pool, borrower, collaterals, DEBT);
      quote = must(e.quote);
      expect(quote.repaidAssets).to.equal(DEBT);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, others[0].address),
      )
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          collateral,
          others[0].address,
          DEBT,
          e.borrowShares,
          quote.seizedCollateral,
          0n,
        );
      expect(await pool.debtOf(borrower)).to.equal(0n);
    });

    it("dust > 0: the whole debt may be repaid when the close factor would leave collateral at or below dust", async () => {
      const {
        pool,
        owner,
        loanToken,
        collaterals,
        liquidator,
        others,
        borrower,
      } = await loadFixture(borrowedToTheLimit);
      const { token, oracle } = collaterals[0];
      const collateral = await token.getAddress();
      // HF 0.8, but the full-liquidation HF is set to 0 so that only the dust rule can lift the close factor.
      await oracle.setPrice(px("1500"));
      // Collateral 15,000 − the value seized at the cap, bpsUp(7,500, 105%) = 7,875 → 7,125 left.
      const leftAtCap = units(15_000, 18) - pm.bpsUp(units(7_500, 18), 10_500n);
      expect(leftAtCap).to.equal(units(7_125, 18));

      await pool
        .connect(owner)
        .setLiquidationParams(liquidationParams(leftAtCap - 1n, 0n));
      let e = await expectLiquidation(pool, borrower, collaterals, DEBT);
      expect(must(e.quote).repaidAssets).to.equal(units(7_500, 18));

      await pool
        .connect(owner)
        .setLiquidationParams(liquidationParams(leftAtCap, 0n));
      e = await expectLiquidation(pool, borrower, collaterals, DEBT);
      const quote = must(e.quote);
      // The whole debt is allowed; the collateral (10 × 1,500 < 15,000 × 1.05) caps it: all is seized and the
      // liquidator pays repaidForSeizedUp; the residual debt is realized at once.
      expect(quote.seizedCollateral).to.equal(COLLATERAL);
      expect(quote.repaidAssets).to.equal(
        pm.repaidForSeizedUp(COLLATERAL, BONUS_BPS, px("1500")),
      );
      expect(quote.repaidAssets).to.equal(14_285_714_285_714_285_714_286n); // ceil(15,000e18 / 1.05)
      expect(quote.realizesBadDebt).to.equal(true);
      const realization = mustRealize(e);

      const tx = pool
        .connect(liquidator)
        .liquidate(borrower, collateral, DEBT, 0n, others[0].address);
      await expect(tx)
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          collateral,
          others[0].address,
          quote.repaidAssets,
          quote.repaidShares,
          COLLATERAL,
          realization.badDebtAssets,
        );
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [liquidator],
        [-quote.repaidAssets],
      );
      await expect(tx).to.changeTokenBalances(token, [others[0]], [COLLATERAL]);
      expect(await pool.debtOf(borrower)).to.equal(0n);
    });

    it("dust > 0: a partial seizure that would leave debt with only dust collateral reverts with LiquidationLeavesDust", async () => {
      const {
        pool,
        owner,
        collaterals,
        liquidator,
        others,
        collateral,
        borrower,
      } = await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1500"));
      await pool
        .connect(owner)
        .setLiquidationParams(liquidationParams(units(7_125, 18), 0n));
      // Repay 10,000 (allowed: above the close factor) → seize 7 → 3 × 1,500 = 4,500 ≤ dust is left, with debt.
      const repay = units(10_000, 18);
      const e = await expectLiquidation(pool, borrower, collaterals, repay);
      expect(e.quote).to.equal(null);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, repay, 0n, others[0].address),
      )
        .to.be.revertedWithCustomError(pool, "LiquidationLeavesDust")
        .withArgs(units(4_500, 18), units(7_125, 18));
    });
  });

  describe("liquidate: effect on the health factor", () => {
    // threshold × (1 + bonus) = 8,000 × 10,500 / 10,000 = 8,400 bps → 0.84e18.
    const IMPROVEMENT_BOUND = 8_400n * 10n ** 14n;

    it("a just-unhealthy position (HF slightly below 1) becomes healthier", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1874.99"));
      const before = await pool.healthFactor(borrower);
      expect(before).to.be.lt(pm.WAD).and.gt(IMPROVEMENT_BOUND);

      await pool
        .connect(liquidator)
        .liquidate(borrower, collateral, DEBT, 0n, others[0].address);
      const after = await pool.healthFactor(borrower);
      expect(after).to.equal(await healthOf(pool, borrower, collaterals));
      expect(after).to.be.gt(before);
      expect(after).to.be.gt(pm.WAD);
    });

    it("a position between the bound and 0.95 also becomes healthier", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1700")); // HF = 13,600 / 15,000 ≈ 0.9067
      const before = await pool.healthFactor(borrower);
      expect(before)
        .to.be.gt(IMPROVEMENT_BOUND)
        .and.lt(95n * 10n ** 16n);
      await pool
        .connect(liquidator)
        .liquidate(
          borrower,
          collateral,
          units(3_000, 18),
          0n,
          others[0].address,
        );
      expect(await pool.healthFactor(borrower)).to.be.gt(before);
    });

    it("a position below threshold × (1 + bonus) becomes less healthy", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1500")); // HF = 12,000 / 15,000 = 0.8
      const before = await pool.healthFactor(borrower);
      expect(before).to.equal(8n * 10n ** 17n);
      expect(before).to.be.lt(IMPROVEMENT_BOUND);

      await pool
        .connect(liquidator)
        .liquidate(
          borrower,
          collateral,
          units(1_000, 18),
          0n,
          others[0].address,
        );
      const after = await pool.healthFactor(borrower);
      // 9.3 × 1,500 × 80% = 11,160 over 14,000.
      expect(after).to.equal(
        pm.healthFactorDown(units(11_160, 18), units(14_000, 18)),
      );
      expect(after).to.equal(await healthOf(pool, borrower, collaterals));
      expect(after).to.be.lt(before);
    });
  });

  describe("liquidate: atomic mutualization of the residual debt", () => {
    const reserveCases: ReadonlyArray<[string, bigint]> = [
      ["the reserve exceeds the bad debt: LPs lose nothing", units(2_000, 18)],
      ["the reserve covers part of the bad debt", units(1_000, 18)],
      ["there is no reserve", 0n],
    ];
    for (const [label, reserve] of reserveCases) {
      it(`realizes the bad debt when the last collateral is seized — ${label}`, async () => {
        const {
          pool,
          owner,
          loanToken,
          collaterals,
          liquidator,
          others,
          borrower,
        } = await loadFixture(borrowedToTheLimit);
        const { token, oracle } = collaterals[0];
        const collateral = await token.getAddress();
        const receiver = others[0];
        if (reserve > 0n) {
          await expect(pool.connect(owner).donateToReserve(reserve))
            .to.emit(pool, "ReserveDonated")
            .withArgs(owner.address, reserve);
        }
        await oracle.setPrice(px("1400")); // 14,000 of collateral for 15,000 of debt
        const cashBefore = await pool.cash();

        const e = await expectLiquidation(pool, borrower, collaterals, DEBT);
        const quote = must(e.quote);
        const realization = mustRealize(e);
        expect(e.totals.reserveAssets).to.equal(reserve);
        expect(quote.seizedCollateral).to.equal(COLLATERAL);
        expect(quote.repaidAssets).to.equal(13_333_333_333_333_333_333_334n); // ceil(14,000e18 / 1.05)
        // 15,000e18 − 13,333.333…334e18
        expect(realization.badDebtAssets).to.equal(
          1_666_666_666_666_666_666_666n,
        );
        expect(realization.coveredByReserve).to.equal(
          pm.min(reserve, realization.badDebtAssets),
        );
        expect(realization.socializedAssets).to.equal(
          realization.badDebtAssets - realization.coveredByReserve,
        );

        const [repaid, seized, badDebt] = await pool
          .connect(liquidator)
          .liquidate.staticCall(
            borrower,
            collateral,
            DEBT,
            0n,
            receiver.address,
          );
        expect([repaid, seized, badDebt]).to.deep.equal([
          quote.repaidAssets,
          COLLATERAL,
          realization.badDebtAssets,
        ]);

        const tx = pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, receiver.address);
        await expect(tx)
          .to.emit(pool, "BadDebtRealized")
          .withArgs(...badDebtRealizedArgs(borrower, e));
        await expect(tx)
          .to.emit(pool, "Liquidate")
          .withArgs(
            liquidator.address,
            borrower,
            collateral,
            receiver.address,
            quote.repaidAssets,
            quote.repaidShares,
            COLLATERAL,
            realization.badDebtAssets,
          );
        await expect(tx).not.to.emit(pool, "DustCollateralSwept");
        await expect(tx).to.changeTokenBalances(
          loanToken,
          [liquidator, pool, receiver],
          [-quote.repaidAssets, quote.repaidAssets, 0n],
        );
        await expect(tx).to.changeTokenBalances(
          token,
          [pool, receiver],
          [-COLLATERAL, COLLATERAL],
        );

        // Borrow shares burned, borrows down by repaid + bad debt, LP assets down by exactly the socialized part.
        expect(await pool.borrowSharesOf(borrower)).to.equal(0n);
        expect(await pool.debtOf(borrower)).to.equal(0n);
        expect(await pool.totalBorrowShares()).to.equal(
          e.totals.totalBorrowShares - e.borrowShares,
        );
        const after = await totalsOf(pool);
        expect(after).to.deep.equal(realization.totalsAfter);
        expect(after.totalBorrowAssets).to.be.lt(e.totals.totalBorrowAssets);
        expect(after.totalLpAssets).to.equal(
          e.totals.totalLpAssets - realization.socializedAssets,
        );
        expect(after.reserveAssets).to.equal(
          reserve - realization.coveredByReserve,
        );
        expect(await pool.totalSupply()).to.equal(e.totalSupply);
        expect(await pool.cash()).to.equal(cashBefore + quote.repaidAssets);
        expect(await pool.sharePrice()).to.equal(e.sharePriceAfter);
        if (realization.socializedAssets === 0n) {
          expect(e.sharePriceAfter).to.equal(e.sharePriceBefore);
        } else {
          expect(e.sharePriceAfter).to.be.lt(e.sharePriceBefore);
        }
        expect(await pool.collateralOf(borrower, collateral)).to.equal(0n);
        expect(await pool.totalCollateral(collateral)).to.equal(0n);
      });
    }

    it("sweeps another collateral's dust to the receiver (DustCollateralSwept) when dust > 0", async () => {
      const { pool, collaterals, liquidator, others, borrower } =
        await loadFixture(twoCollateralsWithDust);
      const [main, small] = collaterals;
      const mainAddress = await main.token.getAddress();
      const smallAddress = await small.token.getAddress();
      const receiver = others[0];
      await main.oracle.setPrice(px("1400"));
      // 16,667 sats × 30,000 = 5.0001 loan units ≤ the dust of 10.
      const positions = await positionsOf(pool, borrower, collaterals);
      expect(
        pm.valueDown(positions[1].balance, positions[1].priceE36),
      ).to.equal(5_000_100_000_000_000_000n);

      const e = await expectLiquidation(
        pool,
        borrower,
        collaterals,
        DEBT,
        main,
      );
      const quote = must(e.quote);
      const realization = mustRealize(e);
      expect(quote.seizedCollateral).to.equal(COLLATERAL);
      expect(quote.remainingCollateralValue).to.equal(
        5_000_100_000_000_000_000n,
      );

      const tx = pool
        .connect(liquidator)
        .liquidate(borrower, mainAddress, DEBT, 0n, receiver.address);
      await expect(tx)
        .to.emit(pool, "DustCollateralSwept")
        .withArgs(borrower, smallAddress, receiver.address, 16_667n, false);
      await expect(tx)
        .to.emit(pool, "BadDebtRealized")
        .withArgs(...badDebtRealizedArgs(borrower, e));
      await expect(tx)
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          mainAddress,
          receiver.address,
          quote.repaidAssets,
          quote.repaidShares,
          COLLATERAL,
          realization.badDebtAssets,
        );
      await expect(tx).to.changeTokenBalances(
        small.token,
        [pool, receiver, liquidator],
        [-16_667n, 16_667n, 0n],
      );
      await expect(tx).to.changeTokenBalances(
        main.token,
        [pool, receiver],
        [-COLLATERAL, COLLATERAL],
      );
      expect(await pool.collateralOf(borrower, smallAddress)).to.equal(0n);
      expect(await pool.totalCollateral(smallAddress)).to.equal(0n);
      expect(await pool.debtOf(borrower)).to.equal(0n);
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
    });

    it("capped by the seized balance, the liquidator pays repaidForSeizedUp; other collateral above dust keeps the debt", async () => {
      const { pool, loanToken, collaterals, liquidator, others, borrower } =
        await loadFixture(twoCollateralsNoDust);
      const [main, other] = collaterals;
      const mainAddress = await main.token.getAddress();
      await main.oracle.setPrice(px("1400")); // (14,000 + 3,000) × 80% / 15,000 ≈ 0.907 → full liquidation allowed

      const e = await expectLiquidation(
        pool,
        borrower,
        collaterals,
        DEBT,
        main,
      );
      const quote = must(e.quote);
      expect(quote.seizedCollateral).to.equal(COLLATERAL);
      expect(quote.repaidAssets).to.equal(
        pm.repaidForSeizedUp(COLLATERAL, BONUS_BPS, px("1400")),
      );
      expect(quote.realizesBadDebt).to.equal(false);

      const tx = pool
        .connect(liquidator)
        .liquidate(borrower, mainAddress, DEBT, 0n, others[0].address);
      await expect(tx)
        .to.emit(pool, "Liquidate")
        .withArgs(
          liquidator.address,
          borrower,
          mainAddress,
          others[0].address,
          quote.repaidAssets,
          quote.repaidShares,
          COLLATERAL,
          0n,
        );
      await expect(tx).not.to.emit(pool, "BadDebtRealized");
      await expect(tx).to.changeTokenBalances(
        loanToken,
        [liquidator, pool],
        [-quote.repaidAssets, quote.repaidAssets],
      );
      expect(await pool.debtOf(borrower)).to.equal(
        pm.toAssetsUp(
          e.borrowShares - quote.repaidShares,
          e.totals.totalBorrowAssets - quote.repaidAssets,
          e.totals.totalBorrowShares - quote.repaidShares,
        ),
      );
      expect(
        await pool.collateralOf(borrower, await other.token.getAddress()),
      ).to.equal(10_000_000n);
      expect(await pool.totalAssets()).to.equal(e.totals.totalLpAssets);
    });

    it("works at 100% utilization: no idle cash is needed, with or without bad debt", async () => {
      const { pool, collaterals, liquidator, others, collateral, borrower } =
        await loadFixture(fullyUtilized);
      expect(await pool.cash()).to.equal(0n);
      await collaterals[0].oracle.setPrice(px("1874.99"));
      let quote = await quoteFor(pool, borrower, collaterals, DEBT);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, others[0].address),
      ).to.emit(pool, "Liquidate");
      expect(await pool.cash()).to.equal(quote.repaidAssets);

      // Now insolvent: the rest goes, with bad debt, still needing no cash from the pool.
      await collaterals[0].oracle.setPrice(px("1000"));
      const cashBefore = await pool.cash();
      const e = await expectLiquidation(pool, borrower, collaterals, DEBT);
      quote = must(e.quote);
      expect(quote.realizesBadDebt).to.equal(true);
      await expect(
        pool
          .connect(liquidator)
          .liquidate(borrower, collateral, DEBT, 0n, others[0].address),
      )
        .to.emit(pool, "BadDebtRealized")
        .withArgs(
          borrower,
          quote.badDebtAssets,
          0n,
          quote.badDebtAssets,
          e.sharePriceBefore,
          e.sharePriceAfter,
        );
      expect(await pool.cash()).to.equal(cashBefore + quote.repaidAssets);
      expect(await pool.totalBorrowAssets()).to.equal(0n);
    });

    it("realizes debt including the interest accrued up to the liquidation", async () => {
      const {
        pool,
        rateModel,
        collaterals,
        borrowers,
        liquidator,
        others,
        collateral,
      } = await loadFixture(twoBorrowers);
      const [insolvent, healthy] = borrowers;
      await collaterals[0].oracle.setPrice(px("1400"));
      const stored = await totalsOf(pool); // rate 0 so far: the views are the stored figures
      const withoutInterest = await expectLiquidation(
        pool,
        insolvent.address,
        collaterals,
        DEBT,
      );

      const rate = 30_000_000_000n; // ≈ 95% a year
      await rateModel.setRatePerSecond(rate);
      const elapsed = 30n * 24n * 3600n;
      const last = await pool.lastAccrualTimestamp();
      await time.setNextBlockTimestamp(last + elapsed);
      const accrued = pm.accrue(stored, rate, elapsed, 1_000n);
      expect(await totalsOf(pool, "pending")).to.deep.equal(accrued);

      const e = await expectLiquidation(
        pool,
        insolvent.address,
        collaterals,
        DEBT,
        collaterals[0],
        "pending",
      );
      const quote = must(e.quote);
      const realization = mustRealize(e);
      expect(e.totals).to.deep.equal(accrued);
      // Same collateral, same repayment: all the extra debt is bad debt.
      expect(quote.repaidAssets).to.equal(
        must(withoutInterest.quote).repaidAssets,
      );
      expect(realization.badDebtAssets).to.be.gt(
        must(withoutInterest.quote).badDebtAssets,
      );
      expect(
        realization.badDebtAssets - must(withoutInterest.quote).badDebtAssets,
      ).to.equal(e.liquidity.debt - withoutInterest.liquidity.debt);
      // The reserve's cut of the interest is the first loss.
      expect(realization.coveredByReserve).to.equal(accrued.reserveAssets);

      const expectedInterest = pm.interestOf(
        stored.totalBorrowAssets,
        rate,
        elapsed,
        1_000n,
      );
      const tx = pool
        .connect(liquidator)
        .liquidate(insolvent.address, collateral, DEBT, 0n, others[0].address);
      await expect(tx)
        .to.emit(pool, "InterestAccrued")
        .withArgs(
          rate,
          expectedInterest.interest,
          expectedInterest.reserveShare,
        );
      await expect(tx)
        .to.emit(pool, "BadDebtRealized")
        .withArgs(...badDebtRealizedArgs(insolvent.address, e));
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      expect(await pool.debtOf(insolvent.address)).to.equal(0n);

      // No interest accrues on a realized debt, while the healthy borrower keeps paying.
      const healthyDebt = await pool.debtOf(healthy.address);
      await time.increase(365 * 24 * 3600);
      await pool.accrueInterest();
      expect(await pool.debtOf(insolvent.address)).to.equal(0n);
      expect(await pool.borrowSharesOf(insolvent.address)).to.equal(0n);
      expect(await pool.debtOf(healthy.address)).to.be.gt(healthyDebt);
    });
  });

  describe("socializeBadDebt", () => {
    it("reverts with NoDebt(account)", async () => {
      const { pool, borrowers, liquidator } =
        await loadFixture(borrowedToTheLimit);
      await expect(
        pool.connect(liquidator).socializeBadDebt(borrowers[1].address),
      )
        .to.be.revertedWithCustomError(pool, "NoDebt")
        .withArgs(borrowers[1].address);
    });

    it("reverts with CollateralAboveDust(account, collateralValue, dust)", async () => {
      const { pool, collaterals, borrowers, liquidator } =
        await loadFixture(borrowedToTheLimit);
      await collaterals[0].oracle.setPrice(px("1400"));
      await expect(
        pool.connect(liquidator).socializeBadDebt(borrowers[0].address),
      )
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(borrowers[0].address, units(14_000, 18), 0n);
    });

    it("realizes a 1-wei-collateral account worth exactly the dust threshold, paying the dust to the caller; CollateralCoversDebt while solvent", async () => {
      const { pool, owner, collaterals, others, borrower } =
        await loadFixture(oneWeiPosition);
      const { token, oracle } = collaterals[0];
      const collateral = await token.getAddress();
      const caller = others[1];

      // With dust 2,000 the collateral (2,000 wei) is dust but still covers the 1,500 wei debt: not bad debt.
      await pool.connect(owner).setLiquidationParams(liquidationParams(2_000n));
      expect(
        pm.canSocialize(
          {
            collateralValue: 2_000n,
            borrowLimit: 0n,
            liquidationLimit: 0n,
            debt: 1_500n,
          },
          2_000n,
        ),
      ).to.equal(false);
      await expect(pool.connect(caller).socializeBadDebt(borrower))
        .to.be.revertedWithCustomError(pool, "CollateralCoversDebt")
        .withArgs(borrower, 2_000n, 1_500n);

      // The price halves: 1,000 wei of collateral for 1,500 of debt; the dust threshold is exactly 1,000.
      await oracle.setPrice(px("1000"));
      await pool.connect(owner).setLiquidationParams(liquidationParams(999n));
      await expect(pool.connect(caller).socializeBadDebt(borrower))
        .to.be.revertedWithCustomError(pool, "CollateralAboveDust")
        .withArgs(borrower, 1_000n, 999n);
      await pool.connect(owner).setLiquidationParams(liquidationParams(1_000n));

      const totals = await totalsOf(pool);
      const liquidity = await liquidityOf(pool, borrower, collaterals, totals);
      expect(liquidity.collateralValue).to.equal(1_000n);
      expect(liquidity.debt).to.equal(1_500n);
      expect(pm.canSocialize(liquidity, 1_000n)).to.equal(true);
      const shares = await pool.borrowSharesOf(borrower);
      const realization = pm.realizeBadDebt(totals, shares);
      expect(realization.badDebtAssets).to.equal(1_500n);
      const supply = await pool.totalSupply();
      const decimals = BigInt(await pool.decimals());

      expect(
        await pool.connect(caller).socializeBadDebt.staticCall(borrower),
      ).to.equal(1_500n);
      const tx = pool.connect(caller).socializeBadDebt(borrower);
      await expect(tx)
        .to.emit(pool, "BadDebtRealized")
        .withArgs(
          borrower,
          1_500n,
          0n,
          1_500n,
          pm.sharePrice(totals.totalLpAssets, supply, decimals),
          pm.sharePrice(
            realization.totalsAfter.totalLpAssets,
            supply,
            decimals,
          ),
        );
      await expect(tx)
        .to.emit(pool, "DustCollateralSwept")
        .withArgs(borrower, collateral, caller.address, 1n, false);
      // The write-off records the live price it valued the account at as the collateral's trusted price.
      await expect(tx)
        .to.emit(pool, "LastTrustedPriceUpdated")
        .withArgs(collateral, px("1000"));
      expect(await pool.lastTrustedPrice(collateral)).to.deep.equal([
        px("1000"),
        BigInt(await time.latest()),
      ]);
      await expect(tx).to.changeTokenBalances(token, [pool, caller], [-1n, 1n]);
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      expect(await pool.debtOf(borrower)).to.equal(0n);
      expect(await pool.collateralOf(borrower, collateral)).to.equal(0n);
    });

    it("with dust 0, an account whose collateral is worth 0 still counts (at-or-below rule)", async () => {
      const { pool, collaterals, others, borrower } =
        await loadFixture(borrowedToTheLimit);
      const { token, oracle } = collaterals[0];
      const caller = others[1];
      // A price of 1e-36 loan units per unit: 10e18 units are worth 0 (rounded down).
      await oracle.setPrice(1n);
      const totals = await totalsOf(pool);
      const liquidity = await liquidityOf(pool, borrower, collaterals, totals);
      expect(liquidity.collateralValue).to.equal(0n);
      expect((await pool.liquidationParams()).dustThresholdAssets).to.equal(0n);
      const realization = pm.realizeBadDebt(
        totals,
        await pool.borrowSharesOf(borrower),
      );
      expect(realization.badDebtAssets).to.equal(DEBT);

      const tx = pool.connect(caller).socializeBadDebt(borrower);
      await expect(tx)
        .to.emit(pool, "BadDebtRealized")
        .withArgs(
          borrower,
          DEBT,
          0n,
          DEBT,
          pm.sharePrice(totals.totalLpAssets, await pool.totalSupply(), 24n),
          pm.sharePrice(
            realization.totalsAfter.totalLpAssets,
            await pool.totalSupply(),
            24n,
          ),
        );
      await expect(tx)
        .to.emit(pool, "DustCollateralSwept")
        .withArgs(
          borrower,
          await token.getAddress(),
          caller.address,
          COLLATERAL,
          false,
        );
      expect(await totalsOf(pool)).to.deep.equal(realization.totalsAfter);
      expect(await pool.totalAssets()).to.equal(LP_DEPOSIT - DEBT);
    });
  });
});
