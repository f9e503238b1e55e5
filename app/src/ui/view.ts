/**
 * The page as a function of the app's state (lit-html templates: escaped, re-rendered in place). No chain access
 * here: main.ts reads, this draws. `data-testid` and raw `data-*` values are for the browser test and for anyone
 * scripting the page.
 */
import { html, nothing, svg, type TemplateResult } from "lit-html";
import {
  formatAmount,
  formatAprFromPerSecond,
  formatBps,
  formatHealthFactor,
  formatPercentE18,
  formatSharePrice,
  formatUtcMinute,
  shortAddress,
} from "../../../scripts/lib/format";
import type { AccountState, PoolPage, PoolSummary, SharePriceSeries } from "../chain/reads";
import { HEALTH_BANDS, type HealthBand } from "../../../scripts/lib/poolStatus";
import type { DepositMethod, TxPhase } from "../chain/actions";
import { chartGeometry } from "../lib/chart";
import { lossTotals, type LossRow } from "../lib/losses";
import { chainLabel } from "../lib/chains";
import type { AppTarget } from "../lib/target";

export type FormAction = "deposit" | "withdraw" | "redeem";

export interface FormState {
  action: FormAction;
  amount: string;
  tolerance: string;
  method: DepositMethod;
  preview?: string;
  previewError?: string;
}

export interface TxState {
  /** Which submission this is (1, 2, …): a new one replaces the last one's message. */
  seq: number;
  phase: TxPhase | "failed";
  message: string;
  hash?: string;
}

export interface ViewState {
  /** The page's query string (`location.search`), kept when a pool link changes `?pool=`. */
  query: string;
  target?: AppTarget;
  /** Who chose the addresses when it is not this site (lib/target.ts untrustedSource): the page warns. */
  foreignSource?: string;
  /** A problem that stops the app (bad URL, missing deployments file). */
  fatal?: string;
  walletPresent: boolean;
  wallet?: { account?: string; chainId: number };
  chainMessage: string | null;
  poolList?: PoolSummary[];
  page?: PoolPage;
  account?: AccountState;
  losses?: LossRow[];
  series?: SharePriceSeries;
  loadError?: string;
  loading: boolean;
  form: FormState;
  /** Submissions so far: the next one is numbered submissions + 1. */
  submissions: number;
  /** A submission is under way (from the click to its outcome): the button stays disabled, so no double submit. */
  submitting: boolean;
  tx?: TxState;
}

export interface ViewHandlers {
  connect(): void;
  switchChain(): void;
  refresh(): void;
  setForm(patch: Partial<FormState>): void;
  /** Another tab: an empty amount, and the last transaction's message cleared. */
  switchAction(action: FormAction): void;
  fillMax(): void;
  submit(): void;
}

function header(state: ViewState, on: ViewHandlers): TemplateResult {
  const wallet = state.wallet;
  return html`<header>
    <h1>Mutual Pools <span class="muted">LP app</span></h1>
    <div class="wallet" data-testid="wallet">
      ${
        state.target
          ? html`<span>Pool network: <b>${chainLabel(state.target.chainId)}</b></span>
              <span data-testid="source">Addresses: ${state.target.source}</span>`
          : nothing
      }
      ${
        !state.walletPresent
          ? html`<span class="warn">No wallet found: install MetaMask (or any EIP-1193 wallet) and reload.</span>`
          : wallet?.account
            ? html`<span
                >Wallet: <b data-testid="account" data-address=${wallet.account}>${shortAddress(wallet.account)}</b> on
                <b data-testid="wallet-chain">${chainLabel(wallet.chainId)}</b></span
              >`
            : html`<button data-testid="connect" @click=${on.connect}>Connect wallet</button>`
      }
      <button class="secondary" data-testid="refresh" ?disabled=${state.loading} @click=${on.refresh}>
        ${state.loading ? "Reading…" : "Refresh"}
      </button>
    </div>
  </header>`;
}

