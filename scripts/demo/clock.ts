/**
 * A block clock for the in-process Hardhat network that makes runs repeatable: every block is mined exactly
 * `blockTimeSeconds` after the previous one, whatever the wall clock says. Hardhat otherwise stamps a block with the
 * wall-clock time, so interest (and every figure after it) would differ between two runs by the seconds the
 * machine took.
 *
 * It is an EIP-1193 transport wrapped around the node's provider: after any request that may mine a block (whether
 * it succeeded or reverted) it sets the next block's timestamp (`evm_setNextBlockTimestamp`), so pending-block calls
 * see the same time too. Every request goes through one queue, so no call can run between a block being mined and
 * the next timestamp being set (in-process, the queue costs nothing: the node answers one request at a time anyway).
 */
import type { Eip1193Transport, RequestArguments } from "../../keepers/src/rpc";

/** Methods after which the head may have moved. */
const MINING_METHODS: ReadonlySet<string> = new Set([
  "eth_sendTransaction",
  "eth_sendRawTransaction",
  "evm_mine",
  "hardhat_mine",
  "evm_setAutomine",
]);

export class SteppedClock implements Eip1193Transport {
  private queue: Promise<unknown> = Promise.resolve();
  private nextTimestamp = 0;

  constructor(
    private readonly inner: Eip1193Transport,
    readonly blockTimeSeconds = 12,
  ) {}

  /** Schedules the next block `blockTimeSeconds` after the head. Call once before the first request through it. */
  async start(): Promise<void> {
    await this.scheduleAfterHead(this.blockTimeSeconds);
  }

  async request(args: RequestArguments): Promise<unknown> {
    if (!MINING_METHODS.has(args.method)) return this.serialized(() => this.inner.request(args));
    return this.serialized(async () => {
      try {
        return await this.inner.request(args);
      } finally {
        // A reverted transaction is mined too (and throws): schedule the next block either way.
        await this.scheduleAfterHead(this.blockTimeSeconds);
      }
    });
  }

  /** Mines one block `blockTimeSeconds` after the head. */
  async mine(): Promise<void> {
    await this.request({ method: "evm_mine", params: [] });
  }

  /** Lets `seconds` pass: mines one block that much after the head. */
  async advance(seconds: number): Promise<void> {
    await this.serialized(async () => {
      await this.scheduleAfterHead(seconds);
      await this.inner.request({ method: "evm_mine", params: [] });
      await this.scheduleAfterHead(this.blockTimeSeconds);
    });
  }

  /** Timestamp the next block will carry. */
  get next(): number {
    return this.nextTimestamp;
  }

  private async scheduleAfterHead(seconds: number): Promise<void> {
    const head = (await this.inner.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
      timestamp: string;
    };
    const timestamp = Number(BigInt(head.timestamp)) + seconds;
    if (timestamp === this.nextTimestamp) return;
    await this.inner.request({ method: "evm_setNextBlockTimestamp", params: [timestamp] });
    this.nextTimestamp = timestamp;
  }

  private serialized<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
