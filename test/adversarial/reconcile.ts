/**
 * Shared checks of the adversarial scenarios: the pool's token balances against its books, to the wei.
 *
 * A pool never reads its own balance: cash is `totalLpAssets + reserve − totalBorrowAssets`, and each collateral's
 * `totalCollateral`. Nothing is created or lost when the loan-asset balance equals cash plus whatever was sent to the
 * pool without a call (`untrackedLoanAssets`: donations by plain transfer), and each collateral's balance equals its
 * `totalCollateral`.
 */
import { expect } from "chai";
import type { Addressable } from "ethers";
import type { Pool } from "../../typechain-types";

/** Any token the scenarios use: only `balanceOf` is read. */
export interface BalanceReader {
  balanceOf(account: string | Addressable): Promise<bigint>;
  getAddress(): Promise<string>;
}

/**
 * Asserts the pool's loan-asset balance is exactly `cash() + untrackedLoanAssets` and each collateral's balance is
 * exactly `totalCollateral(collateral)`.
 */
export async function expectBooksReconciled(
  pool: Pool,
  loanToken: BalanceReader,
  collateralTokens: readonly BalanceReader[],
  untrackedLoanAssets = 0n,
): Promise<void> {
  const poolAddress = await pool.getAddress();
  expect(await loanToken.balanceOf(poolAddress), "loan balance = cash + untracked").to.equal(
    (await pool.cash()) + untrackedLoanAssets,
  );
  for (const token of collateralTokens) {
    expect(await token.balanceOf(poolAddress), "collateral balance = totalCollateral").to.equal(
      await pool.totalCollateral(await token.getAddress()),
    );
  }
}

/** `numerator / denominator` as a percentage with 4 decimals, rounded down (for printed figures only). */
export function percent(numerator: bigint, denominator: bigint): string {
  if (denominator === 0n) return "n/a";
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const ppm = (magnitude * 100_000_000n) / denominator;
  const text = `${ppm / 1_000_000n}.${(ppm % 1_000_000n).toString().padStart(6, "0").slice(0, 4)}%`;
  return negative ? `-${text}` : text;
}
