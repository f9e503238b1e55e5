import { expect } from "chai";
import { ethers } from "ethers";
import { WAD } from "../../keepers/src/model/poolMath";
import type { PoolSnapshot } from "../../keepers/src/positions";
import { liquidityOf } from "../../keepers/src/positions";
import { isTransientRpcError } from "../../keepers/src/rpc";
import { decide, gasCostInLoanAssets, loanAssetsInWei, GAS_UNITS_ESTIMATE } from "../../keepers/src/strategy";

const LOAN_DECIMALS = 6;
const usd = (amount: string | number): bigint => ethers.parseUnits(String(amount), LOAN_DECIMALS);
/** priceE36 of a whole collateral with `decimals` worth `dollars` whole loan units. */
const price = (dollars: number, decimals: number): bigint =>
  (BigInt(dollars) * 10n ** 36n * 10n ** BigInt(LOAN_DECIMALS)) / 10n ** BigInt(decimals);

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
    totalBorrowAssets: usd(1_000_000),
    totalBorrowShares: usd(1_000_000) * 10n ** 6n,
    collaterals: [
      {
        address: "0x00000000000000000000000000000000000000aa",
        priceE36: price(prices[0], 18),
        priced: true,
        ltvBps: 7_500n,
        liquidationThresholdBps: 8_000n,
        liquidationBonusBps: 500n,
      },
      {
        address: "0x00000000000000000000000000000000000000bb",
        priceE36: price(prices[1], 8),
        priced: true,
        ltvBps: 7_500n,
        liquidationThresholdBps: 8_000n,
        liquidationBonusBps: 800n,
      },
    ],
  };
}

function account(pool: PoolSnapshot, debtDollars: number, balances: [bigint, bigint]) {
  const borrowShares = usd(debtDollars) * 10n ** 6n;
  return {
    account: "0x00000000000000000000000000000000000000cc",
    borrowShares,
    collateralBalances: balances,
    liquidity: liquidityOf(pool, borrowShares, balances),
  };
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

    // 5.5 of collateral against 10 of debt: repaying 1 would leave 4.45 (≤ dust 5) behind, which the pool refuses;
    // only a repayment that seizes everything (and realizes the rest) is allowed, and the budget is too small.
    const nearDust = poolAt([1_000, 30_000], usd(5));
    const small = account(nearDust, 10, [ethers.parseUnits("0.0055", 18), 0n]);
    const broke = decide(nearDust, small, { ...inputs, repayBudget: usd(1) });
    expect(broke).to.include({ kind: "skip", reason: "insufficient_balance" });
  });

  it("converts gas to loan assets rounding up, and loan assets to wei rounding down", function () {
    const fees = { gasPriceWei: 3n, nativePriceE18: WAD }; // 1 loan unit per native token
    expect(gasCostInLoanAssets(1n, fees, LOAN_DECIMALS)).to.equal(1n); // 3 wei = 3e-12 units: rounds up to 1
    expect(gasCostInLoanAssets(10n ** 12n, { gasPriceWei: 1n, nativePriceE18: WAD }, LOAN_DECIMALS)).to.equal(1n);
    expect(loanAssetsInWei(1n, WAD, LOAN_DECIMALS)).to.equal(10n ** 12n);
    expect(loanAssetsInWei(5n, 0n, LOAN_DECIMALS)).to.equal(0n);
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
