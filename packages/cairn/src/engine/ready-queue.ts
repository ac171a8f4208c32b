/**
 * First in, first out, with O(1) take: a 10,000-task fan puts every child in the queue
 * at once, and Array#shift would move all the others on each take.
 */
export class ReadyQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Up to `count` items from the front, without taking them. */
  peek(count: number): T[] {
    return this.items.slice(this.head, this.head + count) as T[];
  }

  take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the taken prefix is most of the array, so memory follows the live size.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
