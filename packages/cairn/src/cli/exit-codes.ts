/** Exit codes: 0 success, 1 the run did not succeed (or Cairn failed), 2 bad input, 130 interrupted. */
export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130 } as const;
