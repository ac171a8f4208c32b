import { availableParallelism } from "node:os";
import { RateLimitedError } from "../errors.js";

/**
 * Password hashing is CPU-bound (scrypt, ~60-200 ms of a core each: auth/password-hash.ts),
 * and Node runs it on libuv's pool of 4 threads: 80 bad log-ins at once queued there ahead
 * of a real one and made it wait 1.2 s. This queue bounds how many hashes run at once and
 * orders the waiting ones: `urgent` work (an attempt whose account and address have no
 * recent failures, see LoginThrottle) may take any free slot; the rest only while one
 * slot stays free for urgent work. So a flood of suspect attempts keeps at most
 * `slots - 1` cores busy, and a real user's log-in starts at once.
 *
 * Waiting lines are bounded; past them, work is refused at once (429, retry in 1 s)
 * instead of piling up memory and latency.
 */

export interface PasswordWorkQueueOptions {
  /** Hashes running at once; at least 2, so one is kept for urgent work. Default: the cores, at most libuv's 4 threads. */
  slots?: number;
  /** Urgent work waiting at most; past it, refused. */
  maxUrgentWaiting?: number;
  /** Other work waiting at most; past it, refused. */
  maxOtherWaiting?: number;
}

type Start = () => void;

export class PasswordWorkQueue {
  readonly #slots: number;
  readonly #maxUrgentWaiting: number;
  readonly #maxOtherWaiting: number;
  readonly #urgent: Start[] = [];
  readonly #other: Start[] = [];
  #running = 0;

  constructor(options: PasswordWorkQueueOptions = {}) {
    this.#slots = Math.max(2, options.slots ?? Math.min(availableParallelism(), 4));
    this.#maxUrgentWaiting = options.maxUrgentWaiting ?? 256;
    this.#maxOtherWaiting = options.maxOtherWaiting ?? 64;
  }

  /** Runs `work` when a slot is free for its priority; throws RateLimitedError when its waiting line is full. */
  async run<T>(urgent: boolean, work: () => Promise<T>): Promise<T> {
    if (this.#canStart(urgent)) {
      this.#running++;
    } else {
      const line = urgent ? this.#urgent : this.#other;
      if (line.length >= (urgent ? this.#maxUrgentWaiting : this.#maxOtherWaiting)) {
        throw new RateLimitedError("the server is busy checking passwords; try again in 1 s", 1);
      }
      // The slot is counted by whoever frees it (#next), so no other work can take it in between.
      await new Promise<void>((resolve) => line.push(resolve));
    }
    try {
      return await work();
    } finally {
      this.#running--;
      this.#next();
    }
  }

  /** How many hashes run now and wait, for tests and metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#urgent.length + this.#other.length };
  }

  #canStart(urgent: boolean): boolean {
    return urgent ? this.#running < this.#slots : this.#running < this.#slots - 1;
  }

  #next(): void {
    while (true) {
      const start = this.#urgent.length > 0 && this.#canStart(true) ? this.#urgent.shift() : this.#other.length > 0 && this.#canStart(false) ? this.#other.shift() : undefined;
      if (start === undefined) return;
      this.#running++;
      start();
    }
  }
}
