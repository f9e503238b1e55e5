import { expect } from "chai";
import fc from "fast-check";
import { getAddress } from "ethers";
import { IPoolLens__factory } from "../../typechain-types";
import { decodeAccountsResult, encodeAccountsCall } from "../../keepers/src/lensCodec";

const lens = IPoolLens__factory.createInterface();
const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((bytes) => getAddress(`0x${Buffer.from(bytes).toString("hex")}`));
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const view = fc.record({
  account: address,
  debt: uint256,
  collateralValue: uint256,
  liquidationLimit: uint256,
  healthFactor: uint256,
  liquidatable: fc.boolean(),
  insolvent: fc.boolean(),
  priced: fc.boolean(),
  recoveryValue: uint256,
  shortfall: uint256,
  recognizedShortfall: uint256,
});

describe("keeper lens codec", function () {
  it("encodes PoolLens.accounts calldata exactly as ethers does", function () {
    fc.assert(
      fc.property(address, fc.array(address, { maxLength: 40 }), (pool, accounts) => {
        expect(encodeAccountsCall(pool, accounts)).to.equal(lens.encodeFunctionData("accounts", [pool, accounts]));
      }),
      { seed: 20_261_125, numRuns: 200 },
    );
  });

  it("decodes PoolLens.accounts results exactly as ethers does", function () {
    fc.assert(
      fc.property(fc.array(view, { maxLength: 40 }), (views) => {
        const data = lens.encodeFunctionResult("accounts", [views]);
        const decoded = decodeAccountsResult(
          data,
          views.map((entry) => entry.account),
        );
        const [viaEthers] = lens.decodeFunctionResult("accounts", data);
        expect(decoded).to.deep.equal(
          viaEthers.map((entry: { toObject(): Record<string, unknown> }) => entry.toObject()),
        );
      }),
      { seed: 20_261_125, numRuns: 200 },
    );
  });

  it("refuses an answer that does not match the accounts asked for", function () {
    const [asked, other] = [`0x${"aa".repeat(20)}`, `0x${"bb".repeat(20)}`];
    const answer = lens.encodeFunctionResult("accounts", [
      [
        {
          account: other,
          debt: 1n,
          collateralValue: 0n,
          liquidationLimit: 0n,
          healthFactor: 0n,
          liquidatable: true,
          insolvent: true,
          priced: true,
          recoveryValue: 0n,
          shortfall: 1n,
          recognizedShortfall: 0n,
        },
      ],
    ]);
    expect(() => decodeAccountsResult(answer, [asked])).to.throw(/answered for bb.* where 0xaa.* was asked/);
    expect(() => decodeAccountsResult(answer, [asked, other])).to.throw(/returned 1 views .* for 2 accounts/);
  });
});
