/**
 * `seed-local`: fills the LocalDevnet pool of a local node with LPs and borrowers whose positions range from safe to
 * just above the borrow limit, so `status`, `set-price` and the keeper have something to show. Refuses any chain
 * but a local Hardhat node. Tokens missing from an account are minted (the mock tokens let anyone mint).
 *
 *   ts-node scripts/seed-local.ts [--network localhost] [--rpc-url URL]
 */
import { Command } from "commander";
import { MaxUint256, parseUnits, type Signer } from "ethers";
import { IERC20Metadata__factory, MockERC20__factory, Pool__factory } from "../typechain-types";
import type { Deployment } from "../keepers/src/deployments";
import { BPS, bpsDown, bpsUp, min, mulDivDown, WAD } from "../keepers/src/model/poolMath";
import { addConnectionOptions, connect, requireLocalChain, runProgram, selectPool, UsageError, type ConnectionOptions } from "./lib/connect";
import { formatAmount, formatHealthFactor } from "./lib/format";

export interface SeedLp {
  accountIndex: number;
  /** Whole loan assets deposited. */
  deposit: string;
}

export interface SeedBorrower {
  accountIndex: number;
  /** Whole collateral supplied, by collateral symbol. */
  collateral: Record<string, string>;
  /** Health factor aimed at (e.g. "1.5"); capped by the borrow limit (LTV), so very low targets land at the limit. */
  targetHealthFactor: string;
}

export interface SeedPlan {
  lps: SeedLp[];
  borrowers: SeedBorrower[];
}

/**
 * Three LPs of 100k, 250k and 50k (the loss-path sizes of docs/design.md) and five borrowers from safe (health 2)
 * to as close to the limit as the LTV allows, one of them on two collaterals.
 */
export const DEFAULT_SEED_PLAN: SeedPlan = {
  lps: [
    { accountIndex: 1, deposit: "100000" },
    { accountIndex: 2, deposit: "250000" },
    { accountIndex: 3, deposit: "50000" },
  ],
  borrowers: [
    { accountIndex: 4, collateral: { mWETH: "20" }, targetHealthFactor: "2" },
    { accountIndex: 5, collateral: { mWBTC: "1", mWETH: "10" }, targetHealthFactor: "1.4" },
    { accountIndex: 6, collateral: { mWETH: "15" }, targetHealthFactor: "1.15" },
    { accountIndex: 7, collateral: { mWBTC: "0.5" }, targetHealthFactor: "1.08" },
    { accountIndex: 8, collateral: { mWETH: "8" }, targetHealthFactor: "1.01" },
  ],
};

export interface SeededBorrower {
  account: string;
  borrowed: bigint;
  healthFactor: bigint;
}

export interface SeedResult {
  lps: { account: string; deposited: bigint; shares: bigint }[];
  borrowers: SeededBorrower[];
}

/** Slippage accepted on the seeded deposits (0.5%). */
const SEED_SLIPPAGE_BPS = 50n;

/**
 * Loan-asset units a borrow stays under the limit by, on top of 1 bps of the limit: a borrow's debt rounds up, and
 * an account seeded twice owes interest accrued between the view and the borrow.
 */
const BORROW_LIMIT_MARGIN = 10n;

/**
 * Carries out `plan` on the deployment's first pool (or `poolSelector`). `signerAt(i)` is the node's account i.
 * Every amount is checked against the pool before it is sent.
 */
