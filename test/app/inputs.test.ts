import { expect } from "chai";
import { InputError, parseAmountInput } from "../../app/src/lib/amounts";
import {
  DEFAULT_TOLERANCE_PERCENT,
  lowerBound,
  MAX_TOLERANCE_BPS,
  parseTolerancePercent,
  upperBound,
} from "../../app/src/lib/slippage";
import { chainLabel, parseChainId, wrongChainMessage } from "../../app/src/lib/chains";

function inputError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error("expected an InputError");
}

describe("app: amounts, slippage and chains", function () {
  describe("parseAmountInput", function () {
    it("reads decimals exactly, ignoring thousands separators", function () {
      expect(parseAmountInput("50000", 6, "mUSDC")).to.equal(50_000_000_000n);
      expect(parseAmountInput(" 1,250.5 ", 6, "mUSDC")).to.equal(1_250_500_000n);
      expect(parseAmountInput("1_000", 6, "mUSDC")).to.equal(1_000_000_000n);
      expect(parseAmountInput(".5", 6, "mUSDC")).to.equal(500_000n);
      expect(parseAmountInput("3.", 6, "mUSDC")).to.equal(3_000_000n);
      expect(parseAmountInput("0.000001", 6, "mUSDC")).to.equal(1n);
      // No floating point: 0.1 + 0.2 style errors cannot happen.
      expect(parseAmountInput("0.3", 18, "mWETH")).to.equal(300_000_000_000_000_000n);
    });

    it("says what to type instead of an empty, malformed, zero or over-precise amount", function () {
      expect(inputError(() => parseAmountInput("", 6, "mUSDC"))).to.equal("Enter an amount of mUSDC.");
      expect(inputError(() => parseAmountInput("abc", 6, "mUSDC"))).to.equal(
        '"abc" is not an amount: use digits and at most one decimal point, e.g. 1250.5.',
      );
      expect(inputError(() => parseAmountInput("1.2.3", 6, "mUSDC"))).to.include("is not an amount");
      expect(inputError(() => parseAmountInput("-5", 6, "mUSDC"))).to.include("is not an amount");
      expect(inputError(() => parseAmountInput("1e6", 6, "mUSDC"))).to.include("is not an amount");
      expect(inputError(() => parseAmountInput("0.00", 6, "mUSDC"))).to.equal(
        "Enter an amount of mUSDC greater than 0.",
      );
      expect(inputError(() => parseAmountInput("1.1234567", 6, "mUSDC"))).to.equal(
        'mUSDC has 6 decimals; "1.1234567" has 7.',
      );
    });
  });

  describe("slippage", function () {
    it("parses a tolerance in percent to basis points, with at most two decimals, up to 50%", function () {
      expect(parseTolerancePercent(DEFAULT_TOLERANCE_PERCENT)).to.equal(50n);
      expect(parseTolerancePercent("1")).to.equal(100n);
      expect(parseTolerancePercent("0.05%")).to.equal(5n);
      expect(parseTolerancePercent(".5")).to.equal(50n);
      expect(parseTolerancePercent("0")).to.equal(0n);
      expect(parseTolerancePercent("50")).to.equal(MAX_TOLERANCE_BPS);
      expect(inputError(() => parseTolerancePercent("50.01"))).to.equal(
        "Slippage tolerance 50.01% is above the 50% the app allows.",
      );
      expect(inputError(() => parseTolerancePercent("0.005"))).to.include("at most two decimals");
      expect(inputError(() => parseTolerancePercent("-1"))).to.include("is not a percentage");
      expect(inputError(() => parseTolerancePercent(""))).to.include("is not a percentage");
    });

    it("bounds round against the user: the minimum down, the maximum up", function () {
      expect(lowerBound(1_000_000n, 50n)).to.equal(995_000n);
      expect(lowerBound(999n, 50n)).to.equal(994n); // 994.005 → 994
      expect(upperBound(999n, 50n)).to.equal(1_004n); // 1,003.995 → 1,004
      expect(lowerBound(123n, 0n)).to.equal(123n);
      expect(upperBound(123n, 0n)).to.equal(123n);
      expect(lowerBound(1n, 5_000n)).to.equal(0n);
      expect(upperBound(1n, 5_000n)).to.equal(2n);
    });
  });

  describe("chains", function () {
    it("names chains and refuses a wallet on another chain with a sentence", function () {
      expect(chainLabel(31_337)).to.equal("Hardhat local node (chain 31337)");
      expect(chainLabel(424242)).to.equal("chain 424242");
      expect(wrongChainMessage(31_337, 31_337)).to.equal(null);
      expect(wrongChainMessage(1, 11_155_111)).to.equal(
        "Wrong network: your wallet is on Ethereum mainnet (chain 1), but this pool is on Sepolia (chain 11155111). " +
          "Switch your wallet to Sepolia (chain 11155111); nothing can be sent until you do.",
      );
    });

    it("reads eth_chainId answers and rejects anything else", function () {
      expect(parseChainId("0x7a69")).to.equal(31_337);
      expect(parseChainId("0x1")).to.equal(1);
      expect(parseChainId(5)).to.equal(5);
      expect(() => parseChainId("31337")).to.throw('The wallet answered eth_chainId with "31337", not a chain id.');
      expect(() => parseChainId(null)).to.throw("not a chain id");
    });
  });
});
