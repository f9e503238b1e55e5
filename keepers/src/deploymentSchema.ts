/**
 * The schema of `deployments/<network>.json`: the addresses a deploy produced and the block it started in. Written
 * by the deploy scripts, read by the keeper, the operator scripts, the demo and the LP app (in a browser, which is
 * why it lives apart from the file reading in deployments.ts).
 */
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte hex address");

export const deploymentSchema = z.looseObject({
  network: z.string().min(1),
  chainId: z.number().int().positive(),
  /** First block of the deploy: event indexing starts here. */
  deployBlock: z.number().int().nonnegative(),
  contracts: z.looseObject({
    PoolFactory: address,
    PoolLens: address,
  }),
  pools: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        address,
        loanAsset: address,
      }),
    )
    .default([]),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** Parses `data` as a deployments file; throws naming `source` and each bad field. */
export function parseDeployment(data: unknown, source: string): Deployment {
  const parsed = deploymentSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`${source} is not a valid deployments file (${problems.join("; ")}). Redeploy or fix the file.`);
  }
  return parsed.data;
}

/** The deployment's pool whose address, name or symbol is `selector` (case-insensitive), if any. */
export function findPool(deployment: Deployment, selector: string): Deployment["pools"][number] | undefined {
  const wanted = selector.toLowerCase();
  return deployment.pools.find(
    (pool) =>
      pool.address.toLowerCase() === wanted ||
      pool.name.toLowerCase() === wanted ||
      (typeof pool.symbol === "string" && pool.symbol.toLowerCase() === wanted),
  );
}