export async function seedLocal(
  deployment: Deployment,
  signerAt: (index: number) => Promise<Signer>,
  plan: SeedPlan = DEFAULT_SEED_PLAN,
  options: { poolSelector?: string; log?: (line: string) => void } = {},
): Promise<SeedResult> {
  const log = options.log ?? (() => undefined);
  const poolEntry = selectPool(deployment, options.poolSelector);
  const anySigner = await signerAt(0);
  const pool = Pool__factory.connect(poolEntry.address, anySigner);
  const loanToken = IERC20Metadata__factory.connect(await pool.asset(), anySigner);
  const loanDecimals = Number(await loanToken.decimals());
  const loanSymbol = await loanToken.symbol();

  const collateralBySymbol = new Map<string, { address: string; decimals: number }>();
  for (const address of await pool.collaterals()) {
    const token = IERC20Metadata__factory.connect(address, anySigner);
    collateralBySymbol.set(await token.symbol(), { address, decimals: Number(await token.decimals()) });
  }

  const result: SeedResult = { lps: [], borrowers: [] };
  for (const lp of plan.lps) {
    const signer = await signerAt(lp.accountIndex);
    const account = await signer.getAddress();
    const assets = parseUnits(lp.deposit, loanDecimals);
    await fund(signer, await loanToken.getAddress(), assets, poolEntry.address);
    // The preview is one block old when the deposit lands: interest accrued in between lowers the shares a little.
    const minShares = bpsDown(await pool.previewDeposit(assets), BPS - SEED_SLIPPAGE_BPS);
    const sharesBefore = await pool.balanceOf(account);
    await (await pool.connect(signer).depositWithMinShares(assets, account, minShares)).wait();
    const shares = (await pool.balanceOf(account)) - sharesBefore;
    result.lps.push({ account, deposited: assets, shares });
    log(`LP       #${lp.accountIndex} ${account} deposited ${formatAmount(assets, loanDecimals)} ${loanSymbol}`);
  }

  for (const borrower of plan.borrowers) {
    const signer = await signerAt(borrower.accountIndex);
    const account = await signer.getAddress();
    for (const [symbol, whole] of Object.entries(borrower.collateral)) {
      const collateral = collateralBySymbol.get(symbol);
      if (collateral === undefined) {
        throw new UsageError(`The pool lists no collateral "${symbol}"; it lists ${[...collateralBySymbol.keys()].join(", ")}.`);
      }
      const amount = parseUnits(whole, collateral.decimals);
      await fund(signer, collateral.address, amount, poolEntry.address);
      await (await pool.connect(signer).supplyCollateral(collateral.address, amount, account)).wait();
    }
    const liquidity = await pool.accountLiquidity(account);
    const targetDebt = mulDivDown(liquidity.liquidationLimit, WAD, parseUnits(borrower.targetHealthFactor, 18));
    const margin = BORROW_LIMIT_MARGIN + bpsUp(liquidity.borrowLimit, 1n);
    const debtCap = min(targetDebt, liquidity.borrowLimit - min(liquidity.borrowLimit, margin));
    const borrowAssets = debtCap > liquidity.debt ? debtCap - liquidity.debt : 0n;
    if (borrowAssets > 0n) await (await pool.connect(signer).borrow(borrowAssets, account)).wait();
    const healthFactor = await pool.healthFactor(account);
    result.borrowers.push({ account, borrowed: borrowAssets, healthFactor });
    log(
      `borrower #${borrower.accountIndex} ${account} borrowed ${formatAmount(borrowAssets, loanDecimals)} ${loanSymbol} ` +
        `against ${Object.entries(borrower.collateral).map(([symbol, whole]) => `${whole} ${symbol}`).join(" + ")}: ` +
        `health ${formatHealthFactor(healthFactor)}`,
    );
  }
  return result;
}

/** Mints what `signer` lacks of `amount` (mock tokens only) and approves `spender` for it. */
async function fund(signer: Signer, tokenAddress: string, amount: bigint, spender: string): Promise<void> {
  const token = MockERC20__factory.connect(tokenAddress, signer);
  const account = await signer.getAddress();
  const balance = await token.balanceOf(account);
  if (balance < amount) await (await token.mint(account, amount - balance)).wait();
  if ((await token.allowance(account, spender)) < amount) await (await token.approve(spender, MaxUint256)).wait();
}

interface SeedOptions extends ConnectionOptions {
  pool?: string;
}

export function buildProgram(): Command {
  const program = new Command("seed-local")
    .description(
      "Seed a local node's pool: LPs (accounts 1-3: 100k, 250k, 50k) and borrowers (accounts 4-8) from safe to near their limit.",
    )
    .option("-p, --pool <name|address>", "pool to seed (default: the deployment's first)");
  addConnectionOptions(program);
  program.action(async (options: SeedOptions) => {
    const { provider, deployment, chainId } = await connect(options);
    try {
      requireLocalChain(chainId, "seed-local");
      await seedLocal(deployment, (index) => provider.getSigner(index), DEFAULT_SEED_PLAN, {
        poolSelector: options.pool,
        log: (line) => console.log(line),
      });
      console.log("Seeded. Next: npm run status, then npm run set-price -- --collateral mWETH --change -40");
    } finally {
      provider.destroy();
    }
  });
  return program;
}

if (require.main === module) void runProgram(buildProgram());
