import { expect } from "chai";
import { ethers } from "ethers";
import {
  MAX_TRUSTED_PRICE_AGE,
  WAD,
  bookPrice,
  bpsDown,
  repaidForSeizedDown,
  repaidForSeizedUp,
  valueDown,
} from "../../keepers/src/model/poolMath";
import type { AccountSnapshot, PoolSnapshot } from "../../keepers/src/positions";
import { accountOf, closeQuoteFor, quoteFor } from "../../keepers/src/positions";
import {
  batches,
  isMaterialChange,
  isRecognitionThreshold,
  parseRecognitionThreshold,
  thresholdAssets,
} from "../../keepers/src/recognition";
import { isTransientRpcError } from "../../keepers/src/rpc";
import {
  CLOSE_SEIZED_VALUE_TOLERANCE_BPS,
  decide,
  gasCostInLoanAssets,
  loanAssetsInWei,
  GAS_UNITS_ESTIMATE,
} from "../../keepers/src/strategy";
import {
  DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS,
  DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS,
  deviatesBeyond,
  deviationBps,
  refreshReason,
} from "../../keepers/src/trustedPrices";

const LOAN_DECIMALS = 6;
const usd = (amount: string | number): bigint => ethers.parseUnits(String(amount), LOAN_DECIMALS);
/** priceE36 of a whole collateral with `decimals` worth `dollars` whole loan units. */
const price = (dollars: number, decimals: number): bigint =>
  (BigInt(dollars) * 10n ** 36n * 10n ** BigInt(LOAN_DECIMALS)) / 10n ** BigInt(decimals);

/** The snapshot block's timestamp; both trusted prices were stored at it. */
const NOW = 1_800_000_000n;

/** Two collaterals: A (18 decimals, bonus 5%) and B (8 decimals, bonus 8%); borrow index 1:1 (shares = assets × 1e6). */
function poolAt(prices: [number, number], dust = usd(5)): PoolSnapshot {
  return {
    address: "0x000000000000000000000000000000000000p001".replace("p", "0"),
    loanAsset: "0x0000000000000000000000000000000000000002",
    loanDecimals: LOAN_DECIMALS,
    shareDecimals: 12n,
    liquidationParams: {
      closeFactorBps: 5_000n,
      fullLiquidationHealthFactor: 95n * 10n ** 16n,
      dustThresholdAssets: dust,
    },
    timestamp: NOW,
    totalBorrowAssets: usd(1_000_000),
    totalBorrowShares: usd(1_000_000) * 10n ** 6n,
    collaterals: [
      {
        address: "0x00000000000000000000000000000000000000aa",
        oracle: "0x00000000000000000000000000000000000000a0",
        priceE36: price(prices[0], 18),
        priced: true,
        expired: false,
        trusted: { priceE36: price(prices[0], 18), updatedAt: NOW },
        ltvBps: 7_500n,
        liquidationThresholdBps: 8_000n,
        liquidationBonusBps: 500n,
      },
      {
        address: "0x00000000000000000000000000000000000000bb",
        oracle: "0x00000000000000000000000000000000000000b0",
        priceE36: price(prices[1], 8),
        priced: true,
        expired: false,
        trusted: { priceE36: price(prices[1], 8), updatedAt: NOW },
        ltvBps: 7_500n,
        liquidationThresholdBps: 8_000n,
        liquidationBonusBps: 800n,
      },
    ],
  };
}

function account(pool: PoolSnapshot, debtDollars: number | string, balances: [bigint, bigint]): AccountSnapshot {
  const borrowShares = usd(debtDollars) * 10n ** 6n;
  return accountOf(pool, "0x00000000000000000000000000000000000000cc", borrowShares, balances, 0n);
}

const cheapGas = {
  gasPriceWei: ethers.parseUnits("1", "gwei"),
  nativePriceE18: ethers.parseUnits("3000", 18),
};
const inputs = {
  repayBudget: usd(1_000_000),
  minProfitLoanAssets: 0n,
  fees: cheapGas,
};

