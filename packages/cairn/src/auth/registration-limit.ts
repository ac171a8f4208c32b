import { RateLimitedError } from "../errors.js";

/**
 * Registration attempts per client address in a sliding hour, kept in this process's
 * memory (a restart forgets them; processes sharing a database count their own). Every
 * attempt that gets as far as the store counts, refused ones (409) included, so the
 * answers cannot be used to test logins and addresses at speed either.
 */

const HOUR_MS = 3_600_000;
/** Addresses remembered at most; each holds at most `perHour` timestamps. */
const MAX_ADDRESSES = 50_000;

export class RegistrationLimit {
  readonly #perHour: number;
  readonly #now: () => number;
  /** Per address, the times of its attempts within the last hour, oldest first. */
  readonly #attempts = new Map<string, number[]>();

  constructor(perHour: number, now: () => number = () => Date.now()) {
    this.#perHour = perHour;
    this.#now = now;
  }

  /** Counts one attempt from `address`, or throws RateLimitedError when it has used up its hour. */
  take(address: string): void {
    const now = this.#now();
    const recent = (this.#attempts.get(address) ?? []).filter((at) => now - at < HOUR_MS);
    if (recent.length >= this.#perHour) {
      const seconds = Math.max(1, Math.ceil((recent[0]! + HOUR_MS - now) / 1000));
      this.#attempts.set(address, recent);
      throw new RateLimitedError(`too many registrations from this address (at most ${this.#perHour} an hour); try again in ${seconds} s`, seconds);
    }
    recent.push(now);
    // Deleted and set again, so the map's order is by last attempt: the oldest go first when it is full.
    this.#attempts.delete(address);
    this.#attempts.set(address, recent);
    if (this.#attempts.size > MAX_ADDRESSES) {
      for (const key of this.#attempts.keys()) {
        if (this.#attempts.size <= MAX_ADDRESSES * 0.9) break;
        this.#attempts.delete(key);
      }
    }
  }
}
