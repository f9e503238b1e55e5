/**
 * `lp`: an LP's deposit / withdraw / redeem / position from the command line, always through the pool's
 * slippage-bounded calls (depositWithMinShares, withdrawWithMaxShares, redeemWithMinAssets): the preview is shown
 * first, the bound is the preview moved by --slippage-bps against the LP, and a write-down landing in between makes
 * the transaction revert instead of filling at a worse price.
 *
 *   ts-node scripts/lp.ts position --account 1
 *   ts-node scripts/lp.ts deposit 1000 --account 1 [--slippage-bps 50] [--dry-run]
 *   ts-node scripts/lp.ts withdraw 250.5 --account 1
 *   ts-node scripts/lp.ts redeem all --account 1            # or a number of shares
 *   PRIVATE_KEY=0x… ts-node scripts/lp.ts deposit 10 --network sepolia
 */
import { Command, Option } from "commander";
import { MaxUint256, parseUnits, type Signer } from "ethers";
import { IERC20Metadata__factory, Pool__factory } from "../typechain-types";
import type { Pool } from "../typechain-types";
import { BPS, bpsDown, bpsUp, reserveCoveringShortfall } from "../keepers/src/model/poolMath";
import {
  addConnectionOptions,
  addSignerOptions,
  connect,
  resolveSigner,
  runProgram,
  selectPool,
  UsageError,
  type ConnectionOptions,
} from "./lib/connect";
import { formatAmount } from "./lib/format";

export const DEFAULT_SLIPPAGE_BPS = 50n;

export interface LpPosition {
  account: string;
  /** The block every figure was read at. */
  blockNumber: number;
  shares: bigint;
  shareDecimals: number;
  /** What redeeming every share pays now: the exit value, net of the recognized shortfall. */
  redeemableAssets: bigint;
  maxWithdraw: bigint;
  maxRedeem: bigint;
  walletAssets: bigint;
  /** The account's part of all shares, in bps. */
  poolShareBps: bigint;
  /** The exit price (`sharePrice()`): what a withdrawal or redemption pays per whole share. */
  sharePrice: bigint;
  /** The entry price (`entrySharePrice()`): what a deposit pays per whole share. */
  entrySharePrice: bigint;
  /** The pool's recognized shortfall (`totalRecognizedShortfall()`). */
  totalShortfall: bigint;
  /** The reserve's part that covers it (first loss). */
  reserveCoveringShortfall: bigint;
  /** What exits are priced net of: the shortfall the reserve does not cover (`entryTotalAssets() − totalAssets()`). */
  shortfallDeductedFromExits: bigint;
  loanDecimals: number;
  loanSymbol: string;
}

/** The account's position and the pool's prices, every figure read at one block. */
export async function readPosition(pool: Pool, account: string): Promise<LpPosition> {
  const runner = pool.runner;
  const provider = runner?.provider;
  if (provider === null || provider === undefined) throw new Error("the pool contract has no provider");
  const blockNumber = await provider.getBlockNumber();
  const at = { blockTag: blockNumber };
  const loanToken = IERC20Metadata__factory.connect(await pool.asset(at), runner);
  const shares = await pool.balanceOf(account, at);
  const totalSupply = await pool.totalSupply(at);
  const reserve = await pool.reserveAssets(at);
  const totalShortfall = await pool.totalRecognizedShortfall(at);
  return {
    account,
    blockNumber,
    shares,
    shareDecimals: Number(await pool.decimals(at)),
    redeemableAssets: shares === 0n ? 0n : await pool.previewRedeem(shares, at),
    maxWithdraw: await pool.maxWithdraw(account, at),
    maxRedeem: await pool.maxRedeem(account, at),
    walletAssets: await loanToken.balanceOf(account, at),
    poolShareBps: totalSupply === 0n ? 0n : (shares * BPS) / totalSupply,
    sharePrice: await pool.sharePrice(at),
    entrySharePrice: await pool.entrySharePrice(at),
    totalShortfall,
    reserveCoveringShortfall: reserveCoveringShortfall(reserve, totalShortfall),
    shortfallDeductedFromExits: (await pool.entryTotalAssets(at)) - (await pool.totalAssets(at)),
    loanDecimals: Number(await loanToken.decimals(at)),
    loanSymbol: await loanToken.symbol(at),
  };
}

