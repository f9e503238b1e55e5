/**
 * Pools on arbitrary loan tokens (hooked, fee-on-transfer, rebasing), created through the factory as `deployPool`
 * does, for scenarios whose tokens are not MockERC20.
 */
import { poolCreationCode } from "../../deploy/lib/poolCreationCode";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { isError, type ContractTransactionReceipt, type ContractTransactionResponse, type Overrides } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  ChainlinkOracle,
  MockAggregatorV3,
  MockERC20,
  MockPriceOracle,
  MockRateModel,
  Pool,
} from "../../typechain-types";
import type { CollateralParamsStruct } from "../../typechain-types/contracts/Pool";
import * as poolMath from "../../keepers/src/model/poolMath";
import type { LiquidationParams } from "../../keepers/src/model/poolMath";
import { totalsOf, trustedPriceOf } from "../helpers/chainReads";
import { DEFAULT_LIQUIDATION_PARAMS } from "../helpers/setup";
import { expectBadDebtRealized } from "../helpers/events";
import { deployPool, units, type PoolFixture } from "../helpers/fixtures";

export interface BarePool {
  pool: Pool;
  rateModel: MockRateModel;
  owner: HardhatEthersSigner;
}

/** A pool on `loanAsset` owned (and guarded) by the first signer, with a MockRateModel at rate 0. */
export async function createPoolFor(
  loanAsset: string,
  liquidationParams: LiquidationParams = DEFAULT_LIQUIDATION_PARAMS,
  reserveFactorBps = 1_000,
): Promise<BarePool> {
  const [owner] = await ethers.getSigners();
  const rateModel = await ethers.deployContract("MockRateModel");
  const factory = await ethers.deployContract("PoolFactory", [poolCreationCode()]);
  const config = {
    loanAsset,
    name: "Mutual Pool",
    symbol: "mp",
    owner: owner.address,
    guardian: owner.address,
    rateModel: await rateModel.getAddress(),
    reserveFactorBps,
    liquidationParams,
  };
  const address = await factory.computePoolAddress(config, ethers.ZeroHash);
  await factory.createPool(config, ethers.ZeroHash);
  return { pool: await ethers.getContractAt("Pool", address), rateModel, owner };
}

/** Listing parameters priced by `oracle`: LTV 75%, threshold 80%, bonus 5%, cap uint128 max, enabled. */
export function standardCollateralParams(oracle: string): CollateralParamsStruct {
  return {
    oracle,
    ltvBps: 7_500,
    liquidationThresholdBps: 8_000,
    liquidationBonusBps: 500,
    supplyCap: 2n ** 128n - 1n,
    enabled: true,
  };
}

/** Deploys a MockPriceOracle answering `priceE36`. */
export async function mockOracleAt(priceE36: bigint): Promise<MockPriceOracle> {
  const oracle = await ethers.deployContract("MockPriceOracle");
  await oracle.setPrice(priceE36);
  return oracle;
}

/**
 * `collateral`'s parameters as `pool` has them now, re-pointed at `oracle` when given (else at its configured one): the
 * argument for a setCollateralParams that changes nothing but the oracle.
 */
export async function collateralParamsWith(pool: Pool, collateral: string, oracle?: string): Promise<CollateralParamsStruct> {
  const params = await pool.collateralParams(collateral);
  return {
    oracle: oracle ?? params.oracle,
    ltvBps: params.ltvBps,
    liquidationThresholdBps: params.liquidationThresholdBps,
    liquidationBonusBps: params.liquidationBonusBps,
    supplyCap: params.supplyCap,
    enabled: params.enabled,
  };
}

/** Deploys a ChainlinkOracle pricing `collateral` in `loanAsset` from the two feeds, each with its own max age. */
export async function deployChainlinkOracle(
  collateralFeed: { getAddress(): Promise<string> },
  loanFeed: { getAddress(): Promise<string> },
  collateral: string,
  loanAsset: string,
  collateralMaxAge: bigint,
  loanMaxAge: bigint,
): Promise<ChainlinkOracle> {
  return ethers.deployContract("ChainlinkOracle", [
    await collateralFeed.getAddress(),
    await loanFeed.getAddress(),
    collateral,
    loanAsset,
    collateralMaxAge,
    loanMaxAge,
  ]);
}

/**
 * Re-points collateral `index` of `fx` at a new ChainlinkOracle over two new 8-decimals MockAggregatorV3 feeds, the
 * collateral's answering `collateralAnswer` and the loan asset's $1, with max ages `collateralMaxAge` and `loanMaxAge`.
 */
