import { CairnError, NotFoundError, ValidationError } from "../errors.js";
import type { RunRecord, Store } from "./store.js";

/**
 * A run named by its uuid or by a unique prefix of it, as git takes a short hash: what a
 * person copies from `cairn run`'s first line. Eight characters is the shortest prefix
 * taken, the first group of a uuid; with random uuids two runs share eight hex
 * characters once in about four billion pairs, so in practice eight name one run.
 */

export const MIN_RUN_PREFIX = 8;
const RUN_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RUN_PREFIX = /^[0-9a-f][0-9a-f-]*$/;
/** Candidates read for one prefix: enough to list a few in the "ambiguous" answer. */
const CANDIDATES = 20;

/** The uuid or prefix in the form runs are stored (lowercase), or a ValidationError naming `field`. */
export function parseRunIdText(text: string, field = "run"): { uuid: string } | { prefix: string } {
  const lower = text.trim().toLowerCase();
  if (RUN_UUID.test(lower)) return { uuid: lower };
  if (lower.length >= MIN_RUN_PREFIX && lower.length < 36 && RUN_PREFIX.test(lower)) return { prefix: lower };
  throw new ValidationError(`the ${field}`, [
    { path: text, message: `expected a run's uuid or its first ${MIN_RUN_PREFIX} or more characters, as \`cairn run\` and \`cairn runs\` print them` },
  ]);
}

/**
 * The one run `text` names among those `visible` lets through (the caller's access: a
 * prefix must not be ambiguous because of runs the caller cannot see, nor tell that
 * they exist). NotFoundError when none; a 400-class error listing them when several.
 */
export async function findRunByIdOrPrefix(
  store: Pick<Store, "getRun" | "findRunsByPrefix">,
  text: string,
  visible: (run: RunRecord) => Promise<boolean> | boolean = () => true,
): Promise<RunRecord> {
  const parsed = parseRunIdText(text);
  if ("uuid" in parsed) {
    const run = await store.getRun(parsed.uuid as RunRecord["uuid"]);
    if (run === undefined || !(await visible(run))) throw new NotFoundError("run", text);
    return run;
  }
  const found: RunRecord[] = [];
  for (const run of await store.findRunsByPrefix(parsed.prefix, CANDIDATES)) if (await visible(run)) found.push(run);
  if (found.length === 0) throw new NotFoundError("run", text);
  if (found.length > 1) {
    throw new CairnError("invalid_input", `the run id '${text}' is ambiguous: it starts ${found.map((r) => r.uuid).join(", ")}; give more of it`, {
      details: { candidates: found.map((r) => r.uuid) },
    });
  }
  return found[0]!;
}
