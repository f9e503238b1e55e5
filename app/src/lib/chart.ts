/**
 * The share-price chart's geometry: points (time, share price) scaled into an SVG box. Pure, so the scaling is
 * tested without a browser; the page only draws the path and markers it returns.
 */

export interface PricePoint {
  /** Unix seconds. */
  timestamp: number;
  /** Its block: orders points of equal time (some chains give several blocks one timestamp). */
  blockNumber: number;
  /** Loan-asset units per 10**shareDecimals shares. */
  sharePrice: bigint;
  /** A write-down: the point right after a BadDebtRealized. */
  writeDown: boolean;
}

export interface ChartBox {
  width: number;
  height: number;
  padding: number;
}

export interface ChartGeometry {
  /** SVG path: a step line (the price holds until the next point), "" without points. */
  path: string;
  /** Where each write-down lands. */
  writeDowns: { x: number; y: number }[];
  minPrice: bigint;
  maxPrice: bigint;
  firstTimestamp: number;
  lastTimestamp: number;
}

const round = (value: number): number => Math.round(value * 10) / 10;

/**
 * Scales `points` (any order) into `box`, ordered by time, then block, then as given (a write-down's before point
 * is given before its after point); a flat series sits mid-height, a single point spans the width.
 */
export function chartGeometry(points: readonly PricePoint[], box: ChartBox): ChartGeometry {
  const sorted = [...points].sort((a, b) => a.timestamp - b.timestamp || a.blockNumber - b.blockNumber);
  if (sorted.length === 0) {
    return { path: "", writeDowns: [], minPrice: 0n, maxPrice: 0n, firstTimestamp: 0, lastTimestamp: 0 };
  }
  const prices = sorted.map((point) => point.sharePrice);
  const minPrice = prices.reduce((a, b) => (b < a ? b : a));
  const maxPrice = prices.reduce((a, b) => (b > a ? b : a));
  const firstTimestamp = sorted[0].timestamp;
  const lastTimestamp = sorted[sorted.length - 1].timestamp;
  const innerWidth = box.width - 2 * box.padding;
  const innerHeight = box.height - 2 * box.padding;
  const x = (timestamp: number): number =>
    round(
      box.padding +
        (lastTimestamp === firstTimestamp
          ? 0
          : ((timestamp - firstTimestamp) / (lastTimestamp - firstTimestamp)) * innerWidth),
    );
  // Prices are bigints: scale the offset from the minimum in parts per million before going to floating point.
  const y = (price: bigint): number => {
    if (maxPrice === minPrice) return round(box.padding + innerHeight / 2);
    const partsPerMillion = Number(((price - minPrice) * 1_000_000n) / (maxPrice - minPrice));
    return round(box.padding + innerHeight - (partsPerMillion / 1_000_000) * innerHeight);
  };
  const commands = [`M${x(sorted[0].timestamp)},${y(sorted[0].sharePrice)}`];
  for (const point of sorted.slice(1)) commands.push(`H${x(point.timestamp)}`, `V${y(point.sharePrice)}`);
  if (sorted.length === 1) commands.push(`H${round(box.padding + innerWidth)}`);
  return {
    path: commands.join(" "),
    writeDowns: sorted
      .filter((point) => point.writeDown)
      .map((point) => ({ x: x(point.timestamp), y: y(point.sharePrice) })),
    minPrice,
    maxPrice,
    firstTimestamp,
    lastTimestamp,
  };
}