export interface LpActionResult {
  action: "deposit" | "withdraw" | "redeem";
  /** What the preview said: shares minted (deposit), shares burned (withdraw) or assets paid (redeem). */
  preview: bigint;
  /** The bound sent with the call: minShares, maxShares or minAssets. */
  bound: bigint;
  assets: bigint;
  shares: bigint;
  /** Undefined for a dry run. */
  txHash?: string;
}

/** `amount` of the pool's loan token, formatted with its symbol (for messages). */
async function loanAmount(pool: Pool, amount: bigint): Promise<string> {
  const loanToken = IERC20Metadata__factory.connect(await pool.asset(), pool.runner);
  return `${formatAmount(amount, Number(await loanToken.decimals()), 6)} ${await loanToken.symbol()}`;
}

/** `shares` of the pool, formatted (for messages). */
async function shareAmount(pool: Pool, shares: bigint): Promise<string> {
  return `${formatAmount(shares, Number(await pool.decimals()), 6)} shares`;
}

function checkSlippage(slippageBps: bigint): void {
  if (slippageBps < 0n || slippageBps >= BPS) throw new UsageError(`--slippage-bps must be between 0 and ${BPS - 1n}.`);
}

/** Deposits `assets` for `signer`, requiring at least the preview's shares less `slippageBps`. */
export async function lpDeposit(pool: Pool, signer: Signer, assets: bigint, slippageBps = DEFAULT_SLIPPAGE_BPS, dryRun = false): Promise<LpActionResult> {
  checkSlippage(slippageBps);
  const account = await signer.getAddress();
  const loanToken = IERC20Metadata__factory.connect(await pool.asset(), signer);
  const balance = await loanToken.balanceOf(account);
  if (balance < assets) throw new UsageError(`The account holds ${await loanAmount(pool, balance)}, less than the ${await loanAmount(pool, assets)} to deposit.`);
  const maxDeposit = await pool.maxDeposit(account);
  if (assets > maxDeposit) throw new UsageError(`The pool accepts at most ${await loanAmount(pool, maxDeposit)} now${maxDeposit === 0n ? " (paused)" : ""}.`);
  const preview = await pool.previewDeposit(assets);
  const minShares = bpsDown(preview, BPS - slippageBps);
  if (dryRun) return { action: "deposit", preview, bound: minShares, assets, shares: preview };
  const poolAddress = await pool.getAddress();
  if ((await loanToken.allowance(account, poolAddress)) < assets) await (await loanToken.approve(poolAddress, MaxUint256)).wait();
  const receipt = await (await pool.connect(signer).depositWithMinShares(assets, account, minShares)).wait();
  const event = receipt?.logs.map((log) => pool.interface.parseLog(log)).find((parsed) => parsed?.name === "Deposit");
  return { action: "deposit", preview, bound: minShares, assets, shares: event?.args.shares ?? preview, txHash: receipt?.hash };
}

/** Withdraws exactly `assets`, burning at most the preview's shares plus `slippageBps`. */
export async function lpWithdraw(pool: Pool, signer: Signer, assets: bigint, slippageBps = DEFAULT_SLIPPAGE_BPS, dryRun = false): Promise<LpActionResult> {
  checkSlippage(slippageBps);
  const account = await signer.getAddress();
  const maxWithdraw = await pool.maxWithdraw(account);
  if (assets > maxWithdraw) {
    throw new UsageError(
      `The account can withdraw at most ${await loanAmount(pool, maxWithdraw)} now ` +
        `(its shares' value, capped by the pool's idle cash of ${await loanAmount(pool, await pool.cash())}).`,
    );
  }
  const preview = await pool.previewWithdraw(assets);
  const maxShares = bpsUp(preview, BPS + slippageBps);
  if (dryRun) return { action: "withdraw", preview, bound: maxShares, assets, shares: preview };
  const receipt = await (await pool.connect(signer).withdrawWithMaxShares(assets, account, account, maxShares)).wait();
  const event = receipt?.logs.map((log) => pool.interface.parseLog(log)).find((parsed) => parsed?.name === "Withdraw");
  return { action: "withdraw", preview, bound: maxShares, assets, shares: event?.args.shares ?? preview, txHash: receipt?.hash };
}

