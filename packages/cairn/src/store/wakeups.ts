import { EventEmitter } from "node:events";
import type { WakeupTopic } from "./claim-store.js";

/**
 * How one process wakes the others (and itself): LISTEN/NOTIFY on PostgreSQL
 * (postgres-wakeups.ts), an event emitter with SQLite, where there is one process.
 */
export interface Wakeups {
  notify(topic: WakeupTopic, payload: string): Promise<void>;
  listen(topic: WakeupTopic, handler: (payload: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

export function inProcessWakeups(): Wakeups {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async notify(topic, payload) {
      // Later, as a notice from the database arrives after the commit that sent it.
      setImmediate(() => emitter.emit(topic, payload));
    },
    async listen(topic, handler) {
      emitter.on(topic, handler);
      return () => emitter.off(topic, handler);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