describe("keeper strategy (pure, on the pool model)", function () {
  it("picks the collateral with the largest bonus and repays as much as the close factor allows", function () {
    const pool = poolAt([1_000, 10_000]);
    // 5 A (5,000) + 0.5 B (5,000) against 8,600 of debt: health 0.93 < 0.95, so the whole debt may be repaid.
    const decision = decide(
      pool,
      account(pool, 8_600, [ethers.parseUnits("5", 18), ethers.parseUnits("0.5", 8)]),
      inputs,
    );
    expect(decision.kind).to.equal("liquidate");
    if (decision.kind !== "liquidate") return;
    expect(decision.collateral).to.equal(pool.collaterals[1].address); // 8% beats 5% on equal value
    expect(decision.quote.seizedCollateral).to.equal(ethers.parseUnits("0.5", 8));
    expect(decision.quote.repaidAssets).to.equal(4_629_629_630n); // 5,000 / 1.08, rounded up
    expect(decision.gasCostLoanAssets).to.equal(
      gasCostInLoanAssets(GAS_UNITS_ESTIMATE.liquidate, cheapGas, LOAN_DECIMALS),
    );
    expect(decision.expectedProfitLoanAssets).to.equal(decision.quote.bonusValue - decision.gasCostLoanAssets);
  });

  it("socializes an account whose collateral is dust and below its debt, whatever the bonus", function () {
    const pool = poolAt([400, 10_000]);
    const decision = decide(pool, account(pool, 14, [ethers.parseUnits("0.01", 18), 0n]), {
      ...inputs,
      minProfitLoanAssets: usd(1_000),
    });
    expect(decision).to.include({
      kind: "socialize",
      expectedBadDebtAssets: usd(14),
    });
  });

  it("skips a healthy account, an unprofitable one and one the keeper's balance cannot liquidate", function () {
    const pool = poolAt([2_000, 30_000]);
    const healthy = decide(pool, account(pool, 1_000, [ethers.parseUnits("1", 18), 0n]), inputs);
    expect(healthy).to.include({ kind: "skip", reason: "healthy" });

    const crashed = poolAt([1_700, 30_000]);
    const position = account(crashed, 14_000, [ethers.parseUnits("10", 18), 0n]);
    const pricey = decide(crashed, position, {
      ...inputs,
      fees: { ...cheapGas, gasPriceWei: ethers.parseUnits("2000", "gwei") },
    });
    expect(pricey).to.include({ kind: "skip", reason: "unprofitable" });

    // 5.9 of collateral against 5.5 of debt (solvent: 5.9 / 1.05 = 5.62): repaying 1 would leave 4.85 (≤ dust 5)
    // behind, which the pool refuses; only a repayment of the whole debt is allowed, and the budget is too small.
    const nearDust = poolAt([1_000, 30_000], usd(5));
    const small = account(nearDust, "5.5", [ethers.parseUnits("0.0059", 18), 0n]);
    const broke = decide(nearDust, small, { ...inputs, repayBudget: usd(1) });
    expect(broke).to.include({ kind: "skip", action: "liquidate", reason: "insufficient_balance" });
    // 5.5 of collateral against 10 of debt is insolvent: its close repays 5.24, more than the budget.
    const insolvent = decide(nearDust, account(nearDust, 10, [ethers.parseUnits("0.0055", 18), 0n]), {
      ...inputs,
      repayBudget: usd(1),
    });
    expect(insolvent).to.include({ kind: "skip", action: "close", reason: "insufficient_balance" });
  });

  it("closes an insolvent multi-collateral account in one call, each collateral at its bonus, minimum seized value 0.5% under the quote", function () {
    const pool = poolAt([1_000, 10_000]);
    const balances: [bigint, bigint] = [ethers.parseUnits("5", 18), ethers.parseUnits("0.5", 8)];
    // 5,000 + 5,000 of collateral recovers 4,761.90 + 4,629.62 = 9,391.52 < 9,600 of debt.
    const decision = decide(pool, account(pool, 9_600, balances), inputs);
    expect(decision.kind).to.equal("close");
    if (decision.kind !== "close") return;
    const [a, b] = pool.collaterals;
    const repaid = [
      repaidForSeizedUp(balances[0], a.liquidationBonusBps, a.priceE36),
      repaidForSeizedUp(balances[1], b.liquidationBonusBps, b.priceE36),
    ];
    expect(decision.quote.seized).to.deep.equal([
      { assets: balances[0], repaidAssets: repaid[0] },
      { assets: balances[1], repaidAssets: repaid[1] },
    ]);
    expect(decision.quote.repaidAssets).to.equal(repaid[0] + repaid[1]);
    expect(decision.quote.seizedValue).to.equal(usd(10_000));
    expect(decision.minSeizedValue).to.equal(usd(10_000) - bpsDown(usd(10_000), CLOSE_SEIZED_VALUE_TOLERANCE_BPS));
    expect(decision.minSeizedValue).to.equal(usd(9_950));
    expect(decision.quote.realizesBadDebt).to.equal(true);
    expect(decision.quote.badDebtAssets).to.equal(usd(9_600) - repaid[0] - repaid[1]);
    expect(decision.gasUnits).to.equal(GAS_UNITS_ESTIMATE.close + GAS_UNITS_ESTIMATE.closePerExtraCollateral);
    expect(decision.expectedProfitLoanAssets).to.equal(decision.quote.bonusValue - decision.gasCostLoanAssets);

    const pricey = decide(pool, account(pool, 9_600, balances), {
      ...inputs,
      fees: { ...cheapGas, gasPriceWei: ethers.parseUnits("1000000", "gwei") },
    });
    expect(pricey).to.include({ kind: "skip", action: "close", reason: "unprofitable" });
  });

  it("leaves a collateral whose oracle fails escrowed: the close seizes the others, a liquidation never picks it", function () {
    const pool = poolAt([1_000, 10_000]);
    pool.collaterals[1] = { ...pool.collaterals[1], priced: false }; // valued at its last trusted price, 10,000
    const balances: [bigint, bigint] = [ethers.parseUnits("5", 18), ethers.parseUnits("0.5", 8)];
    const close = decide(pool, account(pool, 9_600, balances), inputs);
    expect(close.kind).to.equal("close");
    if (close.kind !== "close") return;
    expect(close.quote.seized.map((seized) => seized.assets)).to.deep.equal([balances[0], 0n]);
    expect(close.quote.seizedValue).to.equal(usd(5_000));
    // 5,000 of escrowed collateral is above dust: the debt left stays, with its shortfall recognized.
    expect(close.quote.realizesBadDebt).to.equal(false);
    const debtLeft = usd(9_600) - repaidForSeizedUp(balances[0], 500n, pool.collaterals[0].priceE36);
    expect(close.quote.shortfallAfter).to.equal(
      debtLeft - repaidForSeizedDown(balances[1], 800n, pool.collaterals[1].priceE36),
    );

    // Solvent and liquidatable: only the live collateral can be seized.
    const liquidation = decide(pool, account(pool, 8_600, balances), inputs);
    expect(liquidation).to.include({ kind: "liquidate", collateral: pool.collaterals[0].address });
    expect(valueDown(balances[1], pool.collaterals[1].priceE36)).to.equal(usd(5_000));
  });

  it("skips an account holding a collateral whose oracle fails and whose trusted price expired: the pool refuses it", function () {
    const pool = poolAt([1_000, 10_000]);
    const balances: [bigint, bigint] = [ethers.parseUnits("5", 18), ethers.parseUnits("0.5", 8)];
    // B's oracle fails; its trusted price (10,000) was stored MAX_TRUSTED_PRICE_AGE and a second ago: no price at all.
    const stale = { priceE36: price(10_000, 8), updatedAt: NOW - MAX_TRUSTED_PRICE_AGE - 1n };
    const booked = bookPrice(null, stale, NOW);
    expect(booked).to.deep.equal({ priceE36: 0n, live: false, expired: true });
    // MAX_TRUSTED_PRICE_AGE old exactly, it still stands in.
    expect(bookPrice(null, { ...stale, updatedAt: NOW - MAX_TRUSTED_PRICE_AGE }, NOW)).to.deep.equal({
      priceE36: stale.priceE36,
      live: false,
      expired: false,
    });
    pool.collaterals[1] = {
      ...pool.collaterals[1],
      priceE36: booked.priceE36,
      priced: false,
      expired: true,
      trusted: stale,
    };

    const unpriced = account(pool, 9_600, balances);
    const b = pool.collaterals[1].address;
    // Loss recognition values B at 0 (Pool.accountShortfall, recognizeLosses): only A recovers anything.
    const recoveryOfA = repaidForSeizedDown(balances[0], 500n, pool.collaterals[0].priceE36);
    expect([unpriced.expiredCollaterals, unpriced.recoveryValue, unpriced.shortfall]).to.deep.equal([
      [b],
      recoveryOfA,
      usd(9_600) - recoveryOfA,
    ]);
    // B counts as 0: the account looks insolvent, and with 1 wei of A like dust. The pool refuses both calls.
    for (const candidate of [unpriced, account(pool, 9_600, [1n, balances[1]])]) {
      expect(decide(pool, candidate, inputs)).to.include({ kind: "skip", reason: "unpriced" });
    }
    expect(closeQuoteFor(pool, unpriced)).to.deep.equal({ refusal: { error: "PriceUnavailable", collateral: b } });
    expect(quoteFor(pool, unpriced, pool.collaterals[0].address, usd(1_000))).to.equal(null);

    // An account holding only A is priced as usual.
    const priced = account(pool, 4_000, [balances[0], 0n]);
    expect([priced.expiredCollaterals, priced.recoveryValue]).to.deep.equal([[], recoveryOfA]);
  });

  it("converts gas to loan assets rounding up, and loan assets to wei rounding down", function () {
    const fees = { gasPriceWei: 3n, nativePriceE18: WAD }; // 1 loan unit per native token
    expect(gasCostInLoanAssets(1n, fees, LOAN_DECIMALS)).to.equal(1n); // 3 wei = 3e-12 units: rounds up to 1
    expect(gasCostInLoanAssets(10n ** 12n, { gasPriceWei: 1n, nativePriceE18: WAD }, LOAN_DECIMALS)).to.equal(1n);
    expect(loanAssetsInWei(1n, WAD, LOAN_DECIMALS)).to.equal(10n ** 12n);
    expect(loanAssetsInWei(5n, 0n, LOAN_DECIMALS)).to.equal(0n);
  });
});

