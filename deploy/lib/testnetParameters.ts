/**
 * `deploy/parameters/<network>.json`: what the `Testnet` module deploys on a public network: the loan token and its
 * USD feed, each collateral with its USD feed and risk parameters, the pool's parameters and the rate model.
 * Validated with zod before anything is sent; every bound the contracts enforce is checked here too, so a bad file
 * fails naming its field instead of reverting half-way through a deploy.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_RATE_MODEL } from "../modules/Core";

const BPS = 10_000;
const MAX_LIQUIDATION_THRESHOLD_BPS = 9_500;
const MAX_LIQUIDATION_BONUS_BPS = 2_000;
const MAX_RESERVE_FACTOR_BPS = 5_000;
const MAX_COLLATERALS = 8;
/** KinkedRateModel refuses a maximum rate above 1000% APR. */
const MAX_APR_BPS = 100_000;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte hex address");
const bps = z.number().int().nonnegative();
/** A uint as a JSON number (safe integers only) or a decimal string (any size). */
const uint = z
  .union([z.string().regex(/^\d+$/, "expected a non-negative integer as a decimal string"), z.number().int().nonnegative()])
  .transform((value) => BigInt(value));
const symbol = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,15}$/, "expected letters and digits, starting with a letter");
const maxFeedAgeSeconds = z.number().int().positive();

const feedToken = z.strictObject({
  symbol,
  address,
  /** Chainlink <token>/USD feed. */
  usdFeed: address,
  /** Oldest answer the oracle accepts: the feed's heartbeat plus a margin. */
  maxFeedAgeSeconds,
});

const collateral = feedToken.extend({
  ltvBps: bps,
  liquidationThresholdBps: bps.max(MAX_LIQUIDATION_THRESHOLD_BPS),
  liquidationBonusBps: bps.max(MAX_LIQUIDATION_BONUS_BPS),
  /** In the collateral's smallest unit. */
  supplyCap: uint,
});

export const testnetParametersSchema = z
  .strictObject({
    /** Free text for humans; ignored. */
    $comment: z.string().optional(),
    /**
     * True while the file holds example addresses nobody checked: the deploy script refuses such a file. Remove it
     * (or set it to false) once every address is one you verified on the network.
     */
    example: z.boolean().default(false),
    loanToken: feedToken,
    collaterals: z.array(collateral).min(1).max(MAX_COLLATERALS),
    pool: z.strictObject({
      name: z.string().min(1),
      symbol,
      /** bytes32 salt of the CREATE2 deployment; change it to create a second pool of the same loan token. */
      salt: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hex salt"),
      /** Receives the pool's ownership (two-step: it must call acceptOwnership). Defaults to the deployer. */
      riskManager: address.optional(),
      /** May pause the pool. Defaults to the deployer. */
      guardian: address.optional(),
      reserveFactorBps: bps.max(MAX_RESERVE_FACTOR_BPS),
      closeFactorBps: bps.min(1).max(BPS),
      fullLiquidationHealthFactor: uint.refine((value) => value <= 10n ** 18n, "must be at most 1e18"),
      /** In the loan token's smallest unit. */
      dustThresholdAssets: uint,
    }),
    rateModel: z
      .strictObject({
        baseAprBps: bps,
        slopeBelowKinkAprBps: bps,
        slopeAboveKinkAprBps: bps,
        kinkBps: bps.min(1).max(BPS - 1),
      })
      .default(DEFAULT_RATE_MODEL),
  })
  .superRefine((parameters, context) => {
    const seen = new Set<string>();
    const symbols = new Set<string>([parameters.loanToken.symbol]);
    for (const [index, entry] of parameters.collaterals.entries()) {
      const at = (field: string): (string | number)[] => ["collaterals", index, field];
      if (entry.ltvBps >= entry.liquidationThresholdBps) {
        context.addIssue({ code: "custom", path: at("ltvBps"), message: "must be below liquidationThresholdBps" });
      }
      if (entry.liquidationThresholdBps * (BPS + entry.liquidationBonusBps) >= BPS * BPS) {
        context.addIssue({
          code: "custom",
          path: at("liquidationBonusBps"),
          message: "liquidationThresholdBps × (1 + liquidationBonusBps) must stay below 100%",
        });
      }
      const key = entry.address.toLowerCase();
      if (key === parameters.loanToken.address.toLowerCase()) {
        context.addIssue({ code: "custom", path: at("address"), message: "is the loan token" });
      }
      if (seen.has(key)) context.addIssue({ code: "custom", path: at("address"), message: "is listed twice" });
      seen.add(key);
      if (symbols.has(entry.symbol)) context.addIssue({ code: "custom", path: at("symbol"), message: "is used twice" });
      symbols.add(entry.symbol);
    }
    const model = parameters.rateModel;
    const maxAprBps =
      model.baseAprBps +
      (model.slopeBelowKinkAprBps * model.kinkBps) / BPS +
      (model.slopeAboveKinkAprBps * (BPS - model.kinkBps)) / BPS;
    if (maxAprBps > MAX_APR_BPS) {
      context.addIssue({
        code: "custom",
        path: ["rateModel"],
        message: `reaches ${maxAprBps} bps APR at full utilization; KinkedRateModel allows at most ${MAX_APR_BPS}`,
      });
    }
  });

export type TestnetParameters = z.infer<typeof testnetParametersSchema>;

/** `deploy/parameters/<network>.json` under `rootDir`. */
export function testnetParametersPath(network: string, rootDir = process.cwd()): string {
  return path.join(rootDir, "deploy", "parameters", `${network}.json`);
}

/** Parses parameters, throwing one message that names the file and every offending field. */
export function parseTestnetParameters(data: unknown, source: string): TestnetParameters {
  const parsed = testnetParametersSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`${source} is not a valid parameters file:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

/** Reads and validates `deploy/parameters/<network>.json`. */
export function loadTestnetParameters(network: string, rootDir = process.cwd()): TestnetParameters {
  const file = testnetParametersPath(network, rootDir);
  if (!existsSync(file)) {
    throw new Error(
      `${file} does not exist: copy deploy/parameters/sepolia.json, fill in ${network}'s addresses, and deploy again.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
  return parseTestnetParameters(data, file);
}
