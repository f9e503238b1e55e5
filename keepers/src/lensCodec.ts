/**
 * Codec for `PoolLens.accounts(pool, address[])`, the keeper's hottest call. ethers' generic ABI coder spends ~0.5 ms
 * per returned `AccountView` (a `Result` proxy per struct, a checksum per address): 5 s of a 10,000-account scan,
 * more than the node spends computing it (measured by `npm run bench:keeper`). `AccountView` is a static tuple of 11
 * words, so the return data is `offset | length | length × 11 words` and each field is a fixed slice. The selector
 * comes from the typechain interface, and test/keeper/lensCodec.test.ts checks the codec against ethers' coder.
 */
import { Interface } from "ethers";
import { IPoolLens__factory } from "../../typechain-types";

const lensInterface: Interface = IPoolLens__factory.createInterface();
const ACCOUNTS_SELECTOR = lensInterface.getFunction("accounts")?.selector ?? "";
const WORD_HEX = 64;
const VIEW_WORDS = 11;

/** One `AccountView` as returned by the lens (fields in declaration order). */
export interface RawAccountView {
  account: string;
  debt: bigint;
  collateralValue: bigint;
  liquidationLimit: bigint;
  healthFactor: bigint;
  liquidatable: boolean;
  insolvent: boolean;
  priced: boolean;
  /** What liquidating all its collateral would repay (failed oracles at their last trusted price). */
  recoveryValue: bigint;
  /** max(0, debt − recoveryValue): what `recognizeLosses` would record now. */
  shortfall: bigint;
  /** The shortfall the pool has recorded for it. */
  recognizedShortfall: bigint;
}

const addressWord = (address: string): string => address.slice(2).toLowerCase().padStart(WORD_HEX, "0");
const lengthWord = (value: number): string => value.toString(16).padStart(WORD_HEX, "0");

/** Calldata of `accounts(pool, accounts)`; addresses must be 0x-prefixed 20-byte hex (checksummed or not). */
export function encodeAccountsCall(pool: string, accounts: readonly string[]): string {
  const parts = [ACCOUNTS_SELECTOR, addressWord(pool), lengthWord(0x40), lengthWord(accounts.length)];
  for (const account of accounts) parts.push(addressWord(account));
  return parts.join("");
}

/**
 * Decodes the return data of `accounts(pool, accounts)`. `accounts` is the list that was asked for: the lens answers
 * in the same order, so its (checksummed) strings are reused instead of checksumming every returned address again.
 */
export function decodeAccountsResult(data: string, accounts: readonly string[]): RawAccountView[] {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  const word = (index: number): string => hex.slice(index * WORD_HEX, (index + 1) * WORD_HEX);
  const start = Number.parseInt(word(0), 16) / 32;
  const length = Number.parseInt(word(start), 16);
  if (length !== accounts.length || hex.length < (start + 1 + length * VIEW_WORDS) * WORD_HEX) {
    throw new Error(
      `PoolLens.accounts returned ${length} views in ${hex.length / 2} bytes for ${accounts.length} accounts`,
    );
  }
  const views: RawAccountView[] = new Array<RawAccountView>(length);
  for (let index = 0; index < length; index++) {
    const base = start + 1 + index * VIEW_WORDS;
    const account = accounts[index];
    if (word(base).slice(24) !== account.slice(2).toLowerCase()) {
      throw new Error(`PoolLens.accounts answered for ${word(base).slice(24)} where ${account} was asked`);
    }
    views[index] = {
      account,
      debt: BigInt(`0x${word(base + 1)}`),
      collateralValue: BigInt(`0x${word(base + 2)}`),
      liquidationLimit: BigInt(`0x${word(base + 3)}`),
      healthFactor: BigInt(`0x${word(base + 4)}`),
      liquidatable: word(base + 5).endsWith("1"),
      insolvent: word(base + 6).endsWith("1"),
      priced: word(base + 7).endsWith("1"),
      recoveryValue: BigInt(`0x${word(base + 8)}`),
      shortfall: BigInt(`0x${word(base + 9)}`),
      recognizedShortfall: BigInt(`0x${word(base + 10)}`),
    };
  }
  return views;
}
