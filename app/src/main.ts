/**
 * The LP app's controller: loads the target (deployments file or URL), follows the injected wallet (account and
 * chain), reads the pool through the wallet's provider, and runs the LP's transactions. Rendering is ui/view.ts.
 */
import { formatUnits } from "ethers";
import { CachingBrowserProvider } from "./chain/logCache";
import { render } from "lit-html";
import { formatAmount } from "../../scripts/lib/format";
import { deposit, redeem, withdraw, type ActionContext } from "./chain/actions";
import { readAccount, readLossHistory, readPoolList, readPoolPage, readSharePriceSeries } from "./chain/reads";
import { Pool__factory } from "./chain/contracts";
import { InputError, parseAmountInput } from "./lib/amounts";
import { wrongChainMessage } from "./lib/chains";
import { explainError } from "./lib/errors";
import { DEFAULT_TOLERANCE_PERCENT, lowerBound, parseTolerancePercent, upperBound } from "./lib/slippage";
import { loadTarget, targetRequestFromQuery, untrustedSource } from "./lib/target";
import { view, type FormState, type ViewHandlers, type ViewState } from "./ui/view";
import { connectWallet, injectedWallet, readWallet, switchChain, type Eip1193Provider } from "./wallet";
import "./styles.css";

/** How often the app asks the wallet's node for a new block (and then reads the pool again). */
const BLOCK_POLL_MS = 4_000;

const root = document.getElementById("app") as HTMLElement;
const wallet: Eip1193Provider | undefined = injectedWallet();
let provider: CachingBrowserProvider | undefined;
let refreshGeneration = 0;
let walletSyncs = 0;
let lastBlockSeen = -1;
let previewTimer: ReturnType<typeof setTimeout> | undefined;

const state: ViewState = {
  query: location.search,
  walletPresent: wallet !== undefined,
  chainMessage: null,
  loading: false,
  submissions: 0,
  submitting: false,
  form: { action: "deposit", amount: "", tolerance: DEFAULT_TOLERANCE_PERCENT, method: "permit" },
};

