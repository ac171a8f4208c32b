import { ValidationError, type Issue } from "../../errors.js";
import type { Pipeline } from "../../spec/types.js";
import type { ServiceStore } from "../../store/service-store.js";

/** A tapis_actor task may name only an actor of the pipeline's group, checked when the pipeline is saved (issue 16). */
export async function checkActorReferences(service: ServiceStore, groupId: string, pipeline: Pipeline): Promise<void> {
  const named = pipeline.tasks.flatMap((task, i) => (task.type === "tapis_actor" ? [{ i, id: task.tapis_actor_id }] : []));
  if (named.length === 0) return;
  const known = new Set((await service.listActors(groupId)).map((a) => a.id));
  const issues: Issue[] = named.flatMap(({ i, id }) => (known.has(id) ? [] : [{ path: `tasks[${i}].tapis_actor_id`, message: `group '${groupId}' has no actor '${id}'` }]));
  if (issues.length > 0) throw new ValidationError(`pipeline '${pipeline.id}'`, issues);
}
