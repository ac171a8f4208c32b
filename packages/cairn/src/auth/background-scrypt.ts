import { spawn, type ChildProcess } from "node:child_process";
import type { ScryptOptions } from "node:crypto";

/**
 * scrypt in a helper process at the lowest CPU priority (nice 19), for the password
 * checks of suspect log-in attempts (see PasswordWorkQueue). On a host whose cores are
 * busy (Cairn runs its tasks' containers beside the API), an attacker's hash running at
 * the same priority as a real user's took half the CPU time the real one needed, and
 * doubled or tripled its log-in time; at nice 19 it takes what is left over.
 *
 * One helper per server process, started at first use, with an empty environment (it
 * needs none, and the server's holds its keys). It ends when the server does (its IPC
 * channel closes). If it cannot start or dies, derivations run in this process instead:
 * slower for everyone under attack, never a wrong answer.
 */

const HELPER = `
const { scrypt } = require("node:crypto");
// Refused (no permission): hashing at normal priority is still correct, only less polite.
try { require("node:os").setPriority(19); } catch {}
process.on("disconnect", () => process.exit(0));
process.on("message", (m) => {
  scrypt(Buffer.from(m.password, "base64"), Buffer.from(m.salt, "base64"), m.length, m.options, (err, key) => {
    process.send(err ? { id: m.id, error: String(err.message) } : { id: m.id, key: key.toString("base64") });
  });
});
`;

type Derive = (password: string, salt: Buffer, length: number, options: ScryptOptions) => Promise<Buffer>;

interface Pending {
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

let helper: ChildProcess | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

/** Derives with `inProcess` when the helper is unavailable. */
export function scryptInBackground(inProcess: Derive): Derive {
  return async (password, salt, length, options) => {
    try {
      return await viaHelper(password, salt, length, options);
    } catch {
      return inProcess(password, salt, length, options);
    }
  };
}

function viaHelper(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  const child = helper ?? startHelper();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // The password as bytes, so the helper hashes exactly what this process would.
    const sent = child.send({ id, password: Buffer.from(password, "utf8").toString("base64"), salt: salt.toString("base64"), length, options }, (err) => {
      if (err) settle(id, undefined, err);
    });
    if (!sent && !child.connected) settle(id, undefined, new Error("the hashing helper is gone"));
  });
}

function startHelper(): ChildProcess {
  const child = spawn(process.execPath, ["-e", HELPER], { stdio: ["ignore", "ignore", "inherit", "ipc"], env: {} });
  helper = child;
  // Neither keeps the server's process alive.
  child.unref();
  child.channel?.unref();
  child.on("message", (m: { id: number; key?: string; error?: string }) => {
    settle(m.id, m.key === undefined ? undefined : Buffer.from(m.key, "base64"), m.error === undefined ? undefined : new Error(m.error));
  });
  const gone = (err?: Error) => {
    if (helper === child) helper = undefined;
    for (const id of [...pending.keys()]) settle(id, undefined, err ?? new Error("the hashing helper ended"));
  };
  child.on("error", gone);
  child.on("exit", () => gone());
  return child;
}

function settle(id: number, key: Buffer | undefined, err: Error | undefined): void {
  const waiting = pending.get(id);
  if (!waiting) return;
  pending.delete(id);
  if (key !== undefined) waiting.resolve(key);
  else waiting.reject(err ?? new Error("the hashing helper answered nothing"));
}

/** The helper's process id while it runs, for tests and diagnostics. */
export function backgroundHelperPid(): number | undefined {
  return helper?.pid;
}