function update(patch: Partial<ViewState>): void {
  Object.assign(state, patch);
  render(view(state, handlers), root);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The latest wallet read: a caller overtaken by a newer one awaits it, so it acts on the newest answer. */
let latestSync: Promise<void> = Promise.resolve();

/** Follows the wallet's account and chain; a new chain gets a new provider (ethers pins one per network). */
function syncWallet(): Promise<void> {
  latestSync = readAndApplyWallet();
  return latestSync;
}

async function readAndApplyWallet(): Promise<void> {
  if (wallet === undefined || state.target === undefined) return;
  const sync = ++walletSyncs;
  const { accounts, chainId } = await readWallet(wallet);
  // accountsChanged and chainChanged often fire together: only the latest answer counts.
  if (sync !== walletSyncs) return;
  const account = accounts[0];
  const chainChanged = state.wallet?.chainId !== chainId;
  const accountChanged = state.wallet?.account !== account;
  if (chainChanged) provider = new CachingBrowserProvider(wallet, chainId);
  // A read under way belongs to the previous chain or account: drop its result.
  if (chainChanged || accountChanged) refreshGeneration += 1;
  const chainMessage = wrongChainMessage(chainId, state.target.chainId);
  update({
    wallet: { account, chainId },
    chainMessage,
    ...(chainChanged || accountChanged ? { loading: false } : {}),
    ...(accountChanged ? { account: undefined, losses: undefined } : {}),
    ...(chainMessage === null
      ? {}
      : { page: undefined, account: undefined, losses: undefined, series: undefined, poolList: undefined }),
  });
}

async function refresh(): Promise<void> {
  const target = state.target;
  if (target === undefined || provider === undefined || state.chainMessage !== null) return;
  const generation = ++refreshGeneration;
  const current = provider;
  update({ loading: true });
  try {
    const poolAddress = target.selectedPool ?? target.pools[0]?.address;
    if (poolAddress === undefined) throw new Error(`${target.source} lists no pool.`);
    const page = await readPoolPage(current, target, poolAddress);
    const poolList = await readPoolList(current, target, page);
    const accountAddress = state.wallet?.account;
    const account = accountAddress === undefined ? undefined : await readAccount(current, target, page, accountAddress);
    // A loan asset without EIP-2612 can only be approved.
    const form =
      account?.permitSupported === false && state.form.method === "permit" ? { method: "approve" as const } : {};
    const losses = await readLossHistory(current, target, page, account);
    const series = await readSharePriceSeries(current, target, page, losses);
    if (generation !== refreshGeneration) return;
    lastBlockSeen = page.status.blockNumber;
    update({
      poolList,
      page,
      account,
      losses,
      series,
      loadError: undefined,
      loading: false,
      form: { ...state.form, ...form },
    });
    schedulePreview();
  } catch (error) {
    if (generation !== refreshGeneration) return;
    update({ loading: false, loadError: `Could not read the pool: ${message(error)}` });
  }
}

/** What the form's amount would do now, with the bound the tolerance sets. */
async function computePreview(form: FormState): Promise<Pick<FormState, "preview" | "previewError">> {
  const page = state.page;
  if (page === undefined || provider === undefined || form.amount.trim() === "")
    return { preview: undefined, previewError: undefined };
  const s = page.status;
  const assets = (value: bigint): string => `${formatAmount(value, s.loanDecimals)} ${s.loanSymbol}`;
  const shares = (value: bigint): string => `${formatAmount(value, page.shareDecimals, 6)} shares`;
  try {
    const toleranceBps = parseTolerancePercent(form.tolerance);
    const pool = Pool__factory.connect(s.address, provider);
    if (form.action === "redeem") {
      const amount = parseAmountInput(form.amount, page.shareDecimals, "shares");
      const preview = await pool.previewRedeem(amount);
      return {
        preview: `You receive ${assets(preview)} at the exit price; at least ${assets(lowerBound(preview, toleranceBps))} or the redemption reverts.`,
        previewError: undefined,
      };
    }
    const amount = parseAmountInput(form.amount, s.loanDecimals, s.loanSymbol);
    if (form.action === "deposit") {
      const preview = await pool.previewDeposit(amount);
      return {
        preview: `You receive ${shares(preview)} at the entry price; at least ${shares(lowerBound(preview, toleranceBps))} or the deposit reverts.`,
        previewError: undefined,
      };
    }
    const preview = await pool.previewWithdraw(amount);
    return {
      preview: `This burns ${shares(preview)} at the exit price; at most ${shares(upperBound(preview, toleranceBps))} or the withdrawal reverts.`,
      previewError: undefined,
    };
  } catch (error) {
    return {
      preview: undefined,
      previewError: error instanceof InputError ? error.message : `Preview failed: ${message(error)}`,
    };
  }
}

function schedulePreview(): void {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => {
    const form = { ...state.form };
    void computePreview(form).then((result) => {
      // Only if the form did not change meanwhile.
      if (
        state.form.amount === form.amount &&
        state.form.action === form.action &&
        state.form.tolerance === form.tolerance
      ) {
        update({ form: { ...state.form, ...result } });
      }
    });
  }, 200);
}

