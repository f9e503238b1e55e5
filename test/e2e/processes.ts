/**
 * Child processes for the multi-process tests: each one is started in its own process group, its output is kept
 * (and shown when a test fails), and `stopAll` leaves none behind: SIGTERM, then SIGKILL to the whole group after
 * a grace period. A last-resort `exit` hook kills any group still alive if the test runner itself dies.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** stdout and stderr, interleaved as they arrived. */
  output: () => string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  hasExited: () => boolean;
}

const running = new Set<ManagedProcess>();
const pathsToRemove = new Set<string>();

process.on("exit", () => {
  for (const managed of running) killGroup(managed, "SIGKILL");
  for (const target of pathsToRemove) rmSync(target, { recursive: true, force: true });
});

/** Removes `target` (a temporary directory) when the test process exits, however it exits. */
export function removeOnExit(target: string): void {
  pathsToRemove.add(target);
}

/**
 * The environment for a child: this process's, without the variables that would point a keeper or a deploy at
 * another node, pool, key or directory (KEEPER_*, DEPLOY_MODULE, DEPLOYMENTS_ROOT, IGNITION_DEPLOYMENT_ID,
 * LOCALHOST_RPC_URL, PRIVATE_KEY, HARDHAT_NETWORK, APP_DEPLOYMENTS_DIR), plus `extra`.
 */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) =>
      !name.startsWith("KEEPER_") &&
      ![
        "DEPLOY_MODULE",
        "DEPLOYMENTS_ROOT",
        "IGNITION_DEPLOYMENT_ID",
        "LOCALHOST_RPC_URL",
        "PRIVATE_KEY",
        "HARDHAT_NETWORK",
        "APP_DEPLOYMENTS_DIR",
      ].includes(name),
  );
  return { ...Object.fromEntries(inherited), ...extra };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `command` in its own process group and keeps its output. */
export function startProcess(name: string, command: string, args: string[], options: SpawnOptions): ManagedProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`${name} did not start: ${command} ${args.join(" ")}`);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const managed: ManagedProcess = {
    name,
    child,
    pid: child.pid,
    output: () => output,
    exited: new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        exited = true;
        running.delete(managed);
        resolve(code ?? signal ?? "unknown");
      }),
    ),
    hasExited: () => exited,
  };
  running.add(managed);
  return managed;
}

/**
 * Polls `probe` until it returns a value, or fails after `timeoutMs` naming what it waited for. Fails at once, with
 * the tail of its output, if one of the `needed` processes has exited meanwhile.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; needed?: ManagedProcess[] },
): Promise<T> {
  const { timeoutMs, intervalMs = 200, needed = [] } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = needed.find((managed) => managed.hasExited());
    if (dead !== undefined) {
      throw new Error(
        `${dead.name} exited while waiting for ${what}; its last output:\n${dead.output().slice(-3_000)}`,
      );
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`,
  );
}

/** Sends `signal` to the process and waits up to `timeoutMs` for its exit code. */
export async function stopProcess(
  managed: ManagedProcess,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<number | string> {
  if (!managed.hasExited()) managed.child.kill(signal);
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs).unref());
  const result = await Promise.race([managed.exited, timeout]);
  if (result === "timeout") throw new Error(`${managed.name} did not exit within ${timeoutMs} ms of ${signal}`);
  return result;
}

function killGroup(managed: ManagedProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-managed.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** True while any process of the group `pid` leads is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops every process still running: SIGTERM to its group, SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 5_000): Promise<void> {
  const left = [...running];
  for (const managed of left) killGroup(managed, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && left.some((managed) => groupAlive(managed.pid))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const managed of left) if (groupAlive(managed.pid)) killGroup(managed, "SIGKILL");
  await Promise.all(left.map((managed) => managed.exited));
}
