import { useCallback, useEffect, useRef, useState } from "react";

export interface Data<T> {
  value: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/**
 * Loads with `load` when `key` changes, and again every `pollMs` while `poll` says so:
 * the live lists and run pages poll the API. A slow answer never overwrites a newer one.
 */
export function useData<T>(load: () => Promise<T>, key: readonly unknown[], options: { pollMs?: number; poll?: (value: T | undefined) => boolean } = {}): Data<T> {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const pollRef = useRef(options.poll);
  pollRef.current = options.poll;

  useEffect(() => {
    const id = ++latest.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    loadRef.current().then(
      (v) => {
        if (id !== latest.current) return;
        setValue(v);
        setError(undefined);
        setLoading(false);
        if (options.pollMs !== undefined && (pollRef.current?.(v) ?? true)) timer = setTimeout(() => setTick((t) => t + 1), options.pollMs);
      },
      (err: unknown) => {
        if (id !== latest.current) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
        // A failed poll is tried again: a server restart should not freeze a live page.
        if (options.pollMs !== undefined) timer = setTimeout(() => setTick((t) => t + 1), options.pollMs * 2);
      },
    );
    return () => {
      if (timer !== undefined) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...key, tick, options.pollMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { value, error, loading, reload };
}
