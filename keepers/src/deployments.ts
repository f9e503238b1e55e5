/**
 * Reading `deployments/<network>.json` from disk. Its schema, shared with the LP app in the browser, is in
 * deploymentSchema.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDeployment, type Deployment } from "./deploymentSchema";

export { deploymentSchema, findPool, parseDeployment, type Deployment } from "./deploymentSchema";

/** Path of a network's deployments file under `rootDir` (the repository root by default). */
export function deploymentPath(network: string, rootDir = process.cwd()): string {
  return path.join(rootDir, "deployments", `${network}.json`);
}

/** The network's deployment, or undefined when the file does not exist. Throws with the file and field on bad data. */
export function readDeployment(network: string, rootDir = process.cwd()): Deployment | undefined {
  const file = deploymentPath(network, rootDir);
  if (!existsSync(file)) return undefined;
  return parseDeployment(JSON.parse(readFileSync(file, "utf8")), file);
}
