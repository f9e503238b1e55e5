/**
 * Loss recognition policy: which accounts' recorded shortfall is stale enough to refresh with `recognizeLosses`.
 *
 * An account's live shortfall (max(0, debt − recovery value), valued by the model and confirmed by the lens) differs
 * "materially" from the one the pool recorded when the difference, either way, exceeds `--recognition-threshold`:
 * a number of loan-asset units (`2.5`), or basis points of the account's debt (`10bps`). `0` refreshes any change.
 * The keeper sends one `recognizeLosses` per pool per block, split into several transactions of at most
 * `--recognition-batch-size` accounts when there are more (all in the same block).
 */
import { bpsDown, zeroFloorSub } from "./model/poolMath";

export type RecognitionThreshold =
  { kind: "bps"; bps: bigint; text: string } | { kind: "assets"; wholeUnits: string; text: string };

export const DEFAULT_RECOGNITION_THRESHOLD = "10bps";
export const DEFAULT_RECOGNITION_BATCH_SIZE = 200;

const THRESHOLD_PATTERN = /^(\d+(?:\.\d+)?)(bps)?$/;

/** Whether `text` is a valid threshold: a non-negative decimal of loan-asset units, or an integer followed by `bps`. */
export function isRecognitionThreshold(text: string): boolean {
  const match = THRESHOLD_PATTERN.exec(text.trim());
  return match !== null && (match[2] === undefined || !match[1].includes("."));
}

/** Parses `--recognition-threshold`; throws on a malformed value. */
export function parseRecognitionThreshold(text: string): RecognitionThreshold {
  const trimmed = text.trim();
  const match = THRESHOLD_PATTERN.exec(trimmed);
  if (match === null || !isRecognitionThreshold(trimmed)) {
    throw new Error(`recognition threshold "${text}": give loan-asset units (2.5) or basis points of the debt (10bps)`);
  }
  return match[2] === undefined
    ? { kind: "assets", wholeUnits: match[1], text: trimmed }
    : { kind: "bps", bps: BigInt(match[1]), text: trimmed };
}

/** Whole loan-asset units (a decimal string) in the smallest unit, rounded down (extra decimals are dropped). */
export function wholeUnitsToAssets(wholeUnits: string, decimals: number): bigint {
  const [integer, fraction = ""] = wholeUnits.split(".");
  return BigInt(integer) * 10n ** BigInt(decimals) + BigInt(fraction.slice(0, decimals).padEnd(decimals, "0") || "0");
}

/** The largest change of `debt`'s shortfall that is not material, in the loan asset's smallest unit. */
export function thresholdAssets(threshold: RecognitionThreshold, debt: bigint, loanDecimals: number): bigint {
  return threshold.kind === "bps"
    ? bpsDown(debt, threshold.bps)
    : wholeUnitsToAssets(threshold.wholeUnits, loanDecimals);
}

/** |live − recorded|. */
export const shortfallGap = (live: bigint, recorded: bigint): bigint =>
  live > recorded ? live - recorded : zeroFloorSub(recorded, live);

/** Whether the live shortfall differs from the recorded one by more than the threshold (any change at 0). */
export function isMaterialChange(
  live: bigint,
  recorded: bigint,
  debt: bigint,
  threshold: RecognitionThreshold,
  loanDecimals: number,
): boolean {
  return shortfallGap(live, recorded) > thresholdAssets(threshold, debt, loanDecimals);
}

/** Splits `accounts` into consecutive batches of at most `batchSize`. */
export function batches<T>(items: readonly T[], batchSize: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += batchSize) result.push(items.slice(start, start + batchSize));
  return result;
}

/** One `recognizeLosses` transaction: the accounts it refreshes, in calldata order. */
export interface RecognitionPlan {
  kind: "recognize";
  pool: string;
  accounts: string[];
  /** Their recorded shortfalls at the scan (same order). */
  recordedAtScan: bigint[];
  /** Σ (live − recorded) over the accounts, at the scan: the change of the pool's total recognized shortfall. */
  expectedShortfallChange: bigint;
}
