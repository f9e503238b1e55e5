/** Event assertions the pool's suites share. */
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import type { Pool } from "../../typechain-types";
import type { BadDebtRealization } from "../../keepers/src/model/poolMath";

/**
 * `tx` emits BadDebtRealized for `account` with `realization`'s figures (bad debt, covered by the reserve,
 * socialized), the exit share price moving from `sharePriceBefore` to `sharePriceAfter`.
 */
export async function expectBadDebtRealized(
  pool: Pool,
  tx: Promise<ContractTransactionResponse>,
  account: string,
  realization: BadDebtRealization,
  sharePriceBefore: bigint,
  sharePriceAfter: bigint,
): Promise<void> {
  await expect(tx)
    .to.emit(pool, "BadDebtRealized")
    .withArgs(
      account,
      realization.badDebtAssets,
      realization.coveredByReserve,
      realization.socializedAssets,
      sharePriceBefore,
      sharePriceAfter,
    );
}
