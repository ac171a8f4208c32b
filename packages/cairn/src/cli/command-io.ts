import type { Output } from "./run-reporter.js";
import type { Input } from "./terminal-input.js";

/** Where a command prints and reads; `json`: one JSON object per line on `out`, for scripts. */
export interface CommandIo {
  out: Output;
  err: Output;
  input: Input;
  json: boolean;
}