async function submit(): Promise<void> {
  const page = state.page;
  // One submission at a time: a double click must not start a second one (two permits would share a nonce).
  if (page === undefined || provider === undefined || state.submitting) return;
  const s = page.status;
  const form = state.form;
  const errorContext = {
    action: form.action,
    assetSymbol: s.loanSymbol,
    assetDecimals: s.loanDecimals,
    shareDecimals: page.shareDecimals,
  };
  const seq = state.submissions + 1;
  update({ submitting: true, submissions: seq, tx: { seq, phase: "wallet", message: "Preparing the transaction…" } });
  try {
    // Check the chain and account again right before signing: the wallet may have switched since the last render.
    await syncWallet();
    await latestSync;
    if (state.chainMessage !== null) throw new InputError(state.chainMessage);
    const account = state.wallet?.account;
    if (account === undefined || provider === undefined) throw new InputError("Connect your wallet first.");
    const context: ActionContext = {
      signer: await provider.getSigner(account),
      poolAddress: s.address,
      assetAddress: page.status.loanAsset,
      assetSymbol: s.loanSymbol,
      assetDecimals: s.loanDecimals,
      shareDecimals: page.shareDecimals,
      toleranceBps: parseTolerancePercent(form.tolerance),
      onUpdate: (tx) => update({ tx: { ...tx, seq } }),
    };
    const result =
      form.action === "deposit"
        ? await deposit(context, parseAmountInput(form.amount, s.loanDecimals, s.loanSymbol), form.method)
        : form.action === "withdraw"
          ? await withdraw(context, parseAmountInput(form.amount, s.loanDecimals, s.loanSymbol))
          : await redeem(context, parseAmountInput(form.amount, page.shareDecimals, "shares"));
    update({ submitting: false, tx: { ...result, seq }, form: { ...state.form, amount: "", preview: undefined } });
    await refresh();
  } catch (error) {
    update({ submitting: false, tx: { seq, phase: "failed", message: explainError(error, errorContext) } });
  }
}

const handlers: ViewHandlers = {
  connect: () => {
    if (wallet === undefined) return;
    void connectWallet(wallet)
      .then(() => syncWallet())
      .then(() => refresh())
      .catch((error: unknown) => update({ loadError: `The wallet did not connect: ${message(error)}` }));
  },
  switchChain: () => {
    if (wallet === undefined || state.target === undefined) return;
    void switchChain(wallet, state.target.chainId).catch((error: unknown) =>
      update({ loadError: `Switch the network in your wallet yourself: it refused (${message(error)}).` }),
    );
  },
  refresh: () => void refresh(),
  setForm: (patch) => {
    update({ form: { ...state.form, ...patch } });
    schedulePreview();
  },
  switchAction: (action) => {
    update({ tx: state.tx?.phase === "wallet" || state.tx?.phase === "pending" ? state.tx : undefined });
    handlers.setForm({ action, amount: "", preview: undefined, previewError: undefined });
  },
  fillMax: () => {
    const page = state.page;
    const account = state.account;
    if (page === undefined || account === undefined) return;
    const [max, decimals] =
      state.form.action === "deposit"
        ? [account.assetBalance, page.status.loanDecimals]
        : state.form.action === "withdraw"
          ? [account.maxWithdraw, page.status.loanDecimals]
          : [account.maxRedeem, page.shareDecimals];
    handlers.setForm({ amount: formatUnits(max, decimals) });
  },
  submit: () => void submit(),
};

async function pollBlocks(): Promise<void> {
  // Not while a transaction is under way: its own refresh follows it.
  if (provider === undefined || state.chainMessage !== null || state.loading || state.submitting) return;
  try {
    const head = await provider.getBlockNumber();
    if (head !== lastBlockSeen) await refresh();
  } catch {
    // The next poll tries again; a persistent failure shows on the next manual refresh.
  }
}

async function start(): Promise<void> {
  update({});
  try {
    const target = await loadTarget(targetRequestFromQuery(location.search));
    update({ target, foreignSource: untrustedSource(target, location.href) });
  } catch (error) {
    update({ fatal: message(error) });
    return;
  }
  if (wallet === undefined) return;
  const follow = (): void =>
    void syncWallet()
      .then(() => refresh())
      .catch((error: unknown) => update({ loadError: `The wallet did not answer: ${message(error)}` }));
  wallet.on?.("accountsChanged", follow);
  wallet.on?.("chainChanged", follow);
  try {
    await syncWallet();
  } catch (error) {
    update({ loadError: `The wallet did not answer: ${message(error)}` });
    return;
  }
  await refresh();
  setInterval(() => void pollBlocks(), BLOCK_POLL_MS);
}

void start();
