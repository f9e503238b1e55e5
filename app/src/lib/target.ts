/**
 * Which pools the app shows, from its URL. Either a deployments file (written by `scripts/deploy.ts`):
 *   ?network=localhost            deployments/localhost.json beside the app (the default)
 *   ?deployments=<url>            any deployments file
 * or the addresses themselves, with no file:
 *   ?chainId=31337&lens=0x…&pool=0x…[&fromBlock=N]
 * `pool` (an address, or a pool's name or symbol in the file) picks the pool; without it the app lists them all.
 */
import { getAddress, isAddress } from "ethers";
import { findPool, parseDeployment } from "../../../keepers/src/deploymentSchema";
import { InputError } from "./amounts";

export interface PoolEntry {
  name: string;
  address: string;
}

/** What the app reads: a chain, its PoolLens, the first block worth scanning for events, and the pools. */
export interface AppTarget {
  /** Where the addresses came from, for messages. */
  source: string;
  /** A deployments file, or addresses written in the link itself. */
  origin: "file" | "link";
  network: string;
  chainId: number;
  lens: string;
  fromBlock: number;
  pools: PoolEntry[];
  /** The pool the URL picked, if any. */
  selectedPool?: string;
}

export type TargetRequest =
  { kind: "file"; url: string; poolSelector?: string } | { kind: "addresses"; target: AppTarget };

function requireAddress(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || !isAddress(value)) {
    throw new InputError(
      `?${name}= must be a 0x address (40 hex digits), got ${value === null ? "nothing" : `"${value}"`}.`,
    );
  }
  return getAddress(value);
}

function requireInteger(params: URLSearchParams, name: string, fallback?: number): number {
  const value = params.get(name);
  if (value === null && fallback !== undefined) return fallback;
  if (value === null || !/^\d+$/.test(value)) {
    throw new InputError(`?${name}= must be a whole number, got ${value === null ? "nothing" : `"${value}"`}.`);
  }
  return Number(value);
}

/** Reads the URL's query string (`location.search`). Throws an InputError naming the bad parameter. */
export function targetRequestFromQuery(search: string): TargetRequest {
  const params = new URLSearchParams(search);
  const pool = params.get("pool") ?? undefined;
  if (params.has("lens")) {
    const poolAddress = requireAddress(params, "pool");
    return {
      kind: "addresses",
      target: {
        source: "the page address (?chainId, ?lens, ?pool)",
        origin: "link",
        network: `chain ${requireInteger(params, "chainId")}`,
        chainId: requireInteger(params, "chainId"),
        lens: requireAddress(params, "lens"),
        fromBlock: requireInteger(params, "fromBlock", 0),
        pools: [{ name: poolAddress, address: poolAddress }],
        selectedPool: poolAddress,
      },
    };
  }
  const deployments = params.get("deployments");
  if (deployments !== null) return { kind: "file", url: deployments, poolSelector: pool };
  const network = params.get("network") ?? "localhost";
  if (!/^[\w-]+$/.test(network))
    throw new InputError(`?network= must be a network name like localhost or sepolia, got "${network}".`);
  return { kind: "file", url: `deployments/${network}.json`, poolSelector: pool };
}

/** The target of a deployments file's JSON; `poolSelector` must name one of its pools. */
export function targetFromDeployment(data: unknown, url: string, poolSelector?: string): AppTarget {
  const deployment = parseDeployment(data, url);
  const pools = deployment.pools.map((pool) => ({ name: pool.name, address: getAddress(pool.address) }));
  let selectedPool: string | undefined;
  if (poolSelector !== undefined) {
    const match = findPool(deployment, poolSelector);
    if (match === undefined) {
      throw new InputError(
        `${url} has no pool "${poolSelector}"; it has ${pools.map((entry) => entry.name).join(", ") || "none"}.`,
      );
    }
    selectedPool = getAddress(match.address);
  }
  return {
    source: url,
    origin: "file",
    network: deployment.network,
    chainId: deployment.chainId,
    lens: getAddress(deployment.contracts.PoolLens),
    fromBlock: deployment.deployBlock,
    pools,
    selectedPool,
  };
}

/**
 * How to create the deployments file at `url`, by its network (the file name): a local node for localhost, the
 * network's deploy command for any other network.
 */
export function deployAdvice(url: string): string {
  const network = /(?:^|\/)([\w-]+)\.json(?:[?#].*)?$/.exec(url)?.[1];
  if (network === "localhost" || network === "hardhat") return "Deploy first (npm run node, then npm run deploy:local)";
  if (network === "sepolia") {
    return "Deploy first (npm run deploy:sepolia, with SEPOLIA_RPC_URL and DEPLOYER_PRIVATE_KEY set)";
  }
  if (network !== undefined) return `Deploy first (npx hardhat run scripts/deploy.ts --network ${network})`;
  return "Deploy first (npx hardhat run scripts/deploy.ts --network <name> writes deployments/<name>.json)";
}

/** Fetches and reads the deployments file of `request`; each failure says what to do. */
export async function loadTarget(request: TargetRequest, fetchFile: typeof fetch = fetch): Promise<AppTarget> {
  if (request.kind === "addresses") return request.target;
  let response: Response;
  try {
    response = await fetchFile(request.url);
  } catch (error) {
    throw new InputError(`Could not fetch ${request.url} (${String(error)}). Is the app's server running?`);
  }
  if (response.status === 404) {
    throw new InputError(
      `No deployments file at ${request.url}. ${deployAdvice(request.url)}, ` +
        `or open the app with ?deployments=<url of a deployments file>.`,
    );
  }
  if (!response.ok) throw new InputError(`Fetching ${request.url} failed with HTTP ${response.status}.`);
  let data: unknown;
  try {
    data = await response.json();
  } catch {
    throw new InputError(`${request.url} is not JSON; point ?deployments= at a deployments file.`);
  }
  return targetFromDeployment(data, request.url, request.poolSelector);
}

/**
 * Who chose the addresses when it is not this site: the link itself (?lens, ?pool), another site's deployments
 * file (its host), or a data: URL. Undefined for this site's own deployments file. The page warns before a deposit,
 * since a permit or approval lets the pool address named there take the user's tokens.
 */
export function untrustedSource(target: Pick<AppTarget, "source" | "origin">, pageHref: string): string | undefined {
  if (target.origin === "link") return "the link you opened (its ?lens and ?pool)";
  const url = new URL(target.source, pageHref);
  if (url.origin === "null") return `a ${url.protocol} URL`;
  return url.origin === new URL(pageHref).origin ? undefined : url.host;
}
