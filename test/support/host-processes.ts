import { readFileSync } from "node:fs";
import type { ProcessSpec } from "../../packages/cairn/src/runtimes/runtime.js";

/** What the host runtime's tests start: a command with fixed labels and nothing else. */
export function spec(command: string[], overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return { labels: { runUuid: "r", taskId: "t", executionUuid: "e", attempt: 1 }, command, env: {}, mounts: [], ...overrides };
}

/** A zombie counts as dead: it has exited, and only whatever adopted it has not reaped it yet. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
