import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as pm from "../../keepers/src/model/poolMath";
import { deploymentPath, deploymentSchema, readDeployment } from "../../keepers/src/deployments";
import { DEVNET_COLLATERALS, DEVNET_FUNDED_ACCOUNTS, DEVNET_LOAN_TOKEN, DEVNET_POOL } from "../../deploy/lib/localDevnet";
import { parseTestnetParameters } from "../../deploy/lib/testnetParameters";
import { priceE36FromWhole } from "../../deploy/lib/units";
import { DEFAULT_RATE_MODEL, kinkedRateModelArgs } from "../../deploy/modules/Core";
import { chooseModule, deployAndRecord, writeDeployment } from "../../scripts/deploy";
import { deployLocalDevnet } from "./fixture";

describe("deploy: Ignition modules on the in-process network", function () {
  describe("LocalDevnet through scripts/deploy.ts", function () {
    it("writes a deployments file that validates against the shared schema and matches the chain", async function () {
      const { deployment, rootDir } = await loadFixture(deployLocalDevnet);
      const onDisk = JSON.parse(readFileSync(deploymentPath("hardhat", rootDir), "utf8")) as unknown;
      expect(deploymentSchema.safeParse(onDisk).success).to.equal(true);
      expect(readDeployment("hardhat", rootDir)).to.deep.equal(deployment);
      expect(deployment.chainId).to.equal(31_337);
      expect(deployment.pools).to.have.length(1);

      const factory = await ethers.getContractAt("PoolFactory", deployment.contracts.PoolFactory);
      const [pool] = deployment.pools;
      expect(await factory.allPools()).to.deep.equal([pool.address]);
      expect(await factory.isPool(pool.address)).to.equal(true);
      const poolContract = await ethers.getContractAt("Pool", pool.address);
      expect(await poolContract.asset()).to.equal(pool.loanAsset);
      expect(await poolContract.rateModel()).to.equal(deployment.contracts.KinkedRateModel);
      expect(await poolContract.name()).to.equal(DEVNET_POOL.name);
    });

    it("records as deployBlock the block of the first deploy transaction", async function () {
      const { deployment } = await loadFixture(deployLocalDevnet);
      const core = [deployment.contracts.PoolFactory, deployment.contracts.PoolLens, String(deployment.contracts.KinkedRateModel)];
      for (const address of core) expect(await ethers.provider.getCode(address, deployment.deployBlock - 1)).to.equal("0x");
      const deployedInFirstBlock = [];
      for (const address of core) {
        if ((await ethers.provider.getCode(address, deployment.deployBlock)) !== "0x") deployedInFirstBlock.push(address);
      }
      expect(deployedInFirstBlock).to.have.length(1);
    });

    it("deploys tokens with realistic decimals, oracles at their initial prices and the pool's risk parameters", async function () {
      const { deployment } = await loadFixture(deployLocalDevnet);
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      const tokens = deployment.tokens as Record<string, { address: string; decimals: number }>;
      const oracles = deployment.oracles as Record<string, string>;
      expect(tokens[DEVNET_LOAN_TOKEN.symbol]).to.deep.equal({ address: deployment.pools[0].loanAsset, decimals: 6 });
      expect(await pool.collaterals()).to.deep.equal(DEVNET_COLLATERALS.map((collateral) => tokens[collateral.symbol].address));

      for (const collateral of DEVNET_COLLATERALS) {
        const token = await ethers.getContractAt("MockERC20", tokens[collateral.symbol].address);
        expect(await token.decimals()).to.equal(BigInt(collateral.decimals));
        const params = await pool.collateralParams(tokens[collateral.symbol].address);
        expect(params.oracle).to.equal(oracles[collateral.symbol]);
        expect([params.ltvBps, params.liquidationThresholdBps, params.liquidationBonusBps]).to.deep.equal([
          BigInt(collateral.ltvBps),
          BigInt(collateral.liquidationThresholdBps),
          BigInt(collateral.liquidationBonusBps),
        ]);
        expect(params.enabled).to.equal(true);
        const oracle = await ethers.getContractAt("MockPriceOracle", oracles[collateral.symbol]);
        expect(await oracle.price()).to.equal(priceE36FromWhole(collateral.initialPrice, DEVNET_LOAN_TOKEN.decimals, collateral.decimals));
      }
      expect(await pool.reserveFactorBps()).to.equal(BigInt(DEVNET_POOL.reserveFactorBps));
      const liquidation = await pool.liquidationParams();
      expect([liquidation.closeFactorBps, liquidation.fullLiquidationHealthFactor, liquidation.dustThresholdAssets]).to.deep.equal([
        BigInt(DEVNET_POOL.closeFactorBps),
        DEVNET_POOL.fullLiquidationHealthFactor,
        DEVNET_POOL.dustThresholdAssets,
      ]);
      const rateModel = await ethers.getContractAt("KinkedRateModel", String(deployment.contracts.KinkedRateModel));
      const expectedRates = kinkedRateModelArgs(DEFAULT_RATE_MODEL);
      expect(await rateModel.kinkE18()).to.equal(expectedRates.kinkE18);
      expect(await rateModel.slopeAboveKinkPerSecondE18()).to.equal(expectedRates.slopeAboveKinkPerSecondE18);
    });

    it("funds the node's first test accounts with every token", async function () {
      const { deployment } = await loadFixture(deployLocalDevnet);
      const tokens = deployment.tokens as Record<string, { address: string; decimals: number }>;
      const signers = await ethers.getSigners();
      for (const spec of [DEVNET_LOAN_TOKEN, ...DEVNET_COLLATERALS]) {
        const token = await ethers.getContractAt("MockERC20", tokens[spec.symbol].address);
        const expected = spec.mintPerAccountWhole * 10n ** BigInt(spec.decimals);
        for (const signer of signers.slice(0, DEVNET_FUNDED_ACCOUNTS)) expect(await token.balanceOf(signer.address)).to.equal(expected);
        expect(await token.balanceOf(signers[DEVNET_FUNDED_ACCOUNTS].address)).to.equal(0n);
      }
    });

    it("gives a working pool: an LP deposits, a borrower borrows against WETH at the expected health", async function () {
      const { deployment } = await loadFixture(deployLocalDevnet);
      const [, lp, borrower] = await ethers.getSigners();
      const tokens = deployment.tokens as Record<string, { address: string; decimals: number }>;
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      const usdc = await ethers.getContractAt("MockERC20", tokens.mUSDC.address);
      const weth = await ethers.getContractAt("MockERC20", tokens.mWETH.address);

      const deposit = 10_000n * 10n ** 6n;
      await usdc.connect(lp).approve(await pool.getAddress(), deposit);
      const expectedShares = await pool.previewDeposit(deposit);
      await expect(pool.connect(lp).depositWithMinShares(deposit, lp.address, expectedShares))
        .to.emit(pool, "Deposit")
        .withArgs(lp.address, lp.address, deposit, expectedShares);

      const collateral = 10n ** 18n;
      const borrowAssets = 1_000n * 10n ** 6n;
      await weth.connect(borrower).approve(await pool.getAddress(), collateral);
      await pool.connect(borrower).supplyCollateral(await weth.getAddress(), collateral, borrower.address);
      await expect(pool.connect(borrower).borrow(borrowAssets, borrower.address)).to.changeTokenBalance(usdc, borrower, borrowAssets);

      const weth18 = DEVNET_COLLATERALS[0];
      const value = pm.valueDown(collateral, priceE36FromWhole(weth18.initialPrice, 6, 18));
      const debt = await pool.debtOf(borrower.address);
      expect(debt - borrowAssets).to.be.lessThanOrEqual(1n);
      expect(await pool.healthFactor(borrower.address)).to.equal(
        pm.healthFactorDown(pm.bpsDown(value, BigInt(weth18.liquidationThresholdBps)), debt),
      );
    });
  });

  describe("Testnet with ChainlinkOracle adapters", function () {
    async function deployTestnetOnMocks() {
      const [deployer, riskManager] = await ethers.getSigners();
      const usdc = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
      const weth = await ethers.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
      const wbtc = await ethers.deployContract("MockERC20", ["Wrapped Bitcoin", "WBTC", 8]);
      const usdcFeed = await ethers.deployContract("MockAggregatorV3", [8, 100_000_000n]);
      const ethFeed = await ethers.deployContract("MockAggregatorV3", [8, 3_000n * 10n ** 8n]);
      const btcFeed = await ethers.deployContract("MockAggregatorV3", [8, 60_000n * 10n ** 8n]);
      const parameters = parseTestnetParameters(
        {
          loanToken: { symbol: "USDC", address: await usdc.getAddress(), usdFeed: await usdcFeed.getAddress(), maxFeedAgeSeconds: 90_000 },
          collaterals: [
            {
              symbol: "WETH",
              address: await weth.getAddress(),
              usdFeed: await ethFeed.getAddress(),
              maxFeedAgeSeconds: 4_500,
              ltvBps: 8_000,
              liquidationThresholdBps: 8_500,
              liquidationBonusBps: 500,
              supplyCap: "1000000000000000000000",
            },
            {
              symbol: "WBTC",
              address: await wbtc.getAddress(),
              usdFeed: await btcFeed.getAddress(),
              maxFeedAgeSeconds: 4_500,
              ltvBps: 7_000,
              liquidationThresholdBps: 7_500,
              liquidationBonusBps: 700,
              supplyCap: 5_000_000_000,
            },
          ],
          pool: {
            name: "Mutual Pool USDC",
            symbol: "mpUSDC",
            salt: ethers.ZeroHash,
            riskManager: riskManager.address,
            reserveFactorBps: 1_000,
            closeFactorBps: 5_000,
            fullLiquidationHealthFactor: "950000000000000000",
            dustThresholdAssets: "1000000",
          },
        },
        "test parameters",
      );
      const deployment = await deployAndRecord(hre, {
        moduleName: "Testnet",
        testnetParameters: parameters,
        rootDir: mkdtempSync(path.join(tmpdir(), "mutual-pools-testnet-")),
      });
      return { deployment, parameters, deployer, riskManager, weth, wbtc };
    }

    it("lists every collateral with a ChainlinkOracle that prices it from the feeds, and offers ownership", async function () {
      const { deployment, parameters, deployer, riskManager, weth, wbtc } = await loadFixture(deployTestnetOnMocks);
      expect(deploymentSchema.safeParse(deployment).success).to.equal(true);
      const pool = await ethers.getContractAt("Pool", deployment.pools[0].address);
      expect(await pool.collaterals()).to.deep.equal([await weth.getAddress(), await wbtc.getAddress()]);
      const oracles = deployment.oracles as Record<string, string>;
      const wethOracle = await ethers.getContractAt("ChainlinkOracle", oracles.WETH);
      expect((await pool.collateralParams(await weth.getAddress())).oracle).to.equal(oracles.WETH);
      expect(await wethOracle.price()).to.equal(priceE36FromWhole("3000", 6, 18));
      const wbtcOracle = await ethers.getContractAt("ChainlinkOracle", oracles.WBTC);
      expect(await wbtcOracle.price()).to.equal(priceE36FromWhole("60000", 6, 8));
      expect(await pool.owner()).to.equal(deployer.address);
      expect(await pool.pendingOwner()).to.equal(riskManager.address);
      expect((await pool.liquidationParams()).dustThresholdAssets).to.equal(parameters.pool.dustThresholdAssets);
    });

    it("refuses a parameters file still marked as an example", async function () {
      const { parameters } = await loadFixture(deployTestnetOnMocks);
      await expect(
        deployAndRecord(hre, { moduleName: "Testnet", testnetParameters: { ...parameters, example: true } }),
      ).to.be.rejectedWith(/"example": true/);
    });
  });

  describe("module choice and the deployments file writer", function () {
    it("picks LocalDevnet on local networks, Testnet elsewhere, and DEPLOY_MODULE when set", function () {
      expect(chooseModule("hardhat", undefined)).to.equal("LocalDevnet");
      expect(chooseModule("localhost", "")).to.equal("LocalDevnet");
      expect(chooseModule("sepolia", undefined)).to.equal("Testnet");
      expect(chooseModule("localhost", "Testnet")).to.equal("Testnet");
      expect(() => chooseModule("localhost", "Mainnet")).to.throw(/DEPLOY_MODULE=Mainnet is not a module/);
    });

    it("refuses to write a deployments file that does not validate, naming the field", async function () {
      const { deployment, rootDir } = await loadFixture(deployLocalDevnet);
      const broken = { ...deployment, contracts: { ...deployment.contracts, PoolLens: "0x1234" } };
      expect(() => writeDeployment(broken, rootDir)).to.throw(/contracts\.PoolLens/);
    });
  });
});