/** Redeems `shares` ("all": every share the pool lets it redeem now), for at least the preview less `slippageBps`. */
export async function lpRedeem(pool: Pool, signer: Signer, shares: bigint | "all", slippageBps = DEFAULT_SLIPPAGE_BPS, dryRun = false): Promise<LpActionResult> {
  checkSlippage(slippageBps);
  const account = await signer.getAddress();
  const maxRedeem = await pool.maxRedeem(account);
  const amount = shares === "all" ? maxRedeem : shares;
  if (amount === 0n) throw new UsageError("Nothing to redeem: the account has no shares it can redeem now.");
  if (amount > maxRedeem) throw new UsageError(`The account can redeem at most ${await shareAmount(pool, maxRedeem)} now (its balance, capped by the pool's idle cash).`);
  const preview = await pool.previewRedeem(amount);
  const minAssets = bpsDown(preview, BPS - slippageBps);
  if (dryRun) return { action: "redeem", preview, bound: minAssets, assets: preview, shares: amount };
  const receipt = await (await pool.connect(signer).redeemWithMinAssets(amount, account, account, minAssets)).wait();
  const event = receipt?.logs.map((log) => pool.interface.parseLog(log)).find((parsed) => parsed?.name === "Withdraw");
  return { action: "redeem", preview, bound: minAssets, assets: event?.args.assets ?? preview, shares: amount, txHash: receipt?.hash };
}