describe("keeper recognition threshold", function () {
  it("parses loan-asset units and basis points of the debt, and refuses anything else", function () {
    expect(parseRecognitionThreshold("10bps")).to.deep.equal({ kind: "bps", bps: 10n, text: "10bps" });
    expect(parseRecognitionThreshold("2.5")).to.deep.equal({ kind: "assets", wholeUnits: "2.5", text: "2.5" });
    for (const bad of ["", "-1", "1.5bps", "ten", "10 %", "0x10"]) {
      expect(isRecognitionThreshold(bad), bad).to.equal(false);
      expect(() => parseRecognitionThreshold(bad), bad).to.throw(/give loan-asset units \(2\.5\) or basis points/);
    }
    expect(thresholdAssets(parseRecognitionThreshold("2.5"), usd(1_000), LOAN_DECIMALS)).to.equal(2_500_000n);
    expect(thresholdAssets(parseRecognitionThreshold("0.0000009"), 0n, LOAN_DECIMALS)).to.equal(0n); // 6 decimals
    expect(thresholdAssets(parseRecognitionThreshold("10bps"), usd(14_000), LOAN_DECIMALS)).to.equal(usd(14));
  });

  it("calls a change material only above the threshold, in both directions; 0 calls any change material", function () {
    const bps = parseRecognitionThreshold("10bps");
    const debt = usd(14_000); // threshold 14
    expect(isMaterialChange(usd(14), 0n, debt, bps, LOAN_DECIMALS)).to.equal(false);
    expect(isMaterialChange(usd(14) + 1n, 0n, debt, bps, LOAN_DECIMALS)).to.equal(true);
    expect(isMaterialChange(0n, usd(14) + 1n, debt, bps, LOAN_DECIMALS)).to.equal(true); // a release
    expect(isMaterialChange(usd(500), usd(490), debt, bps, LOAN_DECIMALS)).to.equal(false);
    const zero = parseRecognitionThreshold("0");
    expect(isMaterialChange(1n, 0n, debt, zero, LOAN_DECIMALS)).to.equal(true);
    expect(isMaterialChange(7n, 7n, debt, zero, LOAN_DECIMALS)).to.equal(false);
    expect(batches([1, 2, 3, 4, 5], 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
  });
});

describe("keeper trusted-price refresh policy", function () {
  const policy = {
    refreshSeconds: BigInt(DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS),
    toleranceBps: BigInt(DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS),
  };
  const stored = price(2_000, 18);
  const at = (age: bigint) => ({ priceE36: stored, updatedAt: NOW - age });

  it("refreshes a price a quarter of MAX_TRUSTED_PRICE_AGE old, or one that moved by more than 100 bps; never one the pool would not store", function () {
    expect([DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS, DEFAULT_TRUSTED_PRICE_TOLERANCE_BPS]).to.deep.equal([5_400, 100]);
    expect(BigInt(DEFAULT_TRUSTED_PRICE_REFRESH_SECONDS)).to.equal(MAX_TRUSTED_PRICE_AGE / 4n);
    expect(refreshReason(stored, at(5_399n), NOW, policy)).to.equal(null);
    expect(refreshReason(stored, at(5_400n), NOW, policy)).to.equal("age");
    // Exactly 100 bps away is within tolerance; one wei more is not, either way.
    const onePercent = stored / 100n;
    expect(refreshReason(stored + onePercent, at(60n), NOW, policy)).to.equal(null);
    expect(refreshReason(stored + onePercent + 1n, at(60n), NOW, policy)).to.equal("deviation");
    expect(refreshReason(stored - onePercent - 1n, at(60n), NOW, policy)).to.equal("deviation");
    // A shorter refresh age re-dates a moved price, but an unchanged one only once the pool would store it (90 min).
    const hourly = { ...policy, refreshSeconds: 3_600n };
    expect(refreshReason(stored + 1n, at(3_600n), NOW, hourly)).to.equal("age");
    expect(refreshReason(stored, at(3_600n), NOW, hourly)).to.equal(null);
    expect(refreshReason(stored, at(5_400n), NOW, hourly)).to.equal("age");
    // A price stored after the scanned block (a pending transaction recorded it) is not due.
    expect(refreshReason(stored, at(-12n), NOW, policy)).to.equal(null);
  });

  it("measures the deviation in basis points of the stored price", function () {
    expect(deviationBps(price(2_030, 18), stored)).to.equal(150n);
    expect(deviationBps(price(1_970, 18), stored)).to.equal(150n);
    expect(deviationBps(stored, stored)).to.equal(0n);
    expect(deviatesBeyond(price(2_030, 18), stored, 150n)).to.equal(false);
    expect(deviatesBeyond(price(2_030, 18), stored, 149n)).to.equal(true);
  });
});

describe("keeper RPC error classification", function () {
  it("retries transport failures and rate limits, never answers from the node", function () {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" });
    expect(isTransientRpcError(refused)).to.equal(true);
    expect(isTransientRpcError({ code: -32005, message: "limit exceeded" })).to.equal(true);
    expect(isTransientRpcError(new Error("RPC answered HTTP 503 to eth_call"))).to.equal(true);
    expect(isTransientRpcError(new Error("request timed out"))).to.equal(true);
    expect(
      isTransientRpcError({
        code: 3,
        message: "execution reverted",
        data: "0x12345678",
      }),
    ).to.equal(false);
    expect(isTransientRpcError({ code: -32000, message: "nonce too low" })).to.equal(false);
    expect(isTransientRpcError({ code: -32603, message: "timeout while reverting" })).to.equal(false);
    expect(isTransientRpcError("oops")).to.equal(false);
  });
});
