/**
 * `Testnet`: `Core` plus, from a validated `deploy/parameters/<network>.json`, one ChainlinkOracle adapter per
 * collateral (collateral/USD ÷ loan/USD feeds), one pool created through the factory and every collateral listed.
 * The deployer owns the pool while it lists collaterals; with `pool.riskManager` set, ownership is then offered to
 * it (Ownable2Step: the risk manager must call `acceptOwnership`).
 *
 * The module is built from the parameters (its shape depends on how many collaterals there are), so it has no
 * default export: deploy it with `npx hardhat run scripts/deploy.ts --network <name>`, which reads and validates
 * the file first. Ignition's journal (deploy/deployments/chain-<id>/) makes an interrupted deploy resumable.
 */
import type { ContractFuture } from "@nomicfoundation/ignition-core";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { TestnetParameters } from "../lib/testnetParameters";
import CoreModule, { kinkedRateModelArgs } from "./Core";

/** Ignition parameters for `Core` that give it the file's rate model. */
export function testnetCoreParameters(parameters: TestnetParameters): Record<string, bigint> {
  return kinkedRateModelArgs(parameters.rateModel);
}

export function buildTestnetModule(parameters: TestnetParameters) {
  return buildModule("Testnet", (m) => {
    const { poolFactory, poolLens, rateModel } = m.useModule(CoreModule);
    const deployer = m.getAccount(0);
    const loan = parameters.loanToken;
    const poolParams = parameters.pool;

    const createPool = m.call(
      poolFactory,
      "createPool",
      [
        {
          loanAsset: loan.address,
          name: poolParams.name,
          symbol: poolParams.symbol,
          owner: deployer,
          guardian: poolParams.guardian ?? deployer,
          rateModel,
          reserveFactorBps: poolParams.reserveFactorBps,
          liquidationParams: {
            closeFactorBps: poolParams.closeFactorBps,
            fullLiquidationHealthFactor: poolParams.fullLiquidationHealthFactor,
            dustThresholdAssets: poolParams.dustThresholdAssets,
          },
        },
        poolParams.salt,
      ],
      { id: "CreatePool", from: deployer },
    );
    const pool = m.contractAt("Pool", m.readEventArgument(createPool, "PoolCreated", "pool", { emitter: poolFactory }), {
      id: "Pool",
    });

    const oracles: Record<string, ContractFuture<string>> = {};
    let previousListing: ReturnType<typeof m.call> | undefined;
    for (const collateral of parameters.collaterals) {
      const oracle = m.contract(
        "ChainlinkOracle",
        [collateral.usdFeed, loan.usdFeed, collateral.address, loan.address, collateral.maxFeedAgeSeconds, loan.maxFeedAgeSeconds],
        { id: `${collateral.symbol}Oracle` },
      );
      oracles[`${collateral.symbol}Oracle`] = oracle;
      previousListing = m.call(
        pool,
        "listCollateral",
        [
          collateral.address,
          {
            oracle,
            ltvBps: collateral.ltvBps,
            liquidationThresholdBps: collateral.liquidationThresholdBps,
            liquidationBonusBps: collateral.liquidationBonusBps,
            supplyCap: collateral.supplyCap,
            enabled: true,
          },
        ],
        { id: `List${collateral.symbol}`, from: deployer, after: previousListing ? [previousListing] : [] },
      );
    }

    if (poolParams.riskManager !== undefined) {
      m.call(pool, "transferOwnership", [poolParams.riskManager], {
        id: "OfferOwnership",
        from: deployer,
        after: previousListing ? [previousListing] : [],
      });
    }

    return { poolFactory, poolLens, rateModel, pool, ...oracles };
  });
}
