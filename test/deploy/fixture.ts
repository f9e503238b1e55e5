/**
 * The LocalDevnet module deployed by scripts/deploy.ts on the in-process network, its deployments file written to a
 * temporary directory. Wrap `deployLocalDevnet` in `loadFixture`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import hre from "hardhat";
import type { Deployment } from "../../keepers/src/deployments";
import { deployAndRecord } from "../../scripts/deploy";

export interface DevnetFixture {
  deployment: Deployment;
  rootDir: string;
}

export async function deployLocalDevnet(): Promise<DevnetFixture> {
  const rootDir = mkdtempSync(path.join(tmpdir(), "mutual-pools-deploy-"));
  const deployment = await deployAndRecord(hre, { moduleName: "LocalDevnet", rootDir });
  return { deployment, rootDir };
}
