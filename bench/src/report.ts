import type { CacheRow } from "./cache-workloads.js";
import type { Spread } from "./stats.js";

/**
 * The suite's results (written as bench/results/latest.json) and their two renderings:
 * an aligned text table for the terminal and a Markdown page (bench/results/latest.md).
 */

export interface ResultRow {
  workload: string;
  tasks: number;
  /** Wall time of the run, from startRun to the run's final state, in ms. */
  cairnMs: Spread;
  baseline: { name: string; ms: Spread };
  /** Cairn median over baseline median. */
  ratio: number;
  /** (Cairn median - baseline median) / tasks. */
  overheadMsPerTask: number;
  /** Cairn median / tasks. */
  cairnMsPerTask: number;
  /**
   * Median CPU time (user + system) of the engine's process per task over the run: its own
   * work, less inflated than wall time by other load on the machine.
   */
  engineCpuMsPerTask: number;
  /** Largest maxRSS of the process running the engine, over the repeats. */
  peakRssMb: number;
  /** 1-minute load average when the workload started and ended: others' work on the machine skews the figures. */
  load: LoadRange;
  /** Extra figures per workload (store opening, per-attempt timings). */
  details?: Record<string, number | string>;
}

export interface LoadRange {
  start: number;
  end: number;
}

export interface PendingRow {
  workload: string;
  reason: string;
  /** It ran and failed (rather than could not run here): the suite exits with 1. */
  failed?: boolean;
}

/**
 * A workload measured through the HTTP API (trigger-latency, api-read): a latency
 * distribution and, for api-read, a throughput. It has no baseline, so it has its own table.
 */
export interface ApiRow {
  workload: string;
  /** `sqlite` or `postgresql`. */
  store: string;
  /** Runs started (trigger-latency) or requests answered (api-read). */
  samples: number;
  medianMs: number;
  p99Ms: number;
  /** schedule-lateness only: its target is on the 95th percentile. */
  p95Ms?: number;
  /** api-read only. */
  requestsPerSecond?: number;
  /** Largest maxRSS of the server's process. */
  peakRssMb: number;
  load: LoadRange;
  /** What was measured, in a few words, e.g. `POST events -> task's bash running`. */
  what: string;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  kernel: string;
  os: string;
  /** 1-minute load average when the suite started and ended: others' work skews the figures. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

export interface BenchReport {
  date: string;
  mode: "full" | "quick";
  durationSeconds: number;
  machine: Machine;
  settings: Record<string, string | number>;
  rows: ResultRow[];
  /** The API workloads: their own table, since they have no baseline. */
  api: ApiRow[];
  pending: PendingRow[];
  /** Sentences that interpret rows (for example how per-task cost grows with size). */
  notes: string[];
  /** The task cache's figures (cache-workloads.ts): their own table, with no baseline. */
  cache?: CacheRow[];
}

const HEADER = ["workload", "tasks", "Cairn s (min-max)", "baseline", "baseline s (min-max)", "ratio", "overhead ms/task", "engine CPU ms/task", "peak RSS MB", "runs", "load"];

function cells(row: ResultRow): string[] {
  return [
    row.workload,
    String(row.tasks),
    formatSpread(row.cairnMs),
    row.baseline.name,
    formatSpread(row.baseline.ms),
    `${row.ratio.toFixed(2)}x`,
    row.overheadMsPerTask.toFixed(1),
    row.engineCpuMsPerTask.toFixed(2),
    row.peakRssMb.toFixed(0),
    String(row.cairnMs.count),
    formatLoad(row.load),
  ];
}

/** `1.2-2.3`: the 1-minute load average at the start and the end of the workload. */
export function formatLoad(load: LoadRange): string {
  return `${load.start.toFixed(1)}-${load.end.toFixed(1)}`;
}

function pendingCells(row: PendingRow): string[] {
  return [row.workload, "", row.reason, "", "", "", "", "", "", "", ""];
}

const API_HEADER = ["workload", "store", "samples", "median ms", "p99 ms", "req/s", "server peak RSS MB", "load", "measured"];
const API_NUMERIC = new Set([2, 3, 4, 5, 6]);

function apiCells(row: ApiRow): string[] {
  return [
    row.workload,
    row.store,
    String(row.samples),
    row.medianMs.toFixed(1),
    row.p99Ms.toFixed(1),
    row.requestsPerSecond === undefined ? "" : row.requestsPerSecond.toFixed(0),
    row.peakRssMb.toFixed(0),
    formatLoad(row.load),
    row.what,
  ];
}

