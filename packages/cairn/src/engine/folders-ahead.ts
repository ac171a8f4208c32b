/**
 * Makes attempts' folders ahead of their start, while the engine would otherwise wait
 * for a process to end, so that the step from a task's end to its dependent's start
 * does not include them. An attempt's folders are about eight new inodes; on the
 * development machines a new inode costs 0.03-0.5 ms by the folder and the moment, so
 * making them at the start put 1-4 ms between two tasks of a chain. Made ahead, the
 * start only takes what is there.
 *
 * One item is made per turn of the event loop (setImmediate), so a process's end that
 * arrives meanwhile is handled after at most one item. At most `limit` items wait or lie
 * ready: a fan of 10,000 children asks for a few at a time, not for all of them. An item
 * that fails is not kept; its attempt makes its folders at the start, where the error is
 * reported.
 */
export class FoldersAhead<T> {
  private readonly wanted = new Map<string, Want<T>>();
  private readonly made = new Map<string, Made<T>>();
  private scheduled = false;

  constructor(private readonly limit: number) {}

  /** Asks for the item of `key` (an execution's uuid) to be made soon; ignored when it is asked for already or the limit is reached. */
  want(key: string, group: string, make: () => T): void {
    if (this.wanted.has(key) || this.made.has(key) || this.wanted.size + this.made.size >= this.limit) return;
    this.wanted.set(key, { group, make });
    this.schedule();
  }

  /** Whether there is room for more. */
  get full(): boolean {
    return this.wanted.size + this.made.size >= this.limit;
  }

  /** The item made ahead for `key`, handed out once; undefined when it was not made (yet). */
  take(key: string): T | undefined {
    this.wanted.delete(key);
    const made = this.made.get(key);
    if (made === undefined) return undefined;
    this.made.delete(key);
    return made.value;
  }

  /** Forgets a group's items (a run that ended): their attempts will never start. */
  forget(group: string): void {
    for (const [key, want] of this.wanted) if (want.group === group) this.wanted.delete(key);
    for (const [key, made] of this.made) if (made.group === group) this.made.delete(key);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.makeNext();
    });
  }

  private makeNext(): void {
    const next = this.wanted.entries().next();
    if (next.done === true) return;
    const [key, want] = next.value;
    this.wanted.delete(key);
    try {
      this.made.set(key, { group: want.group, value: want.make() });
    } catch {
      // Made again at the start, which reports the error with the attempt.
    }
    if (this.wanted.size > 0) this.schedule();
  }
}

interface Want<T> {
  group: string;
  make: () => T;
}

interface Made<T> {
  group: string;
  value: T;
}
