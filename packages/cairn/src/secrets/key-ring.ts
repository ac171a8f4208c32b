import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CairnError } from "../errors.js";

/**
 * The service's data-encryption key: 32 bytes that seal credentials at rest and,
 * through HKDF, sign tokens. It comes from configuration (CAIRN_DATA_KEY), or from
 * `DATA_DIR/secret.key`, which the first start generates.
 */

export const DATA_KEY_BYTES = 32;
export const KEY_FILE_NAME = "secret.key";

/** 32 checked bytes; the brand keeps an arbitrary Buffer from being used as the key. */
export type DataKey = Buffer & { readonly __brand: "DataKey" };

export type KeySource = "configured" | "key_file" | "generated";

export interface LoadedKey {
  key: DataKey;
  /** Where the key came from, so the server can say "generated a new key: back it up". */
  source: KeySource;
  /** The key file read or written; undefined for a configured key. */
  path: string | undefined;
}

export type KeyRingProblem = "configured_key_invalid" | "key_file_invalid" | "key_file_exposed";

export class KeyRingError extends CairnError {
  override name = "KeyRingError";
  readonly problem: KeyRingProblem;

  constructor(problem: KeyRingProblem, message: string, options?: { cause?: unknown; path?: string }) {
    super("config_invalid", message, { cause: options?.cause, details: { problem, path: options?.path } });
    this.problem = problem;
  }
}

export interface LoadKeyOptions {
  /** Base64 of 32 bytes, from CAIRN_DATA_KEY; wins over the key file. */
  configuredKey?: string | undefined;
  dataDir: string;
}

export async function loadOrCreateKey(options: LoadKeyOptions): Promise<LoadedKey> {
  if (options.configuredKey !== undefined && options.configuredKey.trim() !== "") {
    return { key: parseConfiguredKey(options.configuredKey), source: "configured", path: undefined };
  }
  const path = join(options.dataDir, KEY_FILE_NAME);
  const existing = await readKeyFile(path);
  if (existing) return { key: existing, source: "key_file", path };
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const created = await createKeyFile(path);
  if (created) return { key: created, source: "generated", path };
  // Another process created the file between our read and our link: use its key.
  const winners = await readKeyFile(path);
  if (!winners) throw new KeyRingError("key_file_invalid", `The key file ${path} vanished while it was being created`, { path });
  return { key: winners, source: "key_file", path };
}

/** Checks 32 bytes from anywhere (tests, a key read elsewhere) and brands them. */
export function dataKeyFromBytes(bytes: Uint8Array): DataKey {
  if (bytes.length !== DATA_KEY_BYTES) {
    throw new KeyRingError("key_file_invalid", `A data key must be ${DATA_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  return Buffer.from(bytes) as DataKey;
}

export function generateDataKey(): DataKey {
  return randomBytes(DATA_KEY_BYTES) as DataKey;
}

function parseConfiguredKey(text: string): DataKey {
  const bytes = decodeBase64Strictly(text.trim());
  // Never echo the value: it is the key, or a typo of it.
  if (bytes?.length !== DATA_KEY_BYTES) {
    throw new KeyRingError(
      "configured_key_invalid",
      `CAIRN_DATA_KEY must be ${DATA_KEY_BYTES} bytes in base64 (make one with \`openssl rand -base64 32\`), ` +
        (bytes ? `got ${bytes.length} bytes` : "got text that is not base64"),
    );
  }
  return bytes as DataKey;
}

/** Buffer.from(_, "base64") skips characters it does not know; a key must not be half-read silently. */
function decodeBase64Strictly(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, "base64");
}

/** The key in the file, undefined when there is no file; throws when it is unusable or readable by others. */
async function readKeyFile(path: string): Promise<DataKey | undefined> {
  let text: string;
  try {
    const info = await stat(path);
    // Permission bits mean nothing on Windows; everywhere else a shared key is a leaked key.
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
      throw new KeyRingError(
        "key_file_exposed",
        `The key file ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``,
        { path },
      );
    }
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (err instanceof KeyRingError) throw err;
    throw new KeyRingError("key_file_invalid", `Cannot read the key file ${path}`, { cause: err, path });
  }
  const bytes = decodeBase64Strictly(text.trim());
  if (bytes?.length !== DATA_KEY_BYTES) {
    throw new KeyRingError("key_file_invalid", `The key file ${path} must hold ${DATA_KEY_BYTES} bytes in base64`, { path });
  }
  return bytes as DataKey;
}

/**
 * Writes a new key and publishes it atomically. The key goes to a private temporary
 * file first, then link(2) gives it its name: link fails with EEXIST when the name is
 * taken, like O_EXCL, but the file it publishes is already complete, so a process that
 * loses the race never reads a half-written key (and a crash leaves no empty key file).
 * Returns undefined when another process won.
 */
async function createKeyFile(path: string): Promise<DataKey | undefined> {
  const key = generateDataKey();
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const file = await open(temporary, "wx", 0o600);
  try {
    await file.writeFile(`${key.toString("base64")}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await chmod(temporary, 0o600); // open's mode passes through the umask; say it exactly
    await link(temporary, path);
    // Data is sealed with this key right after: the name must survive a power cut too.
    await syncDirectory(dirname(path));
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw new KeyRingError("key_file_invalid", `Cannot create the key file ${path}`, { cause: err, path });
  } finally {
    // Linked or not, the temporary name has no further use; a leftover holds a key no one reads (mode 0600).
    await unlink(temporary).catch(() => undefined);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
