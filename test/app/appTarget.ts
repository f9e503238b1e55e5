/** The LP app's view of a test fixture's pool. */
import type { PoolFixture } from "../helpers/fixtures";
import type { AppTarget } from "../../app/src/lib/target";

/** The app's target for a fixture's pool: its lens and the pool, events from block 0. */
export async function appTargetFor(fx: Pick<PoolFixture, "lens" | "pool">, poolName = "pool"): Promise<AppTarget> {
  return {
    source: "test",
    origin: "file",
    network: "hardhat",
    chainId: 31_337,
    lens: await fx.lens.getAddress(),
    fromBlock: 0,
    pools: [{ name: poolName, address: await fx.pool.getAddress() }],
  };
}
