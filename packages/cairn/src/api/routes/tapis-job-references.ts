import { isCairnError, ValidationError, type Issue } from "../../errors.js";
import type { Pipeline } from "../../spec/types.js";
import type { ServiceStore } from "../../store/service-store.js";
import { resolveTapisJob } from "../../tasks/tapis-job/job-resolution.js";

/**
 * Every tapis_job must name an app (and version) and a slurm system its group has, and its
 * `input:` file inputs inputs the task declares: told when the pipeline is saved, naming
 * each, rather than when a run reaches the task.
 */
export async function checkTapisJobReferences(service: ServiceStore, groupId: string, pipeline: Pipeline): Promise<void> {
  const issues: Issue[] = [];
  for (const [i, task] of pipeline.tasks.entries()) {
    if (task.type !== "tapis_job") continue;
    const at = `tasks[${i}].tapis_job_def`;
    try {
      const { app } = await resolveTapisJob(service, groupId, task.tapis_job_def, at);
      const undeclared = (sourceUrl: string) => {
        const name = /^input:(.*)$/.exec(sourceUrl)?.[1];
        return name !== undefined && !(name in task.input);
      };
      for (const input of app.definition.jobAttributes.fileInputs) {
        if (undeclared(input.sourceUrl)) issues.push({ path: `${at}.appId`, message: `app '${app.id}' stages '${input.sourceUrl}', which names no input of task '${task.id}'` });
      }
      (task.tapis_job_def.fileInputs ?? []).forEach((input, j) => {
        if (undeclared(input.sourceUrl)) issues.push({ path: `${at}.fileInputs[${j}].sourceUrl`, message: `'${input.sourceUrl}' names no input of task '${task.id}'` });
      });
    } catch (err) {
      if (err instanceof ValidationError) issues.push(...err.issues);
      else if (isCairnError(err)) issues.push({ path: at, message: err.message });
      else throw err;
    }
  }
  if (issues.length > 0) throw new ValidationError(`pipeline '${pipeline.id}'`, issues);
}
