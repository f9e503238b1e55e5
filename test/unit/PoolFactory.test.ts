import { poolCreationCode } from "../../deploy/lib/poolCreationCode";
import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type {
  MockERC20,
  MockRateModel,
  PoolFactory,
} from "../../typechain-types";
import type { PoolConfigStruct } from "../../typechain-types/contracts/PoolFactory";

const SALT_A = ethers.id("salt-a");
const SALT_B = ethers.id("salt-b");

describe("PoolFactory", function () {
  async function factoryFixture() {
    const [deployer, owner, guardian, stranger] = await ethers.getSigners();
    const factory: PoolFactory = await ethers.deployContract("PoolFactory", [poolCreationCode()]);
    const loanToken: MockERC20 = await ethers.deployContract("MockERC20", [
      "Loan Dollar",
      "LUSD",
      18,
    ]);
    const otherLoanToken: MockERC20 = await ethers.deployContract("MockERC20", [
      "Other Dollar",
      "OUSD",
      6,
    ]);
    const rateModel: MockRateModel =
      await ethers.deployContract("MockRateModel");

    const configFor = async (
      token: MockERC20,
      ownerAddress: string = owner.address,
    ): Promise<PoolConfigStruct> => ({
      loanAsset: await token.getAddress(),
      name: "Mutual Pool",
      symbol: "mpX",
      owner: ownerAddress,
      guardian: guardian.address,
      rateModel: await rateModel.getAddress(),
      reserveFactorBps: 1_000n,
      liquidationParams: {
        closeFactorBps: 5_000n,
        fullLiquidationHealthFactor: 95n * 10n ** 16n,
        dustThresholdAssets: 7n,
      },
    });

    /** Creates a pool from `config` with `salt`; returns the address computePoolAddress predicted for it. */
    const createAt = async (
      config: PoolConfigStruct,
      salt: string,
    ): Promise<string> => {
      const address = await factory.computePoolAddress(config, salt);
      await factory.createPool(config, salt);
      return address;
    };

    return {
      factory,
      loanToken,
      otherLoanToken,
      loanAsset: await loanToken.getAddress(),
      otherLoanAsset: await otherLoanToken.getAddress(),
      /** The config of a pool lending `loanToken`, owned by `owner`. */
      config: await configFor(loanToken),
      /** The same for `otherLoanToken`. */
      otherConfig: await configFor(otherLoanToken),
      rateModel,
      deployer,
      owner,
      guardian,
      stranger,
      configFor,
      createAt,
    };
  }

  describe("createPool", function () {
    it("deploys at computePoolAddress and emits PoolCreated", async function () {
      const { factory, owner, config, loanAsset } =
        await loadFixture(factoryFixture);
      const predicted = await factory.computePoolAddress(config, SALT_A);
      expect(await ethers.provider.getCode(predicted)).to.equal("0x");

      await expect(factory.createPool(config, SALT_A))
        .to.emit(factory, "PoolCreated")
        .withArgs(predicted, loanAsset, owner.address, SALT_A);

      expect(await ethers.provider.getCode(predicted)).to.not.equal("0x");
      // The return value of createPool is the same address.
      const predicted2 = await factory.computePoolAddress(config, SALT_B);
      expect(await factory.createPool.staticCall(config, SALT_B)).to.equal(
        predicted2,
      );
    });

    it("configures the pool from the config", async function () {
      const { rateModel, owner, guardian, createAt, config, loanAsset } =
        await loadFixture(factoryFixture);
      const address = await createAt(config, SALT_A);
      const pool = await ethers.getContractAt("Pool", address);

      expect(await pool.asset()).to.equal(loanAsset);
      expect(await pool.name()).to.equal("Mutual Pool");
      expect(await pool.symbol()).to.equal("mpX");
      expect(await pool.owner()).to.equal(owner.address);
      expect(await pool.guardian()).to.equal(guardian.address);
      expect(await pool.rateModel()).to.equal(await rateModel.getAddress());
      expect(await pool.reserveFactorBps()).to.equal(1_000n);
      const params = await pool.liquidationParams();
      expect(params.closeFactorBps).to.equal(5_000n);
      expect(params.fullLiquidationHealthFactor).to.equal(95n * 10n ** 16n);
      expect(params.dustThresholdAssets).to.equal(7n);
      expect(await pool.paused()).to.equal(false);
      expect(await pool.totalSupply()).to.equal(0n);
      expect(await pool.totalAssets()).to.equal(0n);
    });

    it("is permissionless: anyone may create a pool owned by someone else", async function () {
      const { factory, owner, stranger, config, loanAsset } =
        await loadFixture(factoryFixture);
      const predicted = await factory.computePoolAddress(config, SALT_A);
      await expect(factory.connect(stranger).createPool(config, SALT_A))
        .to.emit(factory, "PoolCreated")
        .withArgs(predicted, loanAsset, owner.address, SALT_A);
      const pool = await ethers.getContractAt("Pool", predicted);
      expect(await pool.owner()).to.equal(owner.address);
    });

    it("reverts with ZeroOwner for a zero owner", async function () {
      const { factory, loanToken, configFor } =
        await loadFixture(factoryFixture);
      const zeroOwner = await configFor(loanToken, ethers.ZeroAddress);
      await expect(
        factory.createPool(zeroOwner, SALT_A),
      ).to.be.revertedWithCustomError(factory, "ZeroOwner");
      expect(await factory.poolCount()).to.equal(0n);
    });

    it("deploys two pools for the same loan asset with different salts", async function () {
      const { factory, createAt, config, loanAsset } =
        await loadFixture(factoryFixture);
      const first = await createAt(config, SALT_A);
      const second = await createAt(config, SALT_B);
      expect(first).to.not.equal(second);
      expect(await factory.poolsOf(loanAsset)).to.deep.equal([first, second]);
      expect(await factory.isPool(first)).to.equal(true);
      expect(await factory.isPool(second)).to.equal(true);
      expect(await factory.poolCount()).to.equal(2n);
    });

    it("reverts on the same config and salt twice (CREATE2 collision) and leaves the registry unchanged", async function () {
      const { factory, createAt, config } = await loadFixture(factoryFixture);
      const address = await createAt(config, SALT_A);

      // The second CREATE2 to an occupied address fails without data; the factory names the collision.
      await expect(factory.createPool(config, SALT_A))
        .to.be.revertedWithCustomError(factory, "PoolAlreadyExists")
        .withArgs(config.loanAsset, SALT_A);
      expect(await factory.poolCount()).to.equal(1n);
      expect(await factory.allPools()).to.deep.equal([address]);
    });

    it("uses one salt for different loan assets (the CREATE2 salt binds the loan asset)", async function () {
      const {
        factory,
        createAt,
        config,
        otherConfig,
        loanAsset,
        otherLoanAsset,
      } = await loadFixture(factoryFixture);
      const a = await createAt(config, SALT_A);
      const b = await createAt(otherConfig, SALT_A);
      expect(a).to.not.equal(b);
      expect(await factory.poolsOf(loanAsset)).to.deep.equal([a]);
      expect(await factory.poolsOf(otherLoanAsset)).to.deep.equal([b]);
    });

    it("computePoolAddress depends on the whole config, not only the loan asset and salt", async function () {
      const { factory, loanToken, stranger, configFor, config, loanAsset } =
        await loadFixture(factoryFixture);
      const otherOwner = await configFor(loanToken, stranger.address);
      const a = await factory.computePoolAddress(config, SALT_A);
      const b = await factory.computePoolAddress(otherOwner, SALT_A);
      expect(a).to.not.equal(b);
      await factory.createPool(config, SALT_A);
      await expect(factory.createPool(otherOwner, SALT_A))
        .to.emit(factory, "PoolCreated")
        .withArgs(b, loanAsset, stranger.address, SALT_A);
      // After deployment, computePoolAddress still returns the deployed address.
      expect(await factory.computePoolAddress(config, SALT_A)).to.equal(a);
    });
  });

  describe("pool creation code", function () {
    it("poolCreationCodeHash is keccak256 of the compiled Pool artifact's bytecode", async function () {
      const { factory } = await loadFixture(factoryFixture);
      const artifact = await artifacts.readArtifact("Pool");
      expect(artifact.bytecode).to.equal(poolCreationCode());
      expect(await factory.poolCreationCodeHash()).to.equal(
        ethers.keccak256(artifact.bytecode),
      );
      // Larger than a contract may be (EIP-170): the reason the factory keeps it in code stores.
      expect(ethers.dataLength(artifact.bytecode)).to.be.greaterThan(24_576);
    });

    it("reverts with EmptyPoolCreationCode without creation code", async function () {
      const { factory } = await loadFixture(factoryFixture);
      const Factory = await ethers.getContractFactory("PoolFactory");
      await expect(Factory.deploy("0x")).to.be.revertedWithCustomError(
        factory,
        "EmptyPoolCreationCode",
      );
    });

    it("a factory deploys exactly the code it was given: its pools' creation hash is the one it reports", async function () {
      const fx = await loadFixture(factoryFixture);
      const { factory, config, createAt } = fx;
      const pool = await createAt(config, SALT_A);
      // CREATE2: the address commits to keccak256(creation code ‖ constructor arguments).
      const salt = ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["address", "bytes32"],
          [config.loanAsset, SALT_A],
        ),
      );
      const poolContract = await ethers.getContractAt("Pool", pool);
      expect(await poolContract.asset()).to.equal(config.loanAsset);
      const args = ethers.AbiCoder.defaultAbiCoder().encode(
        [
          "address",
          "string",
          "string",
          "address",
          "address",
          "address",
          "uint256",
          "tuple(uint16,uint64,uint96)",
        ],
        [
          config.loanAsset,
          config.name,
          config.symbol,
          config.owner,
          config.guardian,
          config.rateModel,
          config.reserveFactorBps,
          [
            config.liquidationParams.closeFactorBps,
            config.liquidationParams.fullLiquidationHealthFactor,
            config.liquidationParams.dustThresholdAssets,
          ],
        ],
      );
      expect(
        ethers.getCreate2Address(
          await factory.getAddress(),
          salt,
          ethers.keccak256(ethers.concat([poolCreationCode(), args])),
        ),
      ).to.equal(pool);
    });
  });

  describe("registry", function () {
    it("starts empty", async function () {
      const { factory, stranger, loanAsset } =
        await loadFixture(factoryFixture);
      expect(await factory.poolCount()).to.equal(0n);
      expect(await factory.allPools()).to.deep.equal([]);
      expect(await factory.poolsOf(loanAsset)).to.deep.equal([]);
      expect(await factory.isPool(stranger.address)).to.equal(false);
    });

    it("tracks isPool, allPools, poolsOf and poolCount in creation order", async function () {
      const fx = await loadFixture(factoryFixture);
      const { factory, stranger, createAt, config, otherConfig } = fx;
      const { loanAsset, otherLoanAsset } = fx;
      const p1 = await createAt(config, SALT_A);
      const p2 = await createAt(otherConfig, SALT_A);
      const p3 = await createAt(config, SALT_B);

      expect(await factory.poolCount()).to.equal(3n);
      expect(await factory.allPools()).to.deep.equal([p1, p2, p3]);
      expect(await factory.poolsOf(loanAsset)).to.deep.equal([p1, p3]);
      expect(await factory.poolsOf(otherLoanAsset)).to.deep.equal([p2]);
      for (const pool of [p1, p2, p3])
        expect(await factory.isPool(pool)).to.equal(true);
      expect(await factory.isPool(stranger.address)).to.equal(false);
      expect(await factory.isPool(loanAsset)).to.equal(false);
      expect(await factory.isPool(await factory.getAddress())).to.equal(false);
    });
  });
});
