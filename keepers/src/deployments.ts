/**
 * `deployments/<network>.json`: the addresses a deploy produced and the block it started in. Written by the deploy
 * scripts, read by the keeper, the operator scripts, the demo and the app. One schema, here, for all of them.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
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

/** Path of a network's deployments file under `rootDir` (the repository root by default). */
export function deploymentPath(network: string, rootDir = process.cwd()): string {
  return path.join(rootDir, "deployments", `${network}.json`);
}

/** The network's deployment, or undefined when the file does not exist. Throws with the file and field on bad data. */
export function readDeployment(network: string, rootDir = process.cwd()): Deployment | undefined {
  const file = deploymentPath(network, rootDir);
  if (!existsSync(file)) return undefined;
  const parsed = deploymentSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`${file} is not a valid deployments file (${problems.join("; ")}). Redeploy or fix the file.`);
  }
  return parsed.data;
}
