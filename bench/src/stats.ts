/** The few statistics the tables need, over repeated measurements. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many measurements. */
  count: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new RangeError("no measurements to summarise");
  if (samples.some((s) => !Number.isFinite(s))) throw new RangeError(`not every measurement is a number: ${samples.join(", ")}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length };
}

/**
 * The p-th percentile (0-100) with linear interpolation between closest ranks (the
 * method of numpy's default and of spreadsheets' PERCENTILE), so p50 is the median.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError("no measurements to take a percentile of");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0-100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
}

/** How many times slower Cairn is than the baseline (1.0: as fast). */
export function ratio(cairnMs: number, baselineMs: number): number {
  if (!(baselineMs > 0)) throw new RangeError(`the baseline time must be positive, got ${baselineMs}`);
  return cairnMs / baselineMs;
}

/** What Cairn adds per task on top of what the baseline spends, in ms (negative: Cairn was faster). */
export function overheadPerTaskMs(cairnMs: number, baselineMs: number, tasks: number): number {
  if (!(tasks > 0)) throw new RangeError(`the task count must be positive, got ${tasks}`);
  return (cairnMs - baselineMs) / tasks;
}