/** Seconds: `2.01 (1.95-2.20)`. */
export function formatSpread(ms: Spread): string {
  const s = (value: number) => (value / 1000).toFixed(value < 10_000 ? 2 : 1);
  return ms.count === 1 ? s(ms.median) : `${s(ms.median)} (${s(ms.min)}-${s(ms.max)})`;
}

const NUMERIC = new Set([1, 5, 6, 7, 8, 9]);

/** The runs against a baseline, then the API workloads, then what was not run and why: aligned plain text. */
export function renderTextTable(rows: readonly ResultRow[], pending: readonly PendingRow[], api: readonly ApiRow[] = []): string {
  const tables: string[] = [];
  if (rows.length > 0) tables.push(textTable(HEADER, rows.map(cells), NUMERIC));
  if (api.length > 0) tables.push(textTable(API_HEADER, api.map(apiCells), API_NUMERIC));
  // Below the tables rather than in a column: a reason is much wider than any figure.
  if (pending.length > 0) tables.push(["not measured:", ...pending.map((p) => `  ${p.workload}: ${p.reason}`)].join("\n"));
  return tables.join("\n\n");
}

export function renderMarkdownTable(rows: readonly ResultRow[], pending: readonly PendingRow[], api: readonly ApiRow[] = []): string {
  const tables: string[] = [];
  if (rows.length + pending.length > 0) tables.push(markdownTable(HEADER, [...rows.map(cells), ...pending.map(pendingCells)], NUMERIC));
  if (api.length > 0) tables.push(markdownTable(API_HEADER, api.map(apiCells), API_NUMERIC));
  return tables.join("\n\n");
}

/** Numbers are right-aligned. */
function textTable(header: readonly string[], body: readonly string[][], numeric: ReadonlySet<number>): string {
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function markdownTable(header: readonly string[], body: readonly string[][], numeric: ReadonlySet<number>): string {
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const line = (r: readonly string[]) => `| ${r.map(escape).join(" | ")} |`;
  const align = header.map((_, i) => (numeric.has(i) ? "---:" : "---"));
  return [line(header), `|${align.join("|")}|`, ...body.map(line)].join("\n");
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const settings = Object.entries(report.settings).map(([key, value]) => `- ${key}: ${value}`);
  return [
    `# Cairn benchmark results (${report.mode})`,
    "",
    `Run on ${report.date} in ${Math.round(report.durationSeconds)} s.`,
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb.toFixed(1)} GB, ${m.os}, kernel ${m.kernel}, Node.js ${m.node}; ` +
      `load average ${m.loadAverageStart.toFixed(2)} at the start, ${m.loadAverageEnd.toFixed(2)} at the end.`,
    "",
    "Settings:",
    ...settings,
    "",
    renderMarkdownTable(report.rows, report.pending, report.api),
    "",
    ...(report.cache !== undefined && report.cache.length > 0 ? [renderCacheMarkdown(report.cache), ""] : []),
    ...(report.notes.length > 0 ? ["Notes:", ...report.notes.map((n) => `- ${n}`), ""] : []),
    "Times are medians of the runs, in seconds, with the fastest and slowest run in brackets; " +
      "Cairn and its baseline alternate within one invocation. The API table gives latencies in ms over every run or request. " +
      "See bench/README.md for how to read the tables.",
    "",
  ].join("\n");
}

const CACHE_HEADER = ["workload", "tasks", "result bytes/task", "hit ms/task", "hit CPU ms/task", "look-up ms/hit", "hit attempt median ms", "miss ms/task", "uncached ms/task", "warm runs"];
const CACHE_NUMERIC = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]);

function cacheCells(r: CacheRow): string[] {
  return [r.workload, String(r.tasks), String(r.resultBytes), r.hitMsPerTask.toFixed(3), r.hitCpuMsPerTask.toFixed(3), r.lookupMsPerHit.toFixed(3), String(r.hitAttemptMedianMs), r.missMsPerTask.toFixed(3), r.uncachedMsPerTask.toFixed(3), String(r.runs)];
}

/** The task cache's table (cache-workloads.ts); empty without rows. */
export function renderCacheText(rows: readonly CacheRow[]): string {
  return rows.length === 0 ? "" : textTable(CACHE_HEADER, rows.map(cacheCells), CACHE_NUMERIC);
}

export function renderCacheMarkdown(rows: readonly CacheRow[]): string {
  return rows.length === 0 ? "" : markdownTable(CACHE_HEADER, rows.map(cacheCells), CACHE_NUMERIC);
}
