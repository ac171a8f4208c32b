import { ValidationError, type Issue } from "../../errors.js";
import type { Pipeline } from "../../spec/types.js";
import type { ServiceStore } from "../../store/service-store.js";

/** A pipeline may name only archives its group has, so a typo shows when it is saved, not after a run. */
export async function checkArchiveReferences(service: ServiceStore, groupId: string, pipeline: Pipeline): Promise<void> {
  if (pipeline.archives.length === 0) return;
  const known = new Set((await service.listArchives(groupId)).map((a) => a.id));
  const issues: Issue[] = pipeline.archives.flatMap((id, i) => (known.has(id) ? [] : [{ path: `archives[${i}]`, message: `group '${groupId}' has no archive '${id}'` }]));
  if (issues.length > 0) throw new ValidationError(`pipeline '${pipeline.id}'`, issues);
}
