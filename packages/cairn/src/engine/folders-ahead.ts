/**
 * Makes attempts' folders ahead of their start, while the engine would otherwise wait for
 * a process to end, so that the step from a task's end to its dependent's start does not
 * include them. An attempt's folders are four new inodes; on the development machines a
 * new inode costs 0.05-0.7 ms of system CPU by the folder and the moment.
 *
 * An item is made by a function that returns it (run in a later turn of the event loop,
 * one item per turn) or a promise of it (made elsewhere, such as libuv's thread pool, at
 * most `concurrency` at once); the caller picks which (engine.ts says when). At most
 * `limit` items wait, are being made or lie ready: a fan of 10,000 children asks for a few
 * at a time, not for all of them. An item that fails is not kept; its attempt makes its
 * folders at the start, where the error is reported.
 */
export class FoldersAhead<T> {
  private readonly wanted = new Map<string, Want<T>>();
  private readonly making = new Map<string, Making<T>>();
  private readonly made = new Map<string, Made<T>>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly limit: number,
    private readonly concurrency = 2,
  ) {}

  /** Asks for the item of `key` (an execution's uuid) to be made soon; ignored when it is asked for already or the limit is reached. */
  want(key: string, group: string, make: () => T | Promise<T>): void {
    if (this.wanted.has(key) || this.making.has(key) || this.made.has(key) || this.full) return;
    this.wanted.set(key, { group, make });
    this.startMore();
  }

  /** Whether there is room for more. */
  get full(): boolean {
    return this.wanted.size + this.making.size + this.made.size >= this.limit;
  }

  /**
   * The item made ahead for `key`, handed out once: at once when it is made, as a promise
   * when it is being made (undefined if that fails), undefined when it was not begun.
   */
  take(key: string): T | Promise<T | undefined> | undefined {
    this.wanted.delete(key);
    const made = this.made.get(key);
    if (made !== undefined) {
      this.made.delete(key);
      return made.value;
    }
    const making = this.making.get(key);
    if (making === undefined) return undefined;
    this.making.delete(key);
    return making.promise;
  }

  /**
   * Forgets a group's items (a run that ended): their attempts will never start. Resolves
   * once the group's items still being made are done, so that the run's folder is not
   * deleted while a pool thread may still make a folder in it.
   */
  forget(group: string): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const [key, want] of this.wanted) if (want.group === group) this.wanted.delete(key);
    for (const [key, making] of this.making) {
      if (making.group !== group) continue;
      this.making.delete(key);
      pending.push(making.promise);
    }
    for (const [key, made] of this.made) if (made.group === group) this.made.delete(key);
    return Promise.all(pending).then(() => undefined);
  }

  /** Begins the next item in a later turn of the event loop, so that the turn that asked for it ends first. */
  private startMore(): void {
    if (this.scheduled || this.inFlight >= this.concurrency || this.wanted.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.beginNext();
    });
  }

  /** One item per turn: an end that arrives meanwhile waits for at most one synchronous item. */
  private beginNext(): void {
    const next = this.wanted.entries().next();
    if (next.done === true) return;
    const [key, want] = next.value;
    this.wanted.delete(key);
    let result: T | Promise<T>;
    try {
      result = want.make();
    } catch {
      // Made again at the start, which reports the error with the attempt.
      this.startMore();
      return;
    }
    if (!(result instanceof Promise)) {
      this.made.set(key, { group: want.group, value: result });
      this.startMore();
      return;
    }
    this.inFlight++;
    // A failure reaches the attempt that awaits `result` itself; kept ahead, it is only "nothing made".
    const making: Making<T> = { group: want.group, promise: result.catch(() => undefined) };
    this.making.set(key, making);
    void making.promise.then((value) => {
      this.inFlight--;
      // Taken meanwhile (its attempt awaits the promise) or forgotten: nothing to keep.
      if (this.making.get(key) === making) {
        this.making.delete(key);
        if (value !== undefined) this.made.set(key, { group: want.group, value });
      }
      this.startMore();
    });
    this.startMore();
  }
}

interface Want<T> {
  group: string;
  make: () => T | Promise<T>;
}

interface Making<T> {
  group: string;
  promise: Promise<T | undefined>;
}

interface Made<T> {
  group: string;
  value: T;
}
