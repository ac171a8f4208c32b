import pg from "pg";
import type { WakeupTopic } from "./claim-store.js";
import type { Wakeups } from "./wakeups.js";

/** After a lost LISTEN connection, the next try waits this long (a restarting database is not hammered). */
const RECONNECT_DELAY_MS = 1_000;

const channelOf = (topic: WakeupTopic) => `cairn_${topic}`;

/**
 * LISTEN/NOTIFY. Notices go out through the pool (`pg_notify`, delivered at commit);
 * listening holds one connection of its own, opened at the first `listen` so that a
 * process that never listens (a CLI command) costs no extra connection. A lost
 * connection is opened again, and every handler is then called with "": notices sent
 * meanwhile are lost, so the listeners look for themselves.
 */
export function postgresWakeups(connectionString: string, pool: pg.Pool): Wakeups {
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = (): Promise<void> =>
    (connecting ??= (async () => {
      const c = new pg.Client({ connectionString });
      c.on("notification", (message) => {
        for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? "");
      });
      c.on("error", () => lost(c));
      c.on("end", () => lost(c));
      await c.connect();
      for (const channel of handlers.keys()) await c.query(`LISTEN ${channel}`);
      client = c;
    })().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    }));

  const lost = (c: pg.Client) => {
    if (client !== c && connecting === undefined) return;
    client = undefined;
    connecting = undefined;
    c.removeAllListeners("notification");
    void c.end().catch(() => undefined);
    if (closed) return;
    const again = () => {
      retry = undefined;
      connect().then(
        () => {
          for (const set of handlers.values()) for (const handler of set) handler("");
        },
        () => (retry = setTimeout(again, RECONNECT_DELAY_MS)),
      );
    };
    retry = setTimeout(again, RECONNECT_DELAY_MS);
  };

  return {
    async notify(topic, payload) {
      await pool.query("select pg_notify($1, $2)", [channelOf(topic), payload]);
    },
    async listen(topic, handler) {
      const channel = channelOf(topic);
      let set = handlers.get(channel);
      const first = set === undefined;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(handler);
      await connect();
      if (first) await client?.query(`LISTEN ${channel}`);
      return () => {
        set.delete(handler);
      };
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      connecting = undefined;
      handlers.clear();
      await c?.end().catch(() => undefined);
    },
  };
}
