import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirInUseError, HOLDER_FILE, lockDataDir, type DataDirLock } from "./data-dir-lock.js";
import { processWorkerId } from "./worker-id.js";

/** The one-process-per-SQLite-data-dir lock, against other real processes. */

const MODULE = fileURLToPath(new URL("./data-dir-lock.ts", import.meta.url));

/** A process that takes the lock and keeps it until killed; resolves with its first line ("locked ID" or "refused MESSAGE"). */
function otherProcess(dataDir: string): { child: ChildProcess; said: Promise<string> } {
  const code = `
    import { lockDataDir } from ${JSON.stringify(MODULE)};
    try { const lock = lockDataDir(${JSON.stringify(dataDir)}); console.log("locked " + lock.holder); setInterval(() => {}, 1000); }
    catch (err) { console.log("refused " + err.message); process.exit(3); }`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const said = new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) resolve(text.split("\n")[0]!);
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before saying anything: ${text}`)));
  });
  return { child, said };
}

describe("lockDataDir", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "cairn-lock-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
  function spawned(dir: string) {
    const other = otherProcess(dir);
    cleanups.push(() => void other.child.kill("SIGKILL"));
    return other;
  }
  function exited(child: ChildProcess): Promise<number | null> {
    return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", resolve));
  }

  it("refuses a second process with who holds the data dir and what to do instead, and frees it when the holder is killed -9", async () => {
    const dir = await dataDir();
    const holder = spawned(dir);
    const said = await holder.said;
    expect(said).toMatch(/^locked [^:]+:\d+:\d+$/);
    const holderId = said.slice("locked ".length);
    expect(holderId.split(":")[1]).toBe(String(holder.child.pid));

    let refusal: unknown;
    try {
      lockDataDir(dir);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    const error = refusal as DataDirInUseError;
    expect(error.code).toBe("conflict");
    expect(error.holder).toBe(holderId);
    expect(error.message).toContain(dir);
    expect(error.message).toContain(`${holderId.split(":")[0]}:${holder.child.pid}`);
    expect(error.message).toMatch(/one process runs per data dir/);
    expect(error.message).toContain("use PostgreSQL (--database-url / CAIRN_DATABASE_URL)");

    // kill -9 leaves its holder file behind, but not its lock: the kernel drops it with the process.
    holder.child.kill("SIGKILL");
    await exited(holder.child);
    const lock = lockDataDir(dir);
    cleanups.push(() => lock.release());
    expect(lock.holder).toBe(processWorkerId());
    expect((await readFile(join(dir, HOLDER_FILE), "utf8")).trim()).toBe(processWorkerId());
  });

  it("is one lock per process: opens in this process share it, and the last release frees it for another", async () => {
    const dir = await dataDir();
    const first = lockDataDir(dir);
    // Another spelling of the same folder is the same lock.
    const link = join(await dataDir(), "link");
    await symlink(dir, link);
    const second: DataDirLock = lockDataDir(link);
    first.release();
    first.release(); // idempotent: does not give up the second open's share

    const refused = spawned(dir);
    expect(await refused.said).toMatch(new RegExp(`^refused .*worker [^ ]+:${process.pid} started`));
    expect(await exited(refused.child)).toBe(3);

    second.release();
    const next = spawned(dir);
    expect(await next.said).toMatch(/^locked /);
  });

  it("takes the lock of a data dir that does not exist yet, creating it", async () => {
    const dir = join(await dataDir(), "new", "data");
    const lock = lockDataDir(dir);
    lock.release();
    const again = lockDataDir(dir);
    again.release();
  });
});
