/**
 * Health scan: reads every tracked account through `PoolLens.accounts` in batches (hundreds per eth_call, all batches
 * in parallel, pinned to one block), riskiest accounts first. The call is encoded and decoded by `lensCodec.ts`.
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
}

export class HealthScanner {
  /** Last health factor seen per pool and account, to order the next scan riskiest first. */
  private readonly lastHealth = new Map<string, bigint>();

  constructor(
    private readonly provider: Provider,
    private readonly lensAddress: string,
    private readonly batchSize: number,
  ) {}

  /** Health of `accounts` in `pool` at `blockTag`, in the order scanned (lowest last-known health first). */
  async scan(pool: string, accounts: readonly string[], blockTag: number): Promise<AccountHealth[]> {
    const ordered = [...accounts].sort((a, b) => compareBigint(this.healthOf(pool, a), this.healthOf(pool, b)));
    const batches: string[][] = [];
    for (let start = 0; start < ordered.length; start += this.batchSize) {
      batches.push(ordered.slice(start, start + this.batchSize));
    }
    const results = await Promise.all(
      batches.map(async (batch) => {
        const data = encodeAccountsCall(pool, batch);
        return decodeAccountsResult(await this.provider.call({ to: this.lensAddress, data, blockTag }), batch);
      }),
    );
    const views: AccountHealth[] = results.flat().map((view) => ({
      account: view.account,
      debt: view.debt,
      collateralValue: view.collateralValue,
      liquidationLimit: view.liquidationLimit,
      healthFactorE18: view.healthFactor,
      liquidatable: view.liquidatable,
      insolvent: view.insolvent,
      priced: view.priced,
    }));
    for (const view of views) this.lastHealth.set(`${pool}:${view.account}`, view.healthFactorE18);
    return views;
  }

  private healthOf(pool: string, account: string): bigint {
    // Never scanned: first, so a new borrower is seen at once.
    return this.lastHealth.get(`${pool}:${account}`) ?? 0n;
  }
}

const compareBigint = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
