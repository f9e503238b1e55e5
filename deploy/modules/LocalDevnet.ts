/**
 * `LocalDevnet`: `Core` plus everything a local node needs to be used at once: mock tokens with realistic decimals,
 * a mock oracle per collateral at a realistic price, one pool created through the factory (owner and guardian:
 * account 0) with both collaterals listed, and every token minted to the node's first test accounts.
 */
import type { ContractFuture } from "@nomicfoundation/ignition-core";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import {
  DEVNET_COLLATERALS,
  DEVNET_FUNDED_ACCOUNTS,
  DEVNET_LOAN_TOKEN,
  DEVNET_POOL,
  type DevnetToken,
} from "../lib/localDevnet";
import { priceE36FromWhole } from "../lib/units";
import CoreModule from "./Core";

const wholeToUnits = (token: DevnetToken, whole: bigint): bigint => whole * 10n ** BigInt(token.decimals);

export default buildModule("LocalDevnet", (m) => {
  const { poolFactory, poolLens, rateModel } = m.useModule(CoreModule);
  const owner = m.getAccount(0);
  const accounts = Array.from({ length: DEVNET_FUNDED_ACCOUNTS }, (_, index) => m.getAccount(index));

  const loanToken = m.contract("MockERC20", [DEVNET_LOAN_TOKEN.name, DEVNET_LOAN_TOKEN.symbol, DEVNET_LOAN_TOKEN.decimals], {
    id: DEVNET_LOAN_TOKEN.id,
  });

  const createPool = m.call(
    poolFactory,
    "createPool",
    [
      {
        loanAsset: loanToken,
        name: DEVNET_POOL.name,
        symbol: DEVNET_POOL.symbol,
        owner,
        guardian: owner,
        rateModel,
        reserveFactorBps: DEVNET_POOL.reserveFactorBps,
        liquidationParams: {
          closeFactorBps: DEVNET_POOL.closeFactorBps,
          fullLiquidationHealthFactor: DEVNET_POOL.fullLiquidationHealthFactor,
          dustThresholdAssets: DEVNET_POOL.dustThresholdAssets,
        },
      },
      DEVNET_POOL.salt,
    ],
    { id: "CreatePool", from: owner },
  );
  const poolAddress = m.readEventArgument(createPool, "PoolCreated", "pool", { emitter: poolFactory });
  const pool = m.contractAt("Pool", poolAddress, { id: "Pool" });

  for (const account of accounts) {
    m.call(loanToken, "mint", [account, wholeToUnits(DEVNET_LOAN_TOKEN, DEVNET_LOAN_TOKEN.mintPerAccountWhole)], {
      id: `Mint${DEVNET_LOAN_TOKEN.id}_${account.accountIndex}`,
    });
  }

  // Collaterals are listed one after the other, so `pool.collaterals()` follows DEVNET_COLLATERALS' order.
  let previousListing: ReturnType<typeof m.call> | undefined;
  const collateralResults: Record<string, ContractFuture<string>> = {};
  for (const collateral of DEVNET_COLLATERALS) {
    const token = m.contract("MockERC20", [collateral.name, collateral.symbol, collateral.decimals], {
      id: collateral.id,
    });
    const oracle = m.contract("MockPriceOracle", [], { id: `${collateral.id}Oracle` });
    const setPrice = m.call(
      oracle,
      "setPrice",
      [priceE36FromWhole(collateral.initialPrice, DEVNET_LOAN_TOKEN.decimals, collateral.decimals)],
      { id: `${collateral.id}Oracle_setPrice` },
    );
    previousListing = m.call(
      pool,
      "listCollateral",
      [
        token,
        {
          oracle,
          ltvBps: collateral.ltvBps,
          liquidationThresholdBps: collateral.liquidationThresholdBps,
          liquidationBonusBps: collateral.liquidationBonusBps,
          supplyCap: wholeToUnits(collateral, collateral.supplyCapWhole),
          enabled: true,
        },
      ],
      { id: `List${collateral.id}`, from: owner, after: previousListing ? [setPrice, previousListing] : [setPrice] },
    );
    for (const account of accounts) {
      m.call(token, "mint", [account, wholeToUnits(collateral, collateral.mintPerAccountWhole)], {
        id: `Mint${collateral.id}_${account.accountIndex}`,
      });
    }
    collateralResults[`${collateral.id}Token`] = token;
    collateralResults[`${collateral.id}Oracle`] = oracle;
  }

  return { poolFactory, poolLens, rateModel, pool, loanToken, ...collateralResults };
});
