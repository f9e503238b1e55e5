/**
 * The demo's block clock: every block exactly `blockTimeSeconds` after the previous one, whatever the wall clock
 * says and whatever the block holds: a plain mine, a time jump, concurrent sends, or a send that reverts.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { SteppedClock } from "../../scripts/demo/clock";
import type { Eip1193Transport } from "../../keepers/src/rpc";
import { providerFor } from "../../keepers/src/rpc";

const node = network.provider as unknown as Eip1193Transport;

async function timestamps(from: number): Promise<number[]> {
  const head = await ethers.provider.getBlockNumber();
  const result: number[] = [];
  for (let number = from; number <= head; number++) result.push((await ethers.provider.getBlock(number))!.timestamp);
  return result;
}

const gaps = (values: number[]): number[] => values.slice(1).map((value, index) => value - values[index]);

describe("demo: SteppedClock", function () {
  let snapshot: string;
  beforeEach(async function () {
    snapshot = await network.provider.send("evm_snapshot", []);
  });
  afterEach(async function () {
    await network.provider.send("evm_revert", [snapshot]);
  });

  it("spaces mined blocks exactly 12 s apart, and a time jump by exactly its length", async function () {
    const clock = new SteppedClock(node, 12);
    await clock.start();
    const first = await ethers.provider.getBlockNumber();
    await clock.mine();
    await clock.mine();
    await clock.advance(30 * 86_400);
    await clock.mine();
    expect(gaps(await timestamps(first))).to.deep.equal([12, 12, 30 * 86_400, 12]);
  });

  it("keeps the spacing for concurrent sends and for a send that reverts", async function () {
    const clock = new SteppedClock(node, 12);
    await clock.start();
    const provider = providerFor(clock, 31_337);
    const [sender, receiver] = await ethers.getSigners();
    const signer = await provider.getSigner(sender.address);
    const first = await ethers.provider.getBlockNumber();
    await Promise.all([1n, 2n, 3n].map((value) => signer.sendTransaction({ to: receiver.address, value })));
    // A call to a contract that reverts: Hardhat mines the transaction, then the send throws.
    const token = await ethers.deployContract("MockERC20", ["Token", "TKN", 18]);
    const first2 = await ethers.provider.getBlockNumber();
    await clock.start();
    await expect(
      clock.request({
        method: "eth_sendTransaction",
        params: [
          {
            from: sender.address,
            to: await token.getAddress(),
            data: token.interface.encodeFunctionData("transfer", [receiver.address, 1n]),
            gas: "0x100000",
          },
        ],
      }),
    ).to.be.rejectedWith(/ERC20InsufficientBalance|revert/);
    await clock.mine();
    expect(gaps(await timestamps(first)).slice(0, 3)).to.deep.equal([12, 12, 12]);
    expect(gaps(await timestamps(first2))).to.deep.equal([12, 12]);
  });
});
