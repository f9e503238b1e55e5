import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type {
  ChainlinkOracle,
  MockAggregatorV3,
  MockERC20,
} from "../../typechain-types";
import { valueDown } from "../../keepers/src/model/poolMath";

const HOUR = 3_600n;
const DAY = 86_400n;

/** Value of `collateralAmount` in loan units, as pools compute it from the oracle price (poolMath.valueDown). */
const valueInLoanUnits = valueDown;

async function deployFeed(
  decimals: number,
  answer: bigint,
): Promise<MockAggregatorV3> {
  return ethers.deployContract("MockAggregatorV3", [decimals, answer]);
}

async function deployToken(decimals: number): Promise<MockERC20> {
  return ethers.deployContract("MockERC20", [
    `Token ${decimals}`,
    `T${decimals}`,
    decimals,
  ]);
}

/** Deploys a MockERC20 with `decimals` and returns its address. */
async function tokenAddress(decimals: number): Promise<string> {
  return (await deployToken(decimals)).getAddress();
}

async function deployOracle(
  collateralFeed: string,
  loanFeed: string,
  collateralToken: string,
  loanToken: string,
  maxCollateralAge: bigint = HOUR,
  maxLoanAge: bigint = DAY,
): Promise<ChainlinkOracle> {
  return ethers.deployContract("ChainlinkOracle", [
    collateralFeed,
    loanFeed,
    collateralToken,
    loanToken,
    maxCollateralAge,
    maxLoanAge,
  ]);
}

/** A feed to deploy: its decimals and its answer. */
interface FeedSpec {
  decimals: number;
  answer: bigint;
}

/**
 * Deploys a collateral feed and a loan feed, a collateral token and a loan token with the given decimals,
 * then an oracle on them with the default maximum ages.
 */
async function oracleOnNewFeeds(
  collateralFeed: FeedSpec,
  loanFeed: FeedSpec,
  collateralDecimals: number,
  loanDecimals: number,
): Promise<ChainlinkOracle> {
  const collateral = await deployFeed(
    collateralFeed.decimals,
    collateralFeed.answer,
  );
  const loan = await deployFeed(loanFeed.decimals, loanFeed.answer);
  return deployOracle(
    await collateral.getAddress(),
    await loan.getAddress(),
    await tokenAddress(collateralDecimals),
    await tokenAddress(loanDecimals),
  );
}