export async function repointAtChainlink(
  fx: PoolFixture,
  index: number,
  collateralAnswer: bigint,
  collateralMaxAge: bigint,
  loanMaxAge: bigint,
): Promise<{ collateral: string; collateralFeed: MockAggregatorV3; loanFeed: MockAggregatorV3; oracle: ChainlinkOracle }> {
  const { pool, owner, collaterals, loanToken } = fx;
  const collateralFeed = await ethers.deployContract("MockAggregatorV3", [8, collateralAnswer]);
  const loanFeed = await ethers.deployContract("MockAggregatorV3", [8, 10n ** 8n]);
  const collateral = await collaterals[index].token.getAddress();
  const oracle = await deployChainlinkOracle(
    collateralFeed,
    loanFeed,
    collateral,
    await loanToken.getAddress(),
    collateralMaxAge,
    loanMaxAge,
  );
  await pool
    .connect(owner)
    .setCollateralParams(collateral, await collateralParamsWith(pool, collateral, await oracle.getAddress()));
  return { collateral, collateralFeed, loanFeed, oracle };
}

/** Lists `collateral` on `pool` (LTV 75%, threshold 80%, bonus 5%, cap uint128 max) with a new MockPriceOracle. */
export async function listWithMockOracle(pool: Pool, collateral: string, priceE36: bigint): Promise<MockPriceOracle> {
  const oracle = await mockOracleAt(priceE36);
  await pool.listCollateral(collateral, standardCollateralParams(await oracle.getAddress()));
  return oracle;
}

/**
 * `deployPool` with a 6-decimals loan asset and a dust threshold of 1.00, and one collateral per entry of
 * `collateralDecimals` (priced at the matching whole loan assets of `collateralPrices`).
 */
export function deployDollarPool(collateralDecimals: number[], collateralPrices: number[]): Promise<PoolFixture> {
  return deployPool({ loanDecimals: 6, collateralDecimals, collateralPrices, dustThresholdAssets: units(1, 6) });
}

/** Mints `amount` of `token` to `account` and approves `spender` for all of it (for actors `deployPool` did not fund). */
export async function fundAndApprove(
  token: MockERC20,
  account: HardhatEthersSigner,
  amount: bigint,
  spender: string,
): Promise<void> {
  await token.mint(account.address, amount);
  await token.connect(account).approve(spender, ethers.MaxUint256);
}

/** Gas overrides `mineInOneBlock` hands each transaction: a fixed gas limit and a priority fee that fixes its place. */
export type BlockSlot = Pick<Overrides, "gasLimit" | "maxFeePerGas" | "maxPriorityFeePerGas">;

/**
 * Sends every transaction of `sends` with automining off and mines them together in one block at `timestamp`, in the
 * given order (each pays a lower priority fee than the one before, so the node orders them as listed). Every
 * transaction must succeed; the receipts are returned in order, after checking they share one block in that order.
 */
export async function mineInOneBlock(
  timestamp: bigint,
  sends: readonly ((slot: BlockSlot) => Promise<ContractTransactionResponse>)[],
): Promise<ContractTransactionReceipt[]> {
  const gwei = 10n ** 9n;
  const responses: ContractTransactionResponse[] = [];
  await network.provider.send("evm_setAutomine", [false]);
  try {
    for (const [index, send] of sends.entries()) {
      const priority = BigInt(sends.length - index) * gwei;
      responses.push(await send({ gasLimit: 5_000_000n, maxPriorityFeePerGas: priority, maxFeePerGas: 1_000n * gwei }));
    }
    await time.setNextBlockTimestamp(timestamp);
    await network.provider.send("evm_mine", []);
  } finally {
    await network.provider.send("evm_setAutomine", [true]);
  }
  const receipts: ContractTransactionReceipt[] = [];
  for (const response of responses) {
    const receipt = await response.wait();
    if (receipt === null) throw new Error("transaction not mined");
    receipts.push(receipt);
  }
  const block = receipts[0].blockNumber;
  receipts.forEach((receipt, index) => {
    if (receipt.blockNumber !== block || receipt.index !== index) {
      throw new Error(`transaction ${index} landed at block ${receipt.blockNumber}, index ${receipt.index}`);
    }
  });
  return receipts;
}

/** One listed collateral as an account holds it, priced the way the pool's tolerant valuation prices it now. */
export interface HeldCollateral {
  collateral: string;
  position: poolMath.ClosingCollateral;
  /**
   * No live price and a last trusted price older than MAX_TRUSTED_PRICE_AGE: priced 0. Loss recognition counts it at
   * that 0; liquidate, closeInsolventAccount and socializeBadDebt revert PriceUnavailable for the account.
   */
  expired: boolean;
}

/**
 * `account`'s holdings of every collateral listed on `pool` (listing order, zero balances included), each priced as
 * closeInsolventAccount, recognizeLosses and liquidate price it at `timestamp` (by default the latest block's): the
 * answer of the oracle the pool is configured with, or, where that call reverts or answers no price, the collateral's
 * last trusted price (`live` false) while it is at most MAX_TRUSTED_PRICE_AGE old (else 0, `expired`).
 */
