import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { scryptInBackground } from "./background-scrypt.js";

/**
 * Password hashes with scrypt, a memory-hard KDF. The stored form carries its own cost
 * parameters (`scrypt$N$r$p$salt$hash`, base64url), so raising the cost later keeps old
 * hashes verifiable.
 *
 * `background: true` derives in a helper process at the lowest CPU priority
 * (auth/background-scrypt.ts): for work that may wait, such as suspect log-in attempts.
 */

/** How hashing is done: here, or in the low-priority helper. */
export interface HashOptions {
  background?: boolean;
}

const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Node refuses N·r·128 bytes above its default maxmem of 32 MiB; N=2^15, r=8 needs exactly 32 MiB. */
const MAX_MEMORY = 64 * 1024 * 1024;

export async function hashPassword(password: string, options: HashOptions = {}): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveFor(options)(password, salt, HASH_BYTES, COST);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

/** False for a wrong password and for a stored value that is not a hash this module wrote. */
export async function verifyPassword(password: string, stored: string, options: HashOptions = {}): Promise<boolean> {
  const parsed = parseStored(stored);
  if (!parsed) return false;
  const actual = await deriveFor(options)(password, parsed.salt, parsed.hash.length, parsed.cost);
  return timingSafeEqual(actual, parsed.hash);
}

interface StoredHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  hash: Buffer;
}

function parseStored(stored: string): StoredHash | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!N || !r || !p || !Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p)) return undefined;
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const hash = Buffer.from(parts[5] ?? "", "base64url");
  if (salt.length === 0 || hash.length === 0) return undefined;
  return { cost: { N, r, p }, salt, hash };
}

type Derive = (password: string, salt: Buffer, length: number, options: ScryptOptions) => Promise<Buffer>;

const deriveHere: Derive = (password, salt, length, options) =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });

const deriveInBackground = scryptInBackground(deriveHere);

function deriveFor(options: HashOptions): (password: string, salt: Buffer, length: number, cost: StoredHash["cost"]) => Promise<Buffer> {
  const derive = options.background === true ? deriveInBackground : deriveHere;
  return (password, salt, length, cost) => derive(password.normalize("NFC"), salt, length, { ...cost, maxmem: MAX_MEMORY });
}
