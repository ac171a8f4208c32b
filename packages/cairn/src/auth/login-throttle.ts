import { RateLimitedError } from "../errors.js";

/**
 * Limits on log-in attempts, per account and per client address, kept in this process's
 * memory: a server restart forgets them, and server processes sharing one database each
 * count their own. What it stops is guessing passwords at speed, which needs neither.
 *
 * After `failuresPer…` failures within `windowMs` of each other, the account (or address)
 * is locked for `firstLockMs`, and each further failure doubles the lock, up to
 * `maxLockMs`. While locked, every attempt is refused before any password is hashed, the
 * right password included (otherwise the lock would let guesses through). A success
 * forgets the account's failures; an address's failures are forgotten only with time,
 * so that an attacker's own valid account cannot wipe out the record of a password spray.
 *
 * Unknown logins are counted and locked exactly like real ones, so a lock tells nothing
 * about which logins exist.
 */

export interface LoginLimits {
  failuresPerAccount: number;
  failuresPerAddress: number;
  maxLockMs: number;
  /** Failures this long after the last one are forgotten. */
  windowMs?: number;
  firstLockMs?: number;
  /** Attempts one address may have waiting for their password check at once; more are refused at once. */
  maxInFlightPerAddress?: number;
}

/** One log-in attempt, admitted by `LoginThrottle.begin`: report how it ended, once. */
export interface LoginAttempt {
  /**
   * Neither the account nor the address failed lately, and neither has another attempt
   * under way: the password check of such an attempt goes before those of the others.
   */
  readonly urgent: boolean;
  /** Refuses the attempt if a lock began while it waited for its password check. */
  recheck(): void;
  failed(): void;
  succeeded(): void;
  /** Ends the attempt without a verdict (an error); a no-op after failed or succeeded. */
  end(): void;
}

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

const DEFAULT_WINDOW_MS = 15 * 60_000;
const DEFAULT_FIRST_LOCK_MS = 1000;
const DEFAULT_MAX_IN_FLIGHT_PER_ADDRESS = 4;
/** About 100 bytes each: a flood of made-up logins holds at most ~10 MB before old records go. */
const MAX_RECORDS = 100_000;

export class LoginThrottle {
  readonly #limits: Required<LoginLimits>;
  readonly #now: () => number;
  readonly #accounts = new Map<string, FailureRecord>();
  readonly #addresses = new Map<string, FailureRecord>();
  readonly #accountsInFlight = new Map<string, number>();
  readonly #addressesInFlight = new Map<string, number>();

  constructor(limits: LoginLimits, now: () => number = () => Date.now()) {
    this.#limits = {
      windowMs: DEFAULT_WINDOW_MS,
      firstLockMs: DEFAULT_FIRST_LOCK_MS,
      maxInFlightPerAddress: DEFAULT_MAX_IN_FLIGHT_PER_ADDRESS,
      ...limits,
    };
    this.#now = now;
  }

  /**
   * Admits an attempt on `account` (a login, any case) from `address` (a clientAddressKey),
   * or throws RateLimitedError when either is locked or the address has too many attempts
   * under way. Cheap: no I/O, no hashing.
   */
  begin(account: string, address: string): LoginAttempt {
    const accountKey = account.toLowerCase();
    this.#refuseIfLocked(accountKey, address);
    const addressBusy = this.#addressesInFlight.get(address) ?? 0;
    if (addressBusy >= this.#limits.maxInFlightPerAddress) {
      throw new RateLimitedError("too many log-ins at once from this address; try again in 1 s", 1);
    }
    const urgent =
      addressBusy === 0 && !this.#accountsInFlight.has(accountKey) && !this.#hasFailures(this.#accounts, accountKey) && !this.#hasFailures(this.#addresses, address);
    increment(this.#addressesInFlight, address);
    increment(this.#accountsInFlight, accountKey);

    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      decrement(this.#addressesInFlight, address);
      decrement(this.#accountsInFlight, accountKey);
    };
    return {
      urgent,
      recheck: () => this.#refuseIfLocked(accountKey, address),
      failed: () => {
        if (ended) return;
        end();
        this.#recordFailure(this.#accounts, accountKey, this.#limits.failuresPerAccount);
        this.#recordFailure(this.#addresses, address, this.#limits.failuresPerAddress);
      },
      succeeded: () => {
        if (ended) return;
        end();
        this.#accounts.delete(accountKey);
      },
      end,
    };
  }

  #refuseIfLocked(accountKey: string, address: string): void {
    const now = this.#now();
    const account = this.#accounts.get(accountKey);
    if (account && account.lockedUntil > now) {
      const seconds = Math.ceil((account.lockedUntil - now) / 1000);
      throw new RateLimitedError(`too many failed log-ins for this account; try again in ${seconds} s`, seconds);
    }
    const from = this.#addresses.get(address);
    if (from && from.lockedUntil > now) {
      const seconds = Math.ceil((from.lockedUntil - now) / 1000);
      throw new RateLimitedError(`too many failed log-ins from this address; try again in ${seconds} s`, seconds);
    }
  }

  #hasFailures(records: Map<string, FailureRecord>, key: string): boolean {
    const record = records.get(key);
    return record !== undefined && !this.#expired(record, this.#now());
  }

  #expired(record: FailureRecord, now: number): boolean {
    return now - record.lastFailureAt > this.#limits.windowMs && record.lockedUntil <= now;
  }

  #recordFailure(records: Map<string, FailureRecord>, key: string, limit: number): void {
    const now = this.#now();
    const previous = records.get(key);
    const failures = (previous && !this.#expired(previous, now) ? previous.failures : 0) + 1;
    const lockMs = failures < limit ? 0 : Math.min(this.#limits.firstLockMs * 2 ** (failures - limit), this.#limits.maxLockMs);
    // Deleted and set again, so the map's order is by last failure: the oldest go first when it is full.
    records.delete(key);
    records.set(key, { failures, lastFailureAt: now, lockedUntil: now + lockMs });
    if (records.size > MAX_RECORDS) this.#prune(records, now);
  }

  #prune(records: Map<string, FailureRecord>, now: number): void {
    for (const [key, record] of records) if (this.#expired(record, now)) records.delete(key);
    for (const key of records.keys()) {
      if (records.size <= MAX_RECORDS * 0.9) break;
      records.delete(key);
    }
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
