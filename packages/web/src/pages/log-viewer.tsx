import { useEffect, useMemo, useRef, useState } from "react";
import { useLocation } from "react-router-dom";
import type { LogLine } from "../api";

/** Lines arriving faster than this are drawn together: a chatty task must not re-render the page per line. */
const FLUSH_MS = 100;

/**
 * A task attempt's log, live over Server-Sent Events (the API's `Accept: text/event-stream`
 * answer, which EventSource asks for): every line so far, then each new one, then `end`.
 * Lines are numbered from 1; `#L123` in the address selects and scrolls to line 123, and
 * clicking a number puts it there. Search marks the lines that contain the text; follow
 * keeps the newest line in view.
 */
export function LogViewer({ url, label }: { url: string; label: string }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<"connecting" | "live" | "ended" | "failed">("connecting");
  const [endStatus, setEndStatus] = useState<string>();
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const [current, setCurrent] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const location = useLocation();
  const target = /^#L(\d+)$/.exec(location.hash)?.[1];
  const targetLine = target === undefined ? undefined : Number(target);

  useEffect(() => {
    const source = new EventSource(url);
    let pending: LogLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      setLines((prev) => prev.concat(batch));
    };
    source.addEventListener("open", () => setState("live"));
    source.addEventListener("line", (event) => {
      pending.push(JSON.parse((event as MessageEvent<string>).data) as LogLine);
      timer ??= setTimeout(flush, FLUSH_MS);
    });
    source.addEventListener("end", (event) => {
      // Closed here, or EventSource would open the stream again.
      source.close();
      if (timer !== undefined) clearTimeout(timer);
      flush();
      setEndStatus((JSON.parse((event as MessageEvent<string>).data) as { status: string }).status);
      setState("ended");
    });
    source.addEventListener("error", () => {
      // EventSource retries by itself (sending Last-Event-ID, so no line repeats); closed means the server refused.
      if (source.readyState === EventSource.CLOSED) setState("failed");
    });
    return () => {
      source.close();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [url]);

  const matches = useMemo(() => {
    if (query === "") return [];
    const q = query.toLowerCase();
    return lines.flatMap((l, i) => (l.line.toLowerCase().includes(q) ? [i + 1] : []));
  }, [lines, query]);

  // Follow: keep the newest line in view while lines arrive, unless a line was asked for.
  useEffect(() => {
    if (follow && targetLine === undefined && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow, targetLine]);

  // A deep link's line, once it has arrived.
  const reached = targetLine !== undefined && lines.length >= targetLine;
  useEffect(() => {
    if (reached) document.getElementById(`L${targetLine}`)?.scrollIntoView({ block: "center" });
  }, [reached, targetLine]);

  function showMatch(index: number) {
    const n = matches[index];
    if (n === undefined) return;
    setCurrent(index);
    setFollow(false);
    document.getElementById(`L${n}`)?.scrollIntoView({ block: "center" });
  }

  const matchSet = new Set(matches);
  const currentLine = matches[current];
  return (
    <section className="log" aria-label={label}>
      <h3>Log</h3>
      <div className="inline">
        <label>
          Search the log
          <input type="search" value={query} onChange={(e) => (setQuery(e.target.value), setCurrent(0))} />
        </label>
        <span role="status">{query === "" ? "" : `${matches.length} matching line${matches.length === 1 ? "" : "s"}`}</span>
        <button type="button" disabled={matches.length === 0} onClick={() => showMatch((current + matches.length - 1) % matches.length)}>
          Previous match
        </button>
        <button type="button" disabled={matches.length === 0} onClick={() => showMatch((current + 1) % matches.length)}>
          Next match
        </button>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <span className="log-state" data-state={state}>
          {state === "connecting" && "connecting…"}
          {state === "live" && "live"}
          {state === "ended" && `complete (${endStatus})`}
          {state === "failed" && "the log could not be read"}
        </span>
      </div>
      <div className="log-lines" ref={box} tabIndex={0} role="log" aria-label={label}>
        {lines.length === 0 && <p className="muted">{state === "ended" ? "This attempt wrote no log." : "No lines yet."}</p>}
        {lines.map((l, i) => {
          const n = i + 1;
          return (
            <div
              key={l.id}
              id={`L${n}`}
              className={`line stream-${l.stream}${matchSet.has(n) ? " match" : ""}${n === currentLine ? " current" : ""}${n === targetLine ? " target" : ""}`}
            >
              <a href={`#L${n}`} className="n" aria-label={`line ${n}`}>
                {n}
              </a>
              <span className="text">{l.stream === "system" ? `[cairn] ${l.line}` : l.line}</span>
            </div>
          );
        })}
      </div>
    </section>
  );
}
