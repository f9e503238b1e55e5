/**
 * EIP-2612 permits: the typed data a wallet signs so that the pool may pull the loan asset in the same transaction
 * as the deposit (`depositWithPermit`). One copy for the app and the tests.
 */
import { Signature, type TypedDataDomain } from "ethers";

/** The EIP-712 `Permit` type of EIP-2612. */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export interface PermitMessage {
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

/** What `eip712Domain()` (ERC-5267) returns, as ethers decodes it. */
export interface Eip712DomainFields {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

/** The signing domain of a token, from its `eip712Domain()`. */
export function permitDomain(fields: Eip712DomainFields): TypedDataDomain {
  return {
    name: fields.name,
    version: fields.version,
    chainId: fields.chainId,
    verifyingContract: fields.verifyingContract,
  };
}

/** Anything that signs EIP-712 typed data: an ethers signer (wallet, JSON-RPC or browser). */
export interface TypedDataSigner {
  signTypedData(domain: TypedDataDomain, types: typeof PERMIT_TYPES, value: PermitMessage): Promise<string>;
}

/** Signs `message` and splits the signature into the (v, r, s) that `permit` and `depositWithPermit` take. */
export async function signPermit(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  message: PermitMessage,
): Promise<{ v: number; r: string; s: string; signature: Signature }> {
  const signature = Signature.from(await signer.signTypedData(domain, PERMIT_TYPES, message));
  return { v: signature.v, r: signature.r, s: signature.s, signature };
}