/** Parses a decimal amount in a token's units, saying which argument was wrong. */
export function parseAmount(value: string, decimals: number, what: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${what} expects a positive decimal number, got "${value}".`);
  const fraction = value.split(".")[1] ?? "";
  if (fraction.length > decimals) throw new UsageError(`${what} has more than ${decimals} decimals: "${value}".`);
  const amount = parseUnits(value, decimals);
  if (amount === 0n) throw new UsageError(`${what} must be more than 0.`);
  return amount;
}

export function renderPosition(position: LpPosition): string {
  const amount = (value: bigint): string => `${formatAmount(value, position.loanDecimals)} ${position.loanSymbol}`;
  const price = (value: bigint): string => `${formatAmount(value, position.loanDecimals, 6)} ${position.loanSymbol}`;
  return [
    `account          ${position.account}`,
    `shares           ${formatAmount(position.shares, position.shareDecimals, 6)} (${formatAmount(position.poolShareBps * 100n, 4, 2)}% of the pool)`,
    `value (redeem)   ${amount(position.redeemableAssets)} at the exit price`,
    `max withdraw now ${amount(position.maxWithdraw)}`,
    `exit price       ${price(position.sharePrice)} per share: withdrawals and redemptions, net of recognized losses`,
    `entry price      ${price(position.entrySharePrice)} per share: deposits`,
    position.totalShortfall === 0n
      ? `shortfall        none recognized`
      : `shortfall        ${amount(position.totalShortfall)} recognized: the reserve covers ${amount(position.reserveCoveringShortfall)}, ` +
        `exits are priced net of ${amount(position.shortfallDeductedFromExits)}`,
    `wallet           ${amount(position.walletAssets)}`,
  ].join("\n");
}

interface LpOptions extends ConnectionOptions {
  account: number;
  pool?: string;
  slippageBps: bigint;
  dryRun?: boolean;
}

function addLpOptions(command: Command): Command {
  command
    .option("-p, --pool <name|address>", "pool (default: the deployment's first)")
    .addOption(
      new Option("--slippage-bps <bps>", "worst acceptable move from the preview, in basis points")
        .default(DEFAULT_SLIPPAGE_BPS, "50 = 0.5%")
        .argParser((value) => {
          if (!/^\d+$/.test(value)) throw new UsageError(`--slippage-bps expects whole basis points, got "${value}".`);
          return BigInt(value);
        }),
    )
    .option("--dry-run", "show the preview and the bound, send nothing");
  addConnectionOptions(command);
  return addSignerOptions(command, 1);
}

async function withPool(options: LpOptions, act: (pool: Pool, signer: Signer, loanDecimals: number, loanSymbol: string) => Promise<void>): Promise<void> {
  const { provider, deployment } = await connect(options);
  try {
    const signer = await resolveSigner(provider, options.account);
    const pool = Pool__factory.connect(selectPool(deployment, options.pool).address, signer);
    const loanToken = IERC20Metadata__factory.connect(await pool.asset(), provider);
    await act(pool, signer, Number(await loanToken.decimals()), await loanToken.symbol());
    console.log(renderPosition(await readPosition(pool, await signer.getAddress())));
  } finally {
    provider.destroy();
  }
}

function reportAction(result: LpActionResult, loanDecimals: number, loanSymbol: string, shareDecimals: number): void {
  const assets = `${formatAmount(result.assets, loanDecimals, 6)} ${loanSymbol}`;
  const shares = (value: bigint): string => `${formatAmount(value, shareDecimals, 6)} shares`;
  const preview =
    result.action === "deposit"
      ? `preview: ${assets} → ${shares(result.preview)}; at least ${shares(result.bound)}`
      : result.action === "withdraw"
        ? `preview: ${assets} for ${shares(result.preview)}; at most ${shares(result.bound)}`
        : `preview: ${shares(result.shares)} → ${formatAmount(result.preview, loanDecimals, 6)} ${loanSymbol}; at least ${formatAmount(result.bound, loanDecimals, 6)} ${loanSymbol}`;
  console.log(preview);
  if (result.txHash === undefined) console.log("dry run: nothing sent");
  else console.log(`${result.action}: ${assets} / ${shares(result.shares)} in ${result.txHash}`);
}

export function buildProgram(): Command {
  const program = new Command("lp").description("Deposit, withdraw, redeem or show a position in a pool, with slippage bounds.");
  addLpOptions(program.command("position").description("show the account's shares, their value and what it can withdraw now")).action(
    async (options: LpOptions) => withPool(options, async () => undefined),
  );
  addLpOptions(program.command("deposit").description("deposit loan tokens (depositWithMinShares)").argument("<amount>", "whole loan tokens, e.g. 1000.5")).action(
    async (amount: string, options: LpOptions) =>
      withPool(options, async (pool, signer, loanDecimals, loanSymbol) => {
        const result = await lpDeposit(pool, signer, parseAmount(amount, loanDecimals, "<amount>"), options.slippageBps, options.dryRun);
        reportAction(result, loanDecimals, loanSymbol, Number(await pool.decimals()));
      }),
  );
  addLpOptions(program.command("withdraw").description("withdraw an exact amount of loan tokens (withdrawWithMaxShares)").argument("<amount>", "whole loan tokens")).action(
    async (amount: string, options: LpOptions) =>
      withPool(options, async (pool, signer, loanDecimals, loanSymbol) => {
        const result = await lpWithdraw(pool, signer, parseAmount(amount, loanDecimals, "<amount>"), options.slippageBps, options.dryRun);
        reportAction(result, loanDecimals, loanSymbol, Number(await pool.decimals()));
      }),
  );
  addLpOptions(program.command("redeem").description("redeem shares for loan tokens (redeemWithMinAssets)").argument("<shares>", '"all" or a number of whole shares')).action(
    async (sharesArgument: string, options: LpOptions) =>
      withPool(options, async (pool, signer, loanDecimals, loanSymbol) => {
        const shareDecimals = Number(await pool.decimals());
        const shares = sharesArgument === "all" ? "all" : parseAmount(sharesArgument, shareDecimals, "<shares>");
        const result = await lpRedeem(pool, signer, shares, options.slippageBps, options.dryRun);
        reportAction(result, loanDecimals, loanSymbol, shareDecimals);
      }),
  );
  return program;
}

if (require.main === module) void runProgram(buildProgram());
