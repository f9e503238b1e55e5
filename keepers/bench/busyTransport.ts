/**
 * Wraps the node's EIP-1193 provider and measures the wall time during which at least one request is in flight
 * (overlapping parallel requests count once). Tick time minus this is time spent in the keeper itself: ABI decoding,
 * sorting, strategy, state writes.
 */
import type { Eip1193Transport, RequestArguments } from "../src/rpc";

export class BusyTimeTransport implements Eip1193Transport {
  private inFlight = 0;
  private busySince = 0;
  private busyMs = 0;

  constructor(private readonly inner: Eip1193Transport) {}

  /** Milliseconds with a request in flight since the transport was made (an open interval counts up to now). */
  get busyMilliseconds(): number {
    return this.busyMs + (this.inFlight > 0 ? performance.now() - this.busySince : 0);
  }

  async request(args: RequestArguments): Promise<unknown> {
    if (this.inFlight++ === 0) this.busySince = performance.now();
    try {
      return await this.inner.request(args);
    } finally {
      if (--this.inFlight === 0) this.busyMs += performance.now() - this.busySince;
    }
  }
}
