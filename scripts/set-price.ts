/**
 * `set-price`: moves a collateral's MockPriceOracle price on a local node, to rehearse a crash. Refuses any chain
 * but a local Hardhat node, and any oracle that is not a MockPriceOracle.
 *
 *   ts-node scripts/set-price.ts --collateral mWETH --price 1800      # 1 mWETH = 1,800 loan tokens
 *   ts-node scripts/set-price.ts --collateral mWETH --change -40      # 40% lower than now
 */
import { Command, Option } from "commander";
import { parseUnits, type Provider, type Signer } from "ethers";
import { IERC20Metadata__factory, MockPriceOracle__factory, Pool__factory } from "../typechain-types";
import type { Deployment } from "../keepers/src/deployments";
import { mulDivDown } from "../keepers/src/model/poolMath";
import { priceE36FromWhole, wholePriceE18 } from "../deploy/lib/units";
import {
  addConnectionOptions,
  addSignerOptions,
  connect,
  requireLocalChain,
  resolveSigner,
  runProgram,
  selectPool,
  UsageError,
  type ConnectionOptions,
} from "./lib/connect";
import { formatAmount } from "./lib/format";
import { readPoolStatus, type HealthBand } from "./lib/poolStatus";

export type PriceMove = { price: string } | { changePercent: string };

export interface PriceChange {
  collateral: string;
  symbol: string;
  oracle: string;
  loanSymbol: string;
  oldPriceE36: bigint;
  newPriceE36: bigint;
  /** Whole loan assets per whole collateral × 1e18, before and after. */
  oldWholePriceE18: bigint;
  newWholePriceE18: bigint;
  /** The block the price moved in; `bands` are read at it. */
  blockNumber: number;
  bands: Record<HealthBand, number>;
}

const PERCENT_PATTERN = /^[-+]?\d+(\.\d+)?$/;

/** The new priceE36 for `move` from `currentPriceE36` (rounded down). */
export function targetPriceE36(move: PriceMove, currentPriceE36: bigint, loanDecimals: number, collateralDecimals: number): bigint {
  if ("price" in move) {
    if (!/^\d+(\.\d+)?$/.test(move.price)) throw new UsageError(`--price expects a positive decimal number, got "${move.price}".`);
    const priceE36 = priceE36FromWhole(move.price, loanDecimals, collateralDecimals);
    if (priceE36 === 0n) throw new UsageError(`--price ${move.price} rounds to 0 in the pool's units.`);
    return priceE36;
  }
  if (!PERCENT_PATTERN.test(move.changePercent)) {
    throw new UsageError(`--change expects a percentage such as -40 or 15.5, got "${move.changePercent}".`);
  }
  const changeE18 = parseUnits(move.changePercent.replace(/^\+/, ""), 18);
  const hundredE18 = parseUnits("100", 18);
  if (changeE18 <= -hundredE18) throw new UsageError(`--change ${move.changePercent} would leave no price; use more than -100.`);
  return mulDivDown(currentPriceE36, hundredE18 + changeE18, hundredE18);
}

/**
 * Sets the mock price of the collateral `collateralSelector` (symbol or address) of a pool, then reads how the
 * pool's borrowers are banded at the new price.
 */
