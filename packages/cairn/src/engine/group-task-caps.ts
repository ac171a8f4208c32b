/**
 * A group's `max_parallel_tasks` (issue 17): at most that many tasks of all the group's
 * runs run at once in this engine, so one group cannot take every one of the server's
 * `maxParallelTasks` slots from the others. A task whose group is at its cap is put aside
 * (parked) and goes before the ready queue once a task of its group ends, so the other
 * groups' tasks behind it are not held up and its own keep their order.
 *
 * Per process: with several Cairn processes each applies the cap to the tasks it runs.
 */
export class GroupTaskCaps<T> {
  readonly #caps = new Map<string, number>();
  readonly #running = new Map<string, number>();
  readonly #parked = new Map<string, T[]>();

  /** Sets (or with null removes) a group's cap. */
  setCap(groupId: string, cap: number | null | undefined): void {
    if (cap === null || cap === undefined) this.#caps.delete(groupId);
    else this.#caps.set(groupId, cap);
  }

  cap(groupId: string): number | undefined {
    return this.#caps.get(groupId);
  }

  /** Tasks of the group running now (started and not ended). */
  running(groupId: string): number {
    return this.#running.get(groupId) ?? 0;
  }

  mayStart(groupId: string): boolean {
    const cap = this.#caps.get(groupId);
    return cap === undefined || this.running(groupId) < cap;
  }

  started(groupId: string): void {
    this.#running.set(groupId, this.running(groupId) + 1);
  }

  ended(groupId: string): void {
    const left = this.running(groupId) - 1;
    if (left > 0) this.#running.set(groupId, left);
    else this.#running.delete(groupId);
  }

  /** Keeps an item whose group is at its cap until the group has room. */
  park(groupId: string, item: T): void {
    const parked = this.#parked.get(groupId);
    if (parked) parked.push(item);
    else this.#parked.set(groupId, [item]);
  }

  /** The oldest parked item of a group that has room again, taken; undefined when none. */
  takeReleased(): T | undefined {
    for (const [groupId, parked] of this.#parked) {
      if (!this.mayStart(groupId)) continue;
      const item = parked.shift();
      if (parked.length === 0) this.#parked.delete(groupId);
      return item;
    }
    return undefined;
  }

  /** Items parked, in all groups. */
  get parkedCount(): number {
    let n = 0;
    for (const parked of this.#parked.values()) n += parked.length;
    return n;
  }
}