export async function heldCollateralOf(pool: Pool, account: string, timestamp?: bigint): Promise<HeldCollateral[]> {
  const at = timestamp ?? BigInt(await time.latest());
  const held: HeldCollateral[] = [];
  for (const collateral of await pool.collaterals()) {
    const params = await pool.collateralParams(collateral);
    const oracle = await ethers.getContractAt("IPriceOracle", params.oracle);
    let answer: bigint | null;
    try {
      answer = await oracle.price();
    } catch (error) {
      // A reverting oracle (the node reports "reverted" or ethers a CALL_EXCEPTION) gives no price; anything else throws.
      if (!isError(error, "CALL_EXCEPTION") && !(error instanceof Error && error.message.includes("reverted"))) throw error;
      answer = null;
    }
    const { priceE36, live, expired } = poolMath.bookPrice(answer, await trustedPriceOf(pool, collateral), at);
    held.push({
      collateral,
      expired,
      position: {
        balance: await pool.collateralOf(account, collateral),
        priceE36,
        live,
        ltvBps: params.ltvBps,
        liquidationThresholdBps: params.liquidationThresholdBps,
        liquidationBonusBps: params.liquidationBonusBps,
      },
    });
  }
  return held;
}

/** What `expectClose` checked: poolMath's quote and, when the call realized the residual, the loss waterfall. */
export interface CheckedClose {
  quote: poolMath.CloseQuote;
  realization: poolMath.BadDebtRealization | null;
}

/**
 * `caller` closes `borrower` with closeInsolventAccount (bound: poolMath's seized value) in the next block, one second
 * after the latest; checks every event and the pool's totals and recognized shortfall afterwards against poolMath's
 * quoteClose (and realizeBadDebt when the residual is realized). Failed oracles are read as `heldCollateralOf` does.
 * Collaterals in `refusingCollaterals` refuse transfers: what the close sends of them is credited to `caller` in the pool.
 */
export async function expectClose(
  pool: Pool,
  borrower: string,
  caller: HardhatEthersSigner,
  refusingCollaterals: readonly string[] = [],
): Promise<CheckedClose> {
  const timestamp = BigInt(await time.latest()) + 1n;
  await time.setNextBlockTimestamp(timestamp);
  const totals = await totalsOf(pool, "pending");
  const held = await heldCollateralOf(pool, borrower, timestamp);
  const unpriced = held.find((entry) => entry.expired && entry.position.balance > 0n);
  if (unpriced !== undefined) throw new Error(`the close reverts PriceUnavailable(${unpriced.collateral})`);
  const borrowShares = await pool.borrowSharesOf(borrower);
  const recognizedBefore = await pool.recognizedShortfall(borrower);
  const result = poolMath.quoteClose(
    held.map((entry) => entry.position),
    borrowShares,
    totals.totalBorrowAssets,
    totals.totalBorrowShares,
    (await pool.liquidationParams()).dustThresholdAssets,
  );
  if (!("quote" in result)) throw new Error(`poolMath: the close reverts ${result.refusal.error}`);
  const { quote } = result;
  const afterRepay: poolMath.PoolTotals = {
    ...totals,
    totalBorrowAssets: poolMath.zeroFloorSub(totals.totalBorrowAssets, quote.repaidAssets),
    totalBorrowShares: totals.totalBorrowShares - quote.repaidShares,
  };
  const realization = quote.realizesBadDebt
    ? poolMath.realizeBadDebt(afterRepay, borrowShares - quote.repaidShares, recognizedBefore)
    : null;
  const totalsAfter: poolMath.PoolTotals =
    realization?.totalsAfter ?? {
      ...afterRepay,
      totalShortfallAssets: afterRepay.totalShortfallAssets - recognizedBefore + quote.shortfallAfter,
    };

  const tx = pool.connect(caller).closeInsolventAccount(borrower, quote.seizedValue, caller.address);
  await expect(tx)
    .to.emit(pool, "InsolventAccountClosed")
    .withArgs(
      caller.address,
      borrower,
      caller.address,
      quote.repaidAssets,
      quote.repaidShares,
      quote.seizedValue,
      quote.badDebtAssets,
    );
  for (const [index, entry] of held.entries()) {
    const seized = quote.seized[index];
    const credited = refusingCollaterals.includes(entry.collateral);
    if (seized.assets > 0n) {
      await expect(tx)
        .to.emit(pool, "CollateralSeized")
        .withArgs(borrower, entry.collateral, caller.address, seized.assets, seized.repaidAssets, credited);
    } else if (realization !== null && entry.position.balance > 0n) {
      await expect(tx)
        .to.emit(pool, "DustCollateralSwept")
        .withArgs(borrower, entry.collateral, caller.address, entry.position.balance, credited);
    }
  }
  if (realization !== null) {
    const supply = await pool.totalSupply();
    const shareDecimals = await pool.decimals();
    await expectBadDebtRealized(
      pool,
      tx,
      borrower,
      realization,
      poolMath.sharePrice(poolMath.exitAssetsOf(afterRepay), supply, shareDecimals),
      poolMath.sharePrice(poolMath.exitAssetsOf(realization.totalsAfter), supply, shareDecimals),
    );
    expect(realization.badDebtAssets).to.equal(quote.badDebtAssets);
  } else {
    await expect(tx).not.to.emit(pool, "BadDebtRealized");
  }
  expect(await totalsOf(pool)).to.deep.equal(totalsAfter);
  expect(await pool.recognizedShortfall(borrower)).to.equal(realization === null ? quote.shortfallAfter : 0n);
  return { quote, realization };
}
