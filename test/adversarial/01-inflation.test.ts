import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as poolMath from "../../keepers/src/model/poolMath";
import { deployPool, units } from "../helpers/fixtures";
import { expectBooksReconciled, percent } from "./reconcile";

/**
 * First-depositor inflation: the attacker is first into an empty pool with a tiny deposit, then tries to raise the
 * share price before a victim deposits, so that the victim's shares round down to (almost) nothing. Donations do not
 * count (cash is derived from the books, never from balanceOf) and the reserve is outside totalAssets, so neither
 * a plain transfer nor donateToReserve moves the share price; the 10^6 virtual shares bound the rounding. Every
 * expected figure comes from poolMath.
 */
describe("Adversarial 1: first-depositor inflation and donation attacks", () => {
  const DECIMALS = 6; // a USDC-like loan asset: the cheapest to inflate per wei
  const VICTIM_DEPOSIT = units(10_000, DECIMALS);
  const DONATION = units(100_000, DECIMALS);

  async function emptyPoolFixture() {
    const fx = await deployPool({ loanDecimals: DECIMALS, mintWholeTokens: 1_000_000n });
    const [attacker, victim] = fx.lps;
    return { ...fx, attacker, victim };
  }

  /** The attacker deposits 1 wei into the empty pool. */
  async function tinyFirstDepositFixture() {
    const fx = await emptyPoolFixture();
    await fx.pool.connect(fx.attacker).deposit(1n, fx.attacker.address);
    return fx;
  }

  it("a 1-wei first deposit mints 10^6 shares at the fair price (poolMath.lpSharesDown), no windfall", async () => {
    const { pool, attacker } = await loadFixture(tinyFirstDepositFixture);
    expect(await pool.balanceOf(attacker.address)).to.equal(poolMath.lpSharesDown(1n, 0n, 0n));
    expect(await pool.balanceOf(attacker.address)).to.equal(10n ** 6n);
    expect(await pool.totalAssets()).to.equal(1n);
  });

  for (const route of ["plain transfer", "donateToReserve"] as const) {
    it(`1 wei first, then ${route} of 100,000: the victim loses 0, the attacker loses the whole donation`, async () => {
      const fx = await loadFixture(tinyFirstDepositFixture);
      const { pool, loanToken, attacker, victim } = fx;
      // Its wallet before the 1-wei first deposit.
      const attackerStart = (await loanToken.balanceOf(attacker.address)) + 1n;
      const poolAddress = await pool.getAddress();
      const sharePriceBefore = await pool.sharePrice();

      if (route === "plain transfer") await loanToken.connect(attacker).transfer(poolAddress, DONATION);
      else await pool.connect(attacker).donateToReserve(DONATION);

      // The share price and totalAssets do not move: nothing to inflate.
      expect(await pool.sharePrice()).to.equal(sharePriceBefore);
      expect(await pool.totalAssets()).to.equal(1n);
      expect(await pool.reserveAssets()).to.equal(route === "donateToReserve" ? DONATION : 0n);

      const supply = await pool.totalSupply();
      const victimShares = poolMath.lpSharesDown(VICTIM_DEPOSIT, 1n, supply);
      await pool.connect(victim).deposit(VICTIM_DEPOSIT, victim.address);
      expect(await pool.balanceOf(victim.address)).to.equal(victimShares);

      // Both exit. The victim gets back what poolMath says its shares are worth: the whole deposit.
      const victimPayout = poolMath.lpAssetsDown(victimShares, 1n + VICTIM_DEPOSIT, supply + victimShares);
      const victimLoss = VICTIM_DEPOSIT - victimPayout;
      expect(victimLoss).to.equal(0n);
      await pool.connect(victim).redeem(victimShares, victim.address, victim.address);
      const attackerShares = await pool.balanceOf(attacker.address);
      await pool.connect(attacker).redeem(attackerShares, attacker.address, attacker.address);

      const attackerCost = attackerStart - (await loanToken.balanceOf(attacker.address));
      expect(attackerCost).to.equal(DONATION);
      // A plain transfer stays in the pool unowned; a reserve donation belongs to the protocol.
      await expectBooksReconciled(pool, loanToken, [], route === "plain transfer" ? DONATION : 0n);
      expect(await pool.cash()).to.equal(route === "donateToReserve" ? DONATION : 0n);
      console.log(
        `      inflation via ${route}: attacker cost=${attackerCost} raw (${percent(attackerCost, VICTIM_DEPOSIT)} of` +
          ` the victim's deposit), victim loss=${victimLoss} raw`,
      );
    });
  }

  it("tiny first deposits and donations of any size: the victim's rounding loss is at most 1 wei (virtual offset)", async () => {
    // The worst case an attacker can buy: every (first deposit, donation) pair, donations ignored.
    let worstVictimLoss = 0n;
    let runs = 0;
    for (const firstDeposit of [1n, 2n, 999_999n, units(1, DECIMALS)]) {
      for (const victimDeposit of [1n, 7n, 1_000_001n, VICTIM_DEPOSIT + 3n]) {
        const fx = await loadFixture(emptyPoolFixture);
        const { pool, attacker, victim, loanToken } = fx;
        await pool.connect(attacker).deposit(firstDeposit, attacker.address);
        await loanToken.connect(attacker).transfer(await pool.getAddress(), DONATION);
        await pool.connect(attacker).donateToReserve(DONATION);
        const supply = await pool.totalSupply();
        const shares = poolMath.lpSharesDown(victimDeposit, firstDeposit, supply);
        await pool.connect(victim).deposit(victimDeposit, victim.address);
        expect(await pool.balanceOf(victim.address)).to.equal(shares);
        const payout = await pool.previewRedeem(shares);
        expect(payout).to.equal(poolMath.lpAssetsDown(shares, firstDeposit + victimDeposit, supply + shares));
        const loss = victimDeposit - payout;
        expect(loss).to.be.at.most(1n);
        if (loss > worstVictimLoss) worstVictimLoss = loss;
        // The attacker's own shares are worth no more than it paid: it gains nothing from the victim.
        expect(await pool.previewRedeem(await pool.balanceOf(attacker.address))).to.be.at.most(firstDeposit);
        await expectBooksReconciled(pool, loanToken, [], DONATION);
        runs += 1;
      }
    }
    expect(runs).to.equal(16);
    console.log(`      16 (first deposit, victim deposit) pairs with 200,000 donated: worst victim loss=${worstVictimLoss} wei`);
  });

  it("a deposit that would mint 0 shares reverts ZeroShares instead of taking the victim's tokens", async () => {
    // After a total write-down the share price is 0, never huge: the only 0-share deposit is 0 assets.
    const { pool, victim } = await loadFixture(tinyFirstDepositFixture);
    await expect(pool.connect(victim).deposit(0n, victim.address))
      .to.be.revertedWithCustomError(pool, "ZeroShares")
      .withArgs(0n);
  });
});
