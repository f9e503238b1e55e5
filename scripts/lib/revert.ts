/**
 * What a failed call says, however the wallet, node or ethers wrapped it: the custom error it reverted with (decoded
 * with the Pool ABI, which declares every error a pool, its loan asset or its oracles raise through it), whether it
 * was a revert at all or the node failing to answer, and whether the user turned the request down. Shared by the
 * operator scripts (`shortMessage`) and the LP app (`app/src/lib/errors.ts`).
 */
import type { Result } from "ethers";
import { Pool__factory } from "../../typechain-types/factories/contracts/Pool__factory";

/** Every error a pool raises, its ERC-20/ERC-4626/EIP-2612 ones included (same selectors as the loan asset's). */
const POOL_INTERFACE = Pool__factory.createInterface();

export interface DecodedRevert {
  name: string;
  args: readonly unknown[];
}

type ErrorLike = {
  revert?: { name: string; args: Result | readonly unknown[] } | null;
  data?: unknown;
  code?: unknown;
  shortMessage?: unknown;
  message?: unknown;
  info?: { error?: unknown };
  error?: unknown;
  cause?: unknown;
};

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === "object" && value !== null;
}

/** The objects an error wraps (ethers' `info.error`, a provider's `error`, `cause`), the error itself first. */
function* layers(error: unknown, depth = 0): Generator<ErrorLike> {
  if (!isErrorLike(error) || depth > 5) return;
  yield error;
  for (const inner of [error.info?.error, error.error, error.cause]) yield* layers(inner, depth + 1);
}

/** The revert's custom error, from ethers' decoded `revert` or any revert data in the error's layers. */
export function decodeRevert(error: unknown): DecodedRevert | null {
  for (const layer of layers(error)) {
    if (layer.revert) return { name: layer.revert.name, args: [...layer.revert.args] };
    const data = typeof layer.data === "string" ? layer.data : isErrorLike(layer.data) ? layer.data.data : undefined;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) {
      const parsed = POOL_INTERFACE.parseError(data);
      if (parsed !== null) return { name: parsed.name, args: [...parsed.args] };
    }
  }
  return null;
}

/** How nodes word a revert: geth "execution reverted", Hardhat "Transaction reverted: …", "function selector …". */
const NODE_REVERT_MESSAGE = /execution reverted|transaction reverted|function selector was not recognized/i;

/**
 * True when the node says the call reverted, as opposed to failing to answer. ethers turns every JSON-RPC error of
 * an `eth_call` into CALL_EXCEPTION, a node's "header not found" too, so that code alone proves nothing: a revert is
 * non-empty revert data, an empty result that cannot be decoded (BAD_DATA: the function does not exist), JSON-RPC
 * error code 3, or a node error worded as a revert (not ethers' own message, which prints "revert=null").
 */
export function isRevert(error: unknown): boolean {
  for (const layer of layers(error)) {
    if (layer.code === "BAD_DATA" || layer.code === 3) return true;
    if (typeof layer.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(layer.data)) return true;
    const fromEthers = typeof layer.shortMessage === "string";
    if (!fromEthers && typeof layer.message === "string" && NODE_REVERT_MESSAGE.test(layer.message)) return true;
  }
  return false;
}

/** True when the user turned the request down in the wallet (EIP-1193 code 4001, ethers' ACTION_REJECTED). */
export function isUserRejection(error: unknown): boolean {
  for (const layer of layers(error)) if (layer.code === 4001 || layer.code === "ACTION_REJECTED") return true;
  return false;
}

/** `Name(arg, …)`. */
export function formatRevert(revert: DecodedRevert): string {
  return `${revert.name}(${revert.args.map((arg) => String(arg)).join(", ")})`;
}

/** ethers' short message on any layer (`short`), else the error's own message, else the value as text. */
export function failureMessage(error: unknown): { text: string; short: boolean } {
  for (const layer of layers(error)) {
    if (typeof layer.shortMessage === "string") return { text: layer.shortMessage, short: true };
  }
  const message = isErrorLike(error) && typeof error.message === "string" ? error.message : String(error);
  return { text: message, short: false };
}
