import { expect } from "chai";
import {
  formatAmount,
  formatAmountFixed,
  formatAprFromPerSecond,
  formatBps,
  formatHealthFactor,
  formatPercentE18,
  formatSharePrice,
  formatUtcMinute,
  shortAddress,
} from "../../scripts/lib/format";
import { MAX_UINT256, WAD } from "../../keepers/src/model/poolMath";
import { aprBpsToPerSecondE18 } from "../../deploy/lib/units";

describe("app: number and date formatting (scripts/lib/format.ts)", function () {
  it("formatAmount groups thousands, truncates to the fraction digits and drops trailing zeros", function () {
    expect(formatAmount(1_234_567_891_234n, 6)).to.equal("1,234,567.89");
    expect(formatAmount(1_234_567_899_999n, 6)).to.equal("1,234,567.89"); // truncated, never rounded up
    expect(formatAmount(50_000_000_000n, 6)).to.equal("50,000");
    expect(formatAmount(10_500_000n, 6)).to.equal("10.5");
    // A non-zero amount too small to show says so, never "0" (e.g. a reserve that covered 743 raw units).
    expect(formatAmount(1n, 6)).to.equal("< 0.01");
    expect(formatAmount(743n, 6)).to.equal("< 0.01");
    expect(formatAmount(-743n, 6)).to.equal("> -0.01");
    expect(formatAmount(10_000n, 6)).to.equal("0.01");
    expect(formatAmount(1n, 6, 0)).to.equal("< 1");
    expect(formatAmount(1n, 6, 6)).to.equal("0.000001");
    expect(formatAmount(0n, 18)).to.equal("0");
    expect(formatAmount(-2_047_580_000n, 6)).to.equal("-2,047.58");
    expect(formatAmount(54_999_999_891_234_567n, 12, 6)).to.equal("54,999.999891");
  });

  it("formatAmountFixed keeps exactly the fraction digits and drops the sign of a negative that truncates to 0", function () {
    expect(formatAmountFixed(1_000_397n, 6, 6)).to.equal("1.000397");
    expect(formatAmountFixed(50_000_000_000n, 6)).to.equal("50,000.00");
    expect(formatAmountFixed(-1n, 6)).to.equal("0.00");
    expect(formatAmountFixed(-1_230_000n, 6)).to.equal("-1.23");
    expect(formatAmountFixed(7n, 0, 0)).to.equal("7");
  });

  it("formatSharePrice prints loan assets per whole share with six decimals", function () {
    expect(formatSharePrice(962_771n, 6)).to.equal("0.962771");
    expect(formatSharePrice(10n ** 18n, 18)).to.equal("1.000000");
    expect(formatSharePrice(1_000_000_000_000n, 6)).to.equal("1,000,000.000000");
  });

  it("percentages, basis points, rates and health factors", function () {
    expect(formatPercentE18(WAD / 2n)).to.equal("50%");
    expect(formatPercentE18(58_200_000_000_000_000n)).to.equal("5.82%");
    expect(formatPercentE18(0n)).to.equal("0%");
    expect(formatBps(8_500n)).to.equal("85%");
    expect(formatBps(1_000n)).to.equal("10%");
    expect(formatBps(25n)).to.equal("0.25%");
    expect(formatAprFromPerSecond(aprBpsToPerSecondE18(500n))).to.equal("4.99%");
    expect(formatHealthFactor(MAX_UINT256)).to.equal("∞");
    expect(formatHealthFactor(1_049_999_999_999_999_999n)).to.equal("1.049");
  });

  it("formatUtcMinute is the same in every time zone; shortAddress keeps 6 + 4 characters", function () {
    expect(formatUtcMinute(0)).to.equal("1970-01-01 00:00 UTC");
    expect(formatUtcMinute(1_795_620_059)).to.equal("2026-11-25 15:20 UTC");
    expect(shortAddress("0xbcd4042DE499D14e55001CcbB24a551F3b954096")).to.equal("0xbcd4…4096");
  });
});