describe("ChainlinkOracle", function () {
  /** WBTC (8 decimals, BTC/USD 8-decimal feed at $60,000) priced in USDC (6 decimals, 8-decimal feed at $1). */
  async function wbtcUsdcFixture() {
    const btcFeed = await deployFeed(8, 60_000n * 10n ** 8n);
    const usdcFeed = await deployFeed(8, 10n ** 8n);
    const wbtc = await deployToken(8);
    const usdc = await deployToken(6);
    const oracle = await deployOracle(
      await btcFeed.getAddress(),
      await usdcFeed.getAddress(),
      await wbtc.getAddress(),
      await usdc.getAddress(),
    );
    return { oracle, btcFeed, usdcFeed, wbtc, usdc };
  }

  describe("constructor and views", function () {
    it("stores the feeds, tokens, ages, decimals and scale factor", async function () {
      const { oracle, btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      expect(await oracle.collateralFeed()).to.equal(
        await btcFeed.getAddress(),
      );
      expect(await oracle.loanFeed()).to.equal(await usdcFeed.getAddress());
      expect(await oracle.collateralToken()).to.equal(await wbtc.getAddress());
      expect(await oracle.loanToken()).to.equal(await usdc.getAddress());
      expect(await oracle.maxCollateralFeedAgeSeconds()).to.equal(HOUR);
      expect(await oracle.maxLoanFeedAgeSeconds()).to.equal(DAY);
      expect(await oracle.collateralDecimals()).to.equal(8);
      expect(await oracle.loanDecimals()).to.equal(6);
      expect(await oracle.collateralFeedDecimals()).to.equal(8);
      expect(await oracle.loanFeedDecimals()).to.equal(8);
      // 10^(36 + 6 + 8 - 8 - 8)
      expect(await oracle.scaleFactor()).to.equal(10n ** 34n);
    });

    it("reads the feed decimals once, at construction", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      await btcFeed.setDecimals(18);
      expect(await oracle.collateralFeedDecimals()).to.equal(8);
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
    });

    it("reverts with ZeroFeedAddress for either feed", async function () {
      const { oracle, btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      const btc = await btcFeed.getAddress();
      const usdcPrice = await usdcFeed.getAddress();
      const wbtcToken = await wbtc.getAddress();
      const usdcToken = await usdc.getAddress();
      await expect(
        deployOracle(ethers.ZeroAddress, usdcPrice, wbtcToken, usdcToken),
      ).to.be.revertedWithCustomError(oracle, "ZeroFeedAddress");
      await expect(
        deployOracle(btc, ethers.ZeroAddress, wbtcToken, usdcToken),
      ).to.be.revertedWithCustomError(oracle, "ZeroFeedAddress");
    });

    it("reverts with ZeroTokenAddress for either token", async function () {
      const { oracle, btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      const btc = await btcFeed.getAddress();
      const usdcPrice = await usdcFeed.getAddress();
      const wbtcToken = await wbtc.getAddress();
      const usdcToken = await usdc.getAddress();
      await expect(
        deployOracle(btc, usdcPrice, ethers.ZeroAddress, usdcToken),
      ).to.be.revertedWithCustomError(oracle, "ZeroTokenAddress");
      await expect(
        deployOracle(btc, usdcPrice, wbtcToken, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(oracle, "ZeroTokenAddress");
      await expect(
        deployOracle(btc, usdcPrice, ethers.ZeroAddress, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(oracle, "ZeroTokenAddress");
    });

    it("reverts when a token has no code to answer decimals()", async function () {
      const { btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      const btc = await btcFeed.getAddress();
      const usdcPrice = await usdcFeed.getAddress();
      const [eoa] = await ethers.getSigners();
      await expect(
        deployOracle(btc, usdcPrice, eoa.address, await usdc.getAddress()),
      ).to.be.revertedWithoutReason();
      await expect(
        deployOracle(btc, usdcPrice, await wbtc.getAddress(), eoa.address),
      ).to.be.revertedWithoutReason();
    });

    it("reverts with ZeroMaxAge for either maximum age", async function () {
      const { oracle, btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      const btc = await btcFeed.getAddress();
      const usdcPrice = await usdcFeed.getAddress();
      const wbtcToken = await wbtc.getAddress();
      const usdcToken = await usdc.getAddress();
      await expect(
        deployOracle(btc, usdcPrice, wbtcToken, usdcToken, 0n, DAY),
      ).to.be.revertedWithCustomError(oracle, "ZeroMaxAge");
      await expect(
        deployOracle(btc, usdcPrice, wbtcToken, usdcToken, HOUR, 0n),
      ).to.be.revertedWithCustomError(oracle, "ZeroMaxAge");
    });

    it("reverts with InvalidDecimals for a token with decimals outside 6..18", async function () {
      const { oracle, btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      const btc = await btcFeed.getAddress();
      const usdcPrice = await usdcFeed.getAddress();
      const wbtcToken = await wbtc.getAddress();
      const usdcToken = await usdc.getAddress();
      const token5 = await tokenAddress(5);
      const token19 = await tokenAddress(19);
      await expect(deployOracle(btc, usdcPrice, token5, usdcToken))
        .to.be.revertedWithCustomError(oracle, "InvalidDecimals")
        .withArgs(5);
      await expect(deployOracle(btc, usdcPrice, token19, usdcToken))
        .to.be.revertedWithCustomError(oracle, "InvalidDecimals")
        .withArgs(19);
      await expect(deployOracle(btc, usdcPrice, wbtcToken, token5))
        .to.be.revertedWithCustomError(oracle, "InvalidDecimals")
        .withArgs(5);
      await expect(deployOracle(btc, usdcPrice, wbtcToken, token19))
        .to.be.revertedWithCustomError(oracle, "InvalidDecimals")
        .withArgs(19);
      // The bounds themselves are accepted.
      const token6 = await tokenAddress(6);
      const token18 = await tokenAddress(18);
      const bounds = await deployOracle(btc, usdcPrice, token6, token18);
      expect(await bounds.collateralDecimals()).to.equal(6);
      expect(await bounds.loanDecimals()).to.equal(18);
      expect(await bounds.collateralToken()).to.equal(token6);
      expect(await bounds.loanToken()).to.equal(token18);
    });

    it("takes each side's decimals from its own token", async function () {
      const { btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      // Swapping the tokens swaps the decimals (and the scale factor) with them.
      const swapped = await deployOracle(
        await btcFeed.getAddress(),
        await usdcFeed.getAddress(),
        await usdc.getAddress(),
        await wbtc.getAddress(),
      );
      expect(await swapped.collateralToken()).to.equal(await usdc.getAddress());
      expect(await swapped.loanToken()).to.equal(await wbtc.getAddress());
      expect(await swapped.collateralDecimals()).to.equal(6);
      expect(await swapped.loanDecimals()).to.equal(8);
      // 10^(36 + 8 + 8 - 6 - 8)
      expect(await swapped.scaleFactor()).to.equal(10n ** 38n);
    });

    it("reverts with InvalidFeedDecimals for a feed with more than 18 decimals", async function () {
      const { oracle, btcFeed, usdcFeed, wbtc, usdc } =
        await loadFixture(wbtcUsdcFixture);
      const btc = await btcFeed.getAddress();
      const usdcPrice = await usdcFeed.getAddress();
      const wbtcToken = await wbtc.getAddress();
      const usdcToken = await usdc.getAddress();
      const wide = await deployFeed(19, 10n ** 19n);
      const wideAddress = await wide.getAddress();
      await expect(deployOracle(wideAddress, usdcPrice, wbtcToken, usdcToken))
        .to.be.revertedWithCustomError(oracle, "InvalidFeedDecimals")
        .withArgs(wideAddress, 19);
      await expect(deployOracle(btc, wideAddress, wbtcToken, usdcToken))
        .to.be.revertedWithCustomError(oracle, "InvalidFeedDecimals")
        .withArgs(wideAddress, 19);
    });
  });

  describe("price", function () {
    it("prices WBTC (8 dec, 8-dec feed) in USDC (6 dec, 8-dec feed)", async function () {
      const { oracle } = await loadFixture(wbtcUsdcFixture);
      // 60000e8 * 10^(36+6+8) / (1e8 * 10^(8+8)) = 6e38
      const priceE36 = await oracle.price();
      expect(priceE36).to.equal(6n * 10n ** 38n);
      // 1 WBTC = 60,000 USDC
      expect(valueInLoanUnits(10n ** 8n, priceE36)).to.equal(
        60_000n * 10n ** 6n,
      );
      // 1 satoshi = 0.0006 USDC = 600 units
      expect(valueInLoanUnits(1n, priceE36)).to.equal(600n);
    });

    it("follows both feeds", async function () {
      const { oracle, btcFeed, usdcFeed } = await loadFixture(wbtcUsdcFixture);
      await btcFeed.setAnswer(30_000n * 10n ** 8n);
      expect(valueInLoanUnits(10n ** 8n, await oracle.price())).to.equal(
        30_000n * 10n ** 6n,
      );
      // USDC depegs to $0.50: a BTC buys twice as many USDC.
      await usdcFeed.setAnswer(5n * 10n ** 7n);
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
      expect(valueInLoanUnits(10n ** 8n, await oracle.price())).to.equal(
        60_000n * 10n ** 6n,
      );
    });

    it("prices WETH (18 dec, 8-dec feed) in USDC (6 dec, 8-dec feed)", async function () {
      const oracle = await oracleOnNewFeeds(
        { decimals: 8, answer: 3_000n * 10n ** 8n },
        { decimals: 8, answer: 10n ** 8n },
        18,
        6,
      );
      expect(await oracle.scaleFactor()).to.equal(10n ** 24n); // 36 + 6 + 8 - 18 - 8
      // 3000e8 * 1e24 / 1e8 = 3e27
      expect(await oracle.price()).to.equal(3n * 10n ** 27n);
      expect(valueInLoanUnits(10n ** 18n, await oracle.price())).to.equal(
        3_000n * 10n ** 6n,
      );
    });

    it("prices USDC (6 dec, 8-dec feed) in DAI (18 dec, 18-dec feed)", async function () {
      const oracle = await oracleOnNewFeeds(
        { decimals: 8, answer: 10n ** 8n },
        { decimals: 18, answer: 10n ** 18n },
        6,
        18,
      );
      expect(await oracle.scaleFactor()).to.equal(10n ** 58n); // 36 + 18 + 18 - 6 - 8
      // 1e8 * 1e58 / 1e18 = 1e48
      expect(await oracle.price()).to.equal(10n ** 48n);
      expect(valueInLoanUnits(10n ** 6n, await oracle.price())).to.equal(
        10n ** 18n,
      );
    });

    it("prices WBTC (8 dec) in WETH (18 dec), both with 8-dec feeds", async function () {
      const oracle = await oracleOnNewFeeds(
        { decimals: 8, answer: 60_000n * 10n ** 8n },
        { decimals: 8, answer: 3_000n * 10n ** 8n },
        8,
        18,
      );
      // 60000e8 * 10^(36+18+8) / (3000e8 * 10^(8+8)) = 20 * 1e46
      expect(await oracle.price()).to.equal(2n * 10n ** 47n);
      expect(valueInLoanUnits(10n ** 8n, await oracle.price())).to.equal(
        20n * 10n ** 18n,
      );
    });

    it("rounds down", async function () {
      // $1.23456789 token (18 dec, 8-dec feed) in a $0.9998 stablecoin (6 dec, 8-dec feed).
      const oracle = await oracleOnNewFeeds(
        { decimals: 8, answer: 123_456_789n },
        { decimals: 8, answer: 99_980_000n },
        18,
        6,
      );
      // floor(123456789 * 1e24 / 99980000) = floor(1234814852970594118823764.75...)
      expect(await oracle.price()).to.equal(1_234_814_852_970_594_118_823_764n);
      // 1 token = 1.234814 stablecoin units (1234814.85... rounded down)
      expect(valueInLoanUnits(10n ** 18n, await oracle.price())).to.equal(
        1_234_814n,
      );
    });

    it("handles the smallest scale factor (1e6)", async function () {
      // Collateral: 18 dec with an 18-dec feed at $60,000; loan: 6 dec with a 0-dec feed at $1.
      const oracle = await oracleOnNewFeeds(
        { decimals: 18, answer: 60_000n * 10n ** 18n },
        { decimals: 0, answer: 1n },
        18,
        6,
      );
      expect(await oracle.scaleFactor()).to.equal(10n ** 6n); // 36 + 6 + 0 - 18 - 18
      expect(await oracle.price()).to.equal(6n * 10n ** 28n);
      expect(valueInLoanUnits(10n ** 18n, await oracle.price())).to.equal(
        60_000n * 10n ** 6n,
      );
    });

    it("handles the largest scale factor (1e66)", async function () {
      // Collateral: 6 dec with a 0-dec feed at $60,000; loan: 18 dec with an 18-dec feed at $1.
      const oracle = await oracleOnNewFeeds(
        { decimals: 0, answer: 60_000n },
        { decimals: 18, answer: 10n ** 18n },
        6,
        18,
      );
      expect(await oracle.scaleFactor()).to.equal(10n ** 66n); // 36 + 18 + 18 - 6 - 0
      expect(await oracle.price()).to.equal(6n * 10n ** 52n);
      expect(valueInLoanUnits(10n ** 6n, await oracle.price())).to.equal(
        60_000n * 10n ** 18n,
      );
    });

    it("does not overflow in the intermediate product with extreme answers", async function () {
      // colAnswer * 1e66 is ~5.8e142, far above 2^256; the result (~5.8e72) fits, so mulDiv returns it.
      const maxInt = 2n ** 255n - 1n;
      const oracle = await oracleOnNewFeeds(
        { decimals: 0, answer: maxInt },
        { decimals: 18, answer: 10n ** 70n },
        6,
        18,
      );
      expect(await oracle.price()).to.equal((maxInt * 10n ** 66n) / 10n ** 70n);
    });

    it("reverts with an overflow panic only when the price itself does not fit in 256 bits", async function () {
      const oracle = await oracleOnNewFeeds(
        { decimals: 0, answer: 2n ** 255n - 1n },
        { decimals: 18, answer: 1n },
        6,
        18,
      );
      await expect(oracle.price()).to.be.revertedWithPanic(0x11);
    });
  });

  describe("stale answers", function () {
    it("accepts a collateral answer exactly at its maximum age and rejects it one second later", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      await btcFeed.setAnswer(60_000n * 10n ** 8n);
      const [, , , updatedAt] = await btcFeed.latestRoundData();
      await time.increaseTo(updatedAt + HOUR);
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
      await time.increase(1);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "StalePrice")
        .withArgs(await btcFeed.getAddress(), updatedAt, HOUR);
    });

    it("applies the loan feed's own maximum age", async function () {
      const { oracle, btcFeed, usdcFeed } = await loadFixture(wbtcUsdcFixture);
      await usdcFeed.setAnswer(10n ** 8n);
      const [, , , updatedAt] = await usdcFeed.latestRoundData();
      await time.increaseTo(updatedAt + DAY - 1n);
      // Keep the (hourly) collateral feed fresh; the loan feed is one second short of its age limit.
      await btcFeed.setAnswer(60_000n * 10n ** 8n);
      expect(await time.latest()).to.equal(Number(updatedAt + DAY));
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
      await time.increase(1);
      await btcFeed.setAnswer(60_000n * 10n ** 8n); // still fresh
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "StalePrice")
        .withArgs(await usdcFeed.getAddress(), updatedAt, DAY);
    });

    it("reports a stale answer set through setRoundData", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      const now = BigInt(await time.latest());
      const updatedAt = now - HOUR - 1n;
      await btcFeed.setRoundData(
        7n,
        60_000n * 10n ** 8n,
        updatedAt,
        updatedAt,
        7n,
      );
      // setRoundData mined one block: the answer is now HOUR + 2 seconds old.
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "StalePrice")
        .withArgs(await btcFeed.getAddress(), updatedAt, HOUR);
    });

    it("treats an answer timestamped in the future as fresh", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      const future = BigInt(await time.latest()) + 1_000n;
      await btcFeed.setRoundData(2n, 60_000n * 10n ** 8n, future, future, 2n);
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
    });
  });

  describe("non-positive answers", function () {
    it("reverts with NonPositivePrice for a zero collateral answer", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      await btcFeed.setAnswer(0n);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "NonPositivePrice")
        .withArgs(await btcFeed.getAddress(), 0n);
    });

    it("reverts with NonPositivePrice for a negative collateral answer", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      await btcFeed.setAnswer(-1n);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "NonPositivePrice")
        .withArgs(await btcFeed.getAddress(), -1n);
    });

    it("reverts with NonPositivePrice for a zero or negative loan answer", async function () {
      const { oracle, usdcFeed } = await loadFixture(wbtcUsdcFixture);
      const usdc = await usdcFeed.getAddress();
      await usdcFeed.setAnswer(0n);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "NonPositivePrice")
        .withArgs(usdc, 0n);
      const minInt = -(2n ** 255n);
      await usdcFeed.setAnswer(minInt);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "NonPositivePrice")
        .withArgs(usdc, minInt);
    });

    it("accepts the smallest positive answer", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      await btcFeed.setAnswer(1n); // $0.00000001 per BTC
      // 1 * 1e34 / 1e8
      expect(await oracle.price()).to.equal(10n ** 26n);
    });
  });

  describe("incomplete rounds", function () {
    it("reverts with IncompleteRound when answeredInRound < roundId", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      const now = BigInt(await time.latest());
      await btcFeed.setRoundData(5n, 60_000n * 10n ** 8n, now, now, 4n);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "IncompleteRound")
        .withArgs(await btcFeed.getAddress(), 5n, 4n);
    });

    it("reverts with IncompleteRound when updatedAt is 0", async function () {
      const { oracle, usdcFeed } = await loadFixture(wbtcUsdcFixture);
      await usdcFeed.setRoundData(9n, 10n ** 8n, 0n, 0n, 9n);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "IncompleteRound")
        .withArgs(await usdcFeed.getAddress(), 9n, 9n);
    });

    it("accepts answeredInRound greater than or equal to roundId", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      const now = BigInt(await time.latest());
      await btcFeed.setRoundData(5n, 60_000n * 10n ** 8n, now, now, 6n);
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
      await btcFeed.setRoundData(5n, 60_000n * 10n ** 8n, now, now, 5n);
      expect(await oracle.price()).to.equal(6n * 10n ** 38n);
    });

    it("checks completeness before staleness and sign", async function () {
      const { oracle, btcFeed } = await loadFixture(wbtcUsdcFixture);
      // Old, negative and incomplete: the incomplete round is what is reported.
      await btcFeed.setRoundData(3n, -5n, 1n, 1n, 2n);
      await expect(oracle.price())
        .to.be.revertedWithCustomError(oracle, "IncompleteRound")
        .withArgs(await btcFeed.getAddress(), 3n, 2n);
    });
  });

  describe("MockAggregatorV3", function () {
    it("publishes each setAnswer as a new complete round at the block timestamp", async function () {
      const { btcFeed } = await loadFixture(wbtcUsdcFixture);
      const [roundBefore] = await btcFeed.latestRoundData();
      await btcFeed.setAnswer(61_000n * 10n ** 8n);
      const now = BigInt(await time.latest());
      const [roundId, answer, startedAt, updatedAt, answeredInRound] =
        await btcFeed.latestRoundData();
      expect(roundId).to.equal(roundBefore + 1n);
      expect(answer).to.equal(61_000n * 10n ** 8n);
      expect(startedAt).to.equal(now);
      expect(updatedAt).to.equal(now);
      expect(answeredInRound).to.equal(roundId);
      expect(await btcFeed.decimals()).to.equal(8);
    });
  });
});
