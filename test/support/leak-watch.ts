import { lstat, open, readdir } from "node:fs/promises";
import { join, relative } from "node:path";

/**
 * The suite-wide leak scan of the security issue: every secret value and identity
 * credential a test sends to a server through ApiClient is remembered, and then must
 * appear in no answer of that server (checked on each answer) and in no file of its data
 * directory (checked when the test server closes), in clear, base64 or hex. So every API
 * test of the suite is also a leak test, whatever it was written for.
 *
 * Left out of the file scan: a run's working folders (`runs/`), which hold a task's
 * inputs as the task sees them until the run ends (docs/security.md says so), and the
 * Podman service's own folder. Values shorter than 8 characters are not remembered: they
 * could stand in any text by chance.
 */

const MIN_LENGTH = 8;
/** Files larger than this are not scanned; no test writes one that holds a secret. */
const MAX_SCANNED_BYTES = 64 * 1024 * 1024;
const UNSCANNED_FOLDERS = new Set(["runs", "podman"]);
/** Credential fields that name an account rather than prove it. */
const IDENTIFIERS = new Set(["username", "access_key_id", "access_key"]);

const watched = new Set<string>();

/** Remembers the secrets in a request a test is about to send. */
export function noteSecretsSent(method: string, path: string, body: unknown): void {
  if (body === null || typeof body !== "object") return;
  const route = path.split("?")[0]!;
  if (method === "PUT" && /\/secrets\/[^/]+$/.test(route)) remember((body as { value?: unknown }).value);
  if (method === "POST" && /\/identities$/.test(route)) {
    const credentials = (body as { credentials?: unknown }).credentials;
    if (credentials !== null && typeof credentials === "object") {
      // A user name or an access key's id says who, not a secret: it is shown on purpose.
      for (const [key, value] of Object.entries(credentials)) if (!IDENTIFIERS.has(key)) remember(value);
    }
  }
}

function remember(value: unknown): void {
  if (typeof value === "string" && value.length >= MIN_LENGTH) watched.add(value);
}

/** The forms a leak is looked for in: as sent, base64 and hex of its UTF-8 bytes. */
function formsOf(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, bytes.toString("base64"), bytes.toString("hex")];
}

/** Which watched secrets `text` holds, in any of the forms looked for. */
export function leaksIn(text: string | Buffer): string[] {
  const found: string[] = [];
  for (const secret of watched) if (formsOf(secret).some((form) => text.includes(form))) found.push(secret);
  return found;
}

/** Throws, naming what and where, when an answer holds a watched secret. */
export function refuseLeakyAnswer(method: string, path: string, text: string): void {
  const leaked = leaksIn(text);
  if (leaked.length > 0) throw new Error(`${method} ${path} answered with ${leaked.length} secret(s) sent earlier in clear or encoded: ${leaked.map(hint).join(", ")}`);
}

/** Every file of a data directory that holds a watched secret, with the secret's hint. */
export async function leaksInDataDir(dataDir: string): Promise<string[]> {
  if (watched.size === 0) return [];
  const found: string[] = [];
  await walk(dataDir, dataDir, found);
  return found;
}

async function walk(root: string, dir: string, found: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // removed while scanned, or not readable: nothing of ours
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (dir === root && UNSCANNED_FOLDERS.has(entry.name)) continue;
      await walk(root, path, found);
    } else if (entry.isFile()) {
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile() || info.size > MAX_SCANNED_BYTES) continue;
      const content = await readAll(path);
      if (content === undefined) continue;
      for (const secret of leaksIn(content)) found.push(`${relative(root, path)} holds ${hint(secret)}`);
    }
  }
}

async function readAll(path: string): Promise<Buffer | undefined> {
  const handle = await open(path, "r").catch(() => undefined);
  if (!handle) return undefined;
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Enough of a secret to tell which test sent it, not the whole of it. */
function hint(secret: string): string {
  return `'${secret.slice(0, 4)}…' (${secret.length} characters)`;
}
