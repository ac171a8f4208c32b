import { mkdtemp, readFile, rm, stat, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KEY_FILE_NAME, KeyRingError, loadOrCreateKey } from "./key-ring.js";

let dataDir: string;
beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), "cairn-key-"))));
afterEach(() => rm(dataDir, { recursive: true, force: true }));

describe("data key", () => {
  it("generates a key file of mode 0600 on first start and reads it back afterwards", async () => {
    const first = await loadOrCreateKey({ dataDir });
    expect(first.source).toBe("generated");
    expect((await stat(join(dataDir, KEY_FILE_NAME))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateKey({ dataDir });
    expect(again.source).toBe("key_file");
    expect(again.key.equals(first.key)).toBe(true);
  });

  it("agrees on one key when several processes start at once", async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKey({ dataDir })));
    expect(new Set(keys.map((k) => k.key.toString("hex"))).size).toBe(1);
    expect(keys.filter((k) => k.source === "generated")).toHaveLength(1);
  });

  it("prefers a configured key and rejects one of the wrong size without echoing it", async () => {
    const configured = Buffer.alloc(32, 7).toString("base64");
    expect((await loadOrCreateKey({ dataDir, configuredKey: configured })).key.equals(Buffer.alloc(32, 7))).toBe(true);
    const err = await loadOrCreateKey({ dataDir, configuredKey: "c2hvcnQ=" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyRingError);
    expect((err as Error).message).toContain("CAIRN_DATA_KEY must be 32 bytes");
    expect((err as Error).message).not.toContain("c2hvcnQ");
  });

  it("refuses a key file that other users can read", async () => {
    await loadOrCreateKey({ dataDir });
    await chmod(join(dataDir, KEY_FILE_NAME), 0o644);
    const err = await loadOrCreateKey({ dataDir }).catch((e: unknown) => e);
    expect((err as KeyRingError).problem).toBe("key_file_exposed");
    expect(await readFile(join(dataDir, KEY_FILE_NAME), "utf8")).toMatch(/^[A-Za-z0-9+/]+=*\n$/);
  });
});