function poolList(state: ViewState): TemplateResult | typeof nothing {
  if (!state.poolList || state.poolList.length === 0) return nothing;
  return html`<section data-testid="pool-list">
    <h2>Pools</h2>
    <table>
      <thead>
        <tr>
          <th>Pool</th>
          <th>Exit price</th>
          <th>Entry price</th>
          <th>Total assets</th>
          <th>Recognized shortfall</th>
          <th>Reserve</th>
          <th>Utilization</th>
          <th>Supply APR</th>
        </tr>
      </thead>
      <tbody>
        ${state.poolList.map(
          (pool) =>
            html`<tr class=${pool.address === state.page?.status.address ? "selected" : ""}>
              <td>
                <a
                  href=${`?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(state.query)), pool: pool.address })}`}
                  >${pool.name}</a
                >
              </td>
              <td>${formatSharePrice(pool.sharePrice, pool.loanDecimals)}</td>
              <td>${formatSharePrice(pool.entrySharePrice, pool.loanDecimals)}</td>
              <td>${formatAmount(pool.totalAssets, pool.loanDecimals)} ${pool.loanSymbol}</td>
              <td>${formatAmount(pool.totalShortfall, pool.loanDecimals)} ${pool.loanSymbol}</td>
              <td>${formatAmount(pool.reserveAssets, pool.loanDecimals)} ${pool.loanSymbol}</td>
              <td>${formatPercentE18(pool.utilizationE18)}</td>
              <td>${formatAprFromPerSecond(pool.supplyRatePerSecondE18)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function figure(label: string, value: string, testId: string, hint?: string): TemplateResult {
  return html`<div class="figure" data-testid=${testId}>
    <div class="label">${label}</div>
    <div class="value">${value}</div>
    ${hint ? html`<div class="hint">${hint}</div>` : nothing}
  </div>`;
}

/** The health bands the page lists borrower by borrower: every band up to "at risk". */
const AT_RISK_BANDS: readonly HealthBand[] = HEALTH_BANDS.slice(0, HEALTH_BANDS.indexOf("at risk (<1.10)") + 1);

/** A supply cap; the uint128 maximum means none. */
function formatCap(cap: bigint, decimals: number, symbol: string): string {
  return cap === 2n ** 128n - 1n ? "no cap" : `${formatAmount(cap, decimals, 4)} ${symbol}`;
}

function poolPage(page: PoolPage): TemplateResult {
  const s = page.status;
  const amount = (value: bigint): string => `${formatAmount(value, s.loanDecimals)} ${s.loanSymbol}`;
  const atRisk = s.accounts
    .filter((account) => AT_RISK_BANDS.includes(account.band))
    .sort((a, b) => (a.healthFactor < b.healthFactor ? -1 : a.healthFactor > b.healthFactor ? 1 : 0));
  return html`<section data-testid="pool-page" data-pool=${s.address} data-block=${s.blockNumber}>
    <h2>${s.name} <span class="muted">${shortAddress(s.address)} · block ${s.blockNumber}</span></h2>
    ${s.paused ? html`<p class="warn">Paused: deposits and borrows are off; withdrawals still work.</p>` : nothing}
    <div class="figures">
      ${figure(
        "Exit share price",
        `${formatSharePrice(s.sharePrice, s.loanDecimals)} ${s.loanSymbol}`,
        "share-price",
        `per ${page.shareSymbol} share: what a withdrawal or redemption pays, net of recognized losses`,
      )}
      ${figure(
        "Entry share price",
        `${formatSharePrice(s.entrySharePrice, s.loanDecimals)} ${s.loanSymbol}`,
        "entry-share-price",
        `per ${page.shareSymbol} share: what a deposit pays`,
      )}
      ${figure(
        "Total assets (LPs)",
        amount(s.totalAssets),
        "total-assets",
        `at the exit price; ${amount(s.entryTotalAssets)} before the recognized shortfall`,
      )}
      ${figure(
        "Recognized shortfall",
        amount(s.totalShortfall),
        "recognized-shortfall",
        s.totalShortfall === 0n
          ? "none: exits and deposits are priced alike"
          : `the reserve covers ${amount(s.reserveCoveringShortfall)}; exits are priced net of ${amount(s.shortfallDeductedFromExits)}`,
      )}
      ${figure(
        "Reserve",
        amount(s.reserveAssets),
        "reserve",
        s.reserveCoveringShortfall === 0n
          ? "first-loss buffer: bad debt hits it before LPs"
          : `first-loss buffer: ${amount(s.reserveCoveringShortfall)} of it covers the recognized shortfall`,
      )}
      ${figure("Idle cash", amount(s.cash), "cash", "what LPs can withdraw now")}
      ${figure("Borrowed", amount(s.totalBorrowAssets), "borrowed")}
      ${figure("Utilization", formatPercentE18(s.utilizationE18), "utilization")}
      ${figure("Supply APR", formatAprFromPerSecond(s.supplyRatePerSecondE18), "supply-apr")}
      ${figure("Borrow APR", formatAprFromPerSecond(s.borrowRatePerSecondE18), "borrow-apr")}
      ${figure("Reserve factor", formatBps(s.reserveFactorBps), "reserve-factor", "share of interest kept as reserve")}
    </div>
    <p class="muted" data-testid="pricing-note">
      Withdrawals and redemptions are priced net of recognized losses: when an account's collateral would no longer
      repay its debt, anyone may have the pool recognize the shortfall, and from that block the part the reserve does
      not cover is deducted from what every share pays out, so leaving early dodges nothing. Deposits are priced at the
      entry price, without that deduction, so nobody buys shares cheap from a loss that a price recovery may still
      release; a deposit made while a shortfall is recognized takes its part of that loss if it is realized.
    </p>
    <h3>Collaterals</h3>
    <table data-testid="collaterals">
      <thead>
        <tr>
          <th>Asset</th>
          <th>Price</th>
          <th>Max LTV</th>
          <th>Liquidation threshold</th>
          <th>Liquidation bonus</th>
          <th>Supplied</th>
          <th>Supply cap</th>
          <th>Oracle</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        ${page.collaterals.map(
          (c) =>
            html`<tr>
              <td>${c.symbol}</td>
              <td>
                ${c.wholePriceE18 === null ? html`<span class="warn">oracle reverted</span>` : `${formatAmount(c.wholePriceE18, 18)} ${s.loanSymbol}`}
              </td>
              <td>${formatBps(c.ltvBps)}</td>
              <td>${formatBps(c.liquidationThresholdBps)}</td>
              <td>${formatBps(c.liquidationBonusBps)}</td>
              <td>${formatAmount(c.totalSupplied, c.decimals, 4)} ${c.symbol}</td>
              <td>${formatCap(c.supplyCap, c.decimals, c.symbol)}</td>
              <td title=${c.oracle}>${shortAddress(c.oracle)}</td>
              <td>${c.enabled ? "enabled" : "disabled (no new collateral)"}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>Accounts at risk</h3>
    <p data-testid="health-bands">
      ${
        Object.entries(s.bands)
          .filter(([, count]) => count > 0)
          .map(([band, count]) => `${count} ${band}`)
          .join(" · ") || "No borrower yet."
      }
    </p>
    ${
      atRisk.length === 0
        ? html`<p class="muted" data-testid="accounts-at-risk">No borrower below health 1.10.</p>`
        : html`<table data-testid="accounts-at-risk">
            <thead>
              <tr>
                <th>Borrower</th>
                <th>Debt</th>
                <th>Health factor</th>
                <th>State</th>
                <th>Shortfall now</th>
                <th>Recognized shortfall</th>
              </tr>
            </thead>
            <tbody>
              ${atRisk.slice(0, 10).map(
                (account) =>
                  html`<tr
                    data-testid="account-at-risk"
                    data-account=${account.account}
                    data-shortfall=${account.shortfall.toString()}
                    data-recognized=${account.recognizedShortfall.toString()}
                  >
                    <td title=${account.account}>${shortAddress(account.account)}</td>
                    <td>${amount(account.debt)}</td>
                    <td>${formatHealthFactor(account.healthFactor)}</td>
                    <td>${account.band}</td>
                    <td>${amount(account.shortfall)}</td>
                    <td>${amount(account.recognizedShortfall)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

function position(page: PoolPage, account: AccountState): TemplateResult {
  const s = page.status;
  const amount = (value: bigint): string => `${formatAmount(value, s.loanDecimals)} ${s.loanSymbol}`;
  const p = account.position;
  return html`<section data-testid="position" data-value=${p.value.toString()} data-shares=${p.shares.toString()}>
    <h2>Your position</h2>
    <div class="figures">
      ${figure("Shares", `${formatAmount(p.shares, page.shareDecimals, 6)} ${page.shareSymbol}`, "position-shares")}
      ${figure("Value now", amount(p.value), "position-value", "what your shares redeem for: the exit value, net of recognized losses")}
      ${figure("Deposited (net)", amount(p.netDeposited), "position-deposited", "deposits less withdrawals")}
      ${
        p.gain === null
          ? figure("Earned", "—", "position-gain", "shares moved by transfer: deposits alone do not tell the gain")
          : figure(
              p.gain < 0n ? "Loss" : "Earned",
              amount(p.gain < 0n ? -p.gain : p.gain),
              "position-gain",
              "value now − deposited",
            )
      }
      ${figure("Share of pool", formatPercentE18(p.poolShareE18), "position-pool-share")}
      ${figure("Wallet", amount(account.assetBalance), "wallet-balance", `can withdraw now: ${amount(account.maxWithdraw)}`)}
    </div>
  </section>`;
}

function form(state: ViewState, page: PoolPage, account: AccountState | undefined, on: ViewHandlers): TemplateResult {
  const f = state.form;
  const blocked = state.chainMessage !== null || account === undefined;
  const unit = f.action === "redeem" ? `${page.shareSymbol} shares` : page.status.loanSymbol;
  const tab = (action: FormAction, label: string) =>
    html`<button
      class=${f.action === action ? "tab active" : "tab"}
      data-testid=${`tab-${action}`}
      @click=${() => on.switchAction(action)}
    >
      ${label}
    </button>`;
  return html`<section data-testid="lp-form" data-submissions=${state.submissions}>
    <h2>Deposit or withdraw</h2>
    <div class="tabs">${tab("deposit", "Deposit")}${tab("withdraw", "Withdraw")}${tab("redeem", "Redeem shares")}</div>
    <label
      >Amount (${unit})
      <span class="row">
        <input
          data-testid="amount"
          inputmode="decimal"
          placeholder="0.0"
          .value=${f.amount}
          @input=${(event: Event) => on.setForm({ amount: (event.target as HTMLInputElement).value })}
        />
        <button class="secondary" data-testid="max" ?disabled=${account === undefined} @click=${on.fillMax}>Max</button>
      </span>
    </label>
    <label
      >Slippage tolerance (%)
      <input
        data-testid="tolerance"
        inputmode="decimal"
        .value=${f.tolerance}
        @input=${(event: Event) => on.setForm({ tolerance: (event.target as HTMLInputElement).value })}
      />
    </label>
    ${
      f.action === "deposit"
        ? html`<fieldset>
            <legend>Let the pool take your ${page.status.loanSymbol}</legend>
            <label
              ><input
                type="radio"
                name="method"
                data-testid="method-permit"
                .checked=${f.method === "permit"}
                ?disabled=${account !== undefined && !account.permitSupported}
                @change=${() => on.setForm({ method: "permit" })}
              />
              Sign a permit (EIP-2612): one transaction</label
            >
            <label
              ><input
                type="radio"
                name="method"
                data-testid="method-approve"
                .checked=${f.method === "approve"}
                @change=${() => on.setForm({ method: "approve" })}
              />
              Approve, then deposit: two transactions</label
            >
          </fieldset>`
        : nothing
    }
    <p class="preview" data-testid="preview">
      ${f.previewError ? html`<span class="warn">${f.previewError}</span>` : (f.preview ?? " ")}
    </p>
    <button data-testid="submit" ?disabled=${blocked || state.submitting} @click=${on.submit}>
      ${f.action === "deposit" ? "Deposit" : f.action === "withdraw" ? "Withdraw" : "Redeem"}
    </button>
    ${
      state.tx
        ? html`<p
            class=${`tx ${state.tx.phase}`}
            data-testid="tx-status"
            data-seq=${state.tx.seq}
            data-phase=${state.tx.phase}
          >
            ${state.tx.message}
          </p>`
        : nothing
    }
  </section>`;
}

function lossHistory(page: PoolPage, rows: readonly LossRow[], account?: AccountState): TemplateResult {
  const s = page.status;
  const amount = (value: bigint): string => `${formatAmount(value, s.loanDecimals)} ${s.loanSymbol}`;
  const totals = lossTotals(rows);
  return html`<section data-testid="loss-history">
    <h2>Loss history</h2>
    <p class="muted">
      When a liquidation leaves debt that no collateral backs, the pool's reserve pays it first; the rest lowers the
      share price, so every LP loses the same fraction at once. Each row is one such write-down; "cost to you" is the
      shares you held at that moment × the drop in the share price. A loss recognized before it is realized lowers the
      exit price from the block it is recognized: its write-down then moves the exit price little or not at all.
    </p>
    ${
      rows.length === 0
        ? html`<p data-testid="no-losses">No bad debt has been realized in this pool.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>Date</th>
                <th>Borrower</th>
                <th>Bad debt</th>
                <th>Covered by reserve</th>
                <th>Socialized</th>
                <th>Share price before → after</th>
                ${
                  account
                    ? html`<th>Your shares then</th>
                        <th>Cost to you</th>`
                    : nothing
                }
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (row) =>
                  html`<tr
                    data-testid="loss-row"
                    data-block=${row.blockNumber}
                    data-tx=${row.transactionHash}
                    data-borrower=${row.borrower}
                    data-bad-debt=${row.badDebtAssets.toString()}
                    data-covered=${row.coveredByReserve.toString()}
                    data-socialized=${row.socializedAssets.toString()}
                    data-price-before=${row.sharePriceBefore.toString()}
                    data-price-after=${row.sharePriceAfter.toString()}
                    data-cost=${row.accountCost?.toString() ?? ""}
                  >
                    <td>
                      ${formatUtcMinute(row.timestamp)}
                      <div class="muted">block ${row.blockNumber}</div>
                    </td>
                    <td title=${row.borrower}>${shortAddress(row.borrower)}</td>
                    <td>${amount(row.badDebtAssets)}</td>
                    <td>${amount(row.coveredByReserve)}</td>
                    <td>${amount(row.socializedAssets)}</td>
                    <td>
                      ${formatSharePrice(row.sharePriceBefore, s.loanDecimals)} →
                      ${formatSharePrice(row.sharePriceAfter, s.loanDecimals)}
                    </td>
                    ${
                      account
                        ? html`<td>${formatAmount(row.accountShares ?? 0n, page.shareDecimals, 6)}</td>
                            <td class="loss">${amount(row.accountCost ?? 0n)}</td>`
                        : nothing
                    }
                  </tr>`,
              )}
            </tbody>
            <tfoot>
              <tr data-testid="loss-totals">
                <td colspan="2">Total (${rows.length})</td>
                <td>${amount(totals.badDebtAssets)}</td>
                <td>${amount(totals.coveredByReserve)}</td>
                <td>${amount(totals.socializedAssets)}</td>
                <td></td>
                ${
                  account
                    ? html`<td></td>
                        <td class="loss">${amount(totals.accountCost)}</td>`
                    : nothing
                }
              </tr>
            </tfoot>
          </table>`
    }
  </section>`;
}

const CHART = { width: 640, height: 180, padding: 12 };

function chart(page: PoolPage, series: SharePriceSeries): TemplateResult {
  const geometry = chartGeometry(series.points, CHART);
  const decimals = page.status.loanDecimals;
  return html`<section data-testid="share-price-chart">
    <h2>Share price over time <span class="muted">(exit price: net of recognized losses)</span></h2>
    ${
      geometry.path === ""
        ? html`<p class="muted">No deposit yet.</p>`
        : html`<svg
              viewBox="0 0 ${CHART.width} ${CHART.height}"
              role="img"
              aria-label=${`Share price from ${formatSharePrice(geometry.maxPrice, decimals)} at most to ${formatSharePrice(geometry.minPrice, decimals)} at least`}
            >
              ${svg`<path d=${geometry.path} class="line" />`}
              ${geometry.writeDowns.map((point) => svg`<circle cx=${point.x} cy=${point.y} r="4" class="write-down" />`)}
            </svg>
            <div class="chart-legend">
              <span>${formatUtcMinute(geometry.firstTimestamp)}</span>
              <span
                >high ${formatSharePrice(geometry.maxPrice, decimals)} · low
                ${formatSharePrice(geometry.minPrice, decimals)} · red dots: write-downs</span
              >
              <span>${formatUtcMinute(geometry.lastTimestamp)}</span>
            </div>`
    }
    ${series.limitation ? html`<p class="warn">${series.limitation}</p>` : nothing}
  </section>`;
}

export function view(state: ViewState, on: ViewHandlers): TemplateResult {
  if (state.fatal) {
    return html`${header(state, on)}
      <main><p class="error" data-testid="fatal">${state.fatal}</p></main>`;
  }
  return html`${header(state, on)}
    <main>
      ${
        state.chainMessage
          ? html`<p class="error" data-testid="wrong-chain">
              ${state.chainMessage} <button @click=${on.switchChain}>Switch network</button>
            </p>`
          : nothing
      }
      ${state.loadError ? html`<p class="error" data-testid="load-error">${state.loadError}</p>` : nothing}
      ${
        state.foreignSource
          ? html`<p class="warn" data-testid="foreign-source">
              The pool addresses come from ${state.foreignSource}, not from this site's deployments file. Deposit only
              if you trust that source: a permit or approval lets the pool address it names take your tokens.
            </p>`
          : nothing
      }
      ${
        state.walletPresent && !state.wallet?.account && !state.chainMessage
          ? html`<p class="muted">Connect your wallet to see your position and to deposit.</p>`
          : nothing
      }
      ${poolList(state)} ${state.page ? poolPage(state.page) : nothing}
      ${state.page && state.account ? position(state.page, state.account) : nothing}
      ${state.page ? form(state, state.page, state.account, on) : nothing}
      ${state.page && state.losses ? lossHistory(state.page, state.losses, state.account) : nothing}
      ${state.page && state.series ? chart(state.page, state.series) : nothing}
    </main>`;
}
