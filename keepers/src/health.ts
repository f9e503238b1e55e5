/**
 * Health scan: reads every tracked account through `PoolLens.accounts` in batches (hundreds per eth_call, all batches
 * in parallel, pinned to one block), in the order given (the keeper passes the riskiest first). The call is encoded and
 * decoded by `lensCodec.ts`.
 */
import type { Provider } from "ethers";
import { decodeAccountsResult, encodeAccountsCall } from "./lensCodec";

/** One account as the lens reports it, interest accrued to the scanned block. */
export interface AccountHealth {
  account: string;
  debt: bigint;
  collateralValue: bigint;
  liquidationLimit: bigint;
  healthFactorE18: bigint;
  liquidatable: boolean;
  insolvent: boolean;
  priced: boolean;
  /** What liquidating all its collateral would repay (a failed oracle's collateral at its last trusted price). */
  recoveryValue: bigint;
  /** The live shortfall, max(0, debt − recoveryValue): what a `recognizeLosses` in this block would record. */
  shortfall: bigint;
  /** The shortfall the pool has recorded for the account (deducted from exits). */
  recognizedShortfall: bigint;
}

export class HealthScanner {
  constructor(
    private readonly provider: Provider,
    private readonly lensAddress: string,
    private readonly batchSize: number,
  ) {}

  /** Health of `accounts` in `pool` at `blockTag`, in the order given. */
  async scan(pool: string, accounts: readonly string[], blockTag: number): Promise<AccountHealth[]> {
    const batches: string[][] = [];
    for (let start = 0; start < accounts.length; start += this.batchSize) {
      batches.push(accounts.slice(start, start + this.batchSize));
    }
    const results = await Promise.all(
      batches.map(async (batch) => {
        const data = encodeAccountsCall(pool, batch);
        return decodeAccountsResult(await this.provider.call({ to: this.lensAddress, data, blockTag }), batch);
      }),
    );
    return results.flat().map((view) => ({
      account: view.account,
      debt: view.debt,
      collateralValue: view.collateralValue,
      liquidationLimit: view.liquidationLimit,
      healthFactorE18: view.healthFactor,
      liquidatable: view.liquidatable,
      insolvent: view.insolvent,
      priced: view.priced,
      recoveryValue: view.recoveryValue,
      shortfall: view.shortfall,
      recognizedShortfall: view.recognizedShortfall,
    }));
  }
}
