import { hostname } from "node:os";

/**
 * This process's worker id, `HOST:PID:START` (START in milliseconds since the epoch):
 * the host and pid say where to look for the process, and the start time tells it
 * apart from a later process that got the same pid after a restart.
 */
export function processWorkerId(): string {
  return `${hostname()}:${process.pid}:${Math.round(performance.timeOrigin)}`;
}
