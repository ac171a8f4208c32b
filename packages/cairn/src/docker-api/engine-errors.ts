/** What dockerode's errors carry, read the same way by everything that talks to the engine. */

/** The HTTP status of the engine's answer, when there was one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The engine's own message (dockerode puts it in `json.message`), not the HTTP wrapper's. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}