export async function setMockPrice(
  deployment: Deployment,
  signer: Signer,
  provider: Provider,
  collateralSelector: string,
  move: PriceMove,
  poolSelector?: string,
): Promise<PriceChange> {
  const chainId = Number((await provider.getNetwork()).chainId);
  requireLocalChain(chainId, "set-price");
  const poolEntry = selectPool(deployment, poolSelector);
  const pool = Pool__factory.connect(poolEntry.address, signer);
  const loanToken = IERC20Metadata__factory.connect(await pool.asset(), provider);
  const loanDecimals = Number(await loanToken.decimals());

  const listed: { address: string; symbol: string }[] = [];
  for (const address of await pool.collaterals()) {
    listed.push({ address, symbol: await IERC20Metadata__factory.connect(address, provider).symbol() });
  }
  const wanted = collateralSelector.toLowerCase();
  const collateral = listed.find((entry) => entry.symbol.toLowerCase() === wanted || entry.address.toLowerCase() === wanted);
  if (collateral === undefined) {
    throw new UsageError(`The pool lists no collateral "${collateralSelector}"; it lists ${listed.map((entry) => entry.symbol).join(", ")}.`);
  }
  const collateralDecimals = Number(await IERC20Metadata__factory.connect(collateral.address, provider).decimals());
  const oracleAddress = (await pool.collateralParams(collateral.address)).oracle;
  const oracle = MockPriceOracle__factory.connect(oracleAddress, signer);
  let oldPriceE36: bigint;
  try {
    oldPriceE36 = await oracle.priceE36();
  } catch {
    throw new UsageError(`The oracle of ${collateral.symbol} (${oracleAddress}) is not a MockPriceOracle: its price cannot be set.`);
  }
  const newPriceE36 = targetPriceE36(move, oldPriceE36, loanDecimals, collateralDecimals);
  const receipt = await (await oracle.setPrice(newPriceE36)).wait();
  if (receipt === null) throw new Error(`The setPrice transaction of ${collateral.symbol}'s oracle has no receipt.`);

  // Read at the block of the move itself: a cached "latest" block number (ethers caches it briefly) would show the
  // bands from before the move under automine.
  const status = await readPoolStatus(provider, deployment, poolEntry.address, undefined, receipt.blockNumber);
  return {
    collateral: collateral.address,
    symbol: collateral.symbol,
    oracle: oracleAddress,
    loanSymbol: await loanToken.symbol(),
    oldPriceE36,
    newPriceE36,
    oldWholePriceE18: wholePriceE18(oldPriceE36, loanDecimals, collateralDecimals),
    newWholePriceE18: wholePriceE18(newPriceE36, loanDecimals, collateralDecimals),
    blockNumber: receipt.blockNumber,
    bands: status.bands,
  };
}

interface SetPriceOptions extends ConnectionOptions {
  collateral: string;
  price?: string;
  change?: string;
  pool?: string;
  account: number;
}

export function buildProgram(): Command {
  const program = new Command("set-price")
    .description("Move a collateral's mock oracle price on a local node (to rehearse a crash).")
    .requiredOption("-c, --collateral <symbol|address>", "collateral whose price to move, e.g. mWETH")
    .addOption(new Option("--price <loanPerCollateral>", "new price: whole loan tokens per whole collateral, e.g. 1800").conflicts("change"))
    .addOption(new Option("--change <percent>", "relative move in percent, e.g. -40").conflicts("price"))
    .option("-p, --pool <name|address>", "pool (default: the deployment's first)");
  addConnectionOptions(program);
  addSignerOptions(program, 0);
  program.action(async (options: SetPriceOptions) => {
    if (options.price === undefined && options.change === undefined) throw new UsageError("Give --price or --change.");
    const move: PriceMove = options.price !== undefined ? { price: options.price } : { changePercent: options.change ?? "" };
    const { provider, deployment, chainId } = await connect(options);
    try {
      requireLocalChain(chainId, "set-price");
      const signer = await resolveSigner(provider, options.account);
      const change = await setMockPrice(deployment, signer, provider, options.collateral, move, options.pool);
      console.log(
        `${change.symbol}: ${formatAmount(change.oldWholePriceE18, 18, 4)} → ${formatAmount(change.newWholePriceE18, 18, 4)} ` +
          `${change.loanSymbol} (oracle ${change.oracle})`,
      );
      const bands = Object.entries(change.bands)
        .filter(([, count]) => count > 0)
        .map(([band, count]) => `${band}: ${count}`);
      console.log(`Borrowers now (block ${change.blockNumber}): ${bands.length > 0 ? bands.join(", ") : "none"}`);
    } finally {
      provider.destroy();
    }
  });
  return program;
}

if (require.main === module) void runProgram(buildProgram());
