import type { TapisJobTaskJson } from "./pipeline-json.js";
import { TaskBuilder } from "./task-builder.js";

/**
 * Submits a batch job. Required: `tapisJobDef`.
 * @example task("simulate", "tapis_job").tapisJobDef({ appId: "sim", appVersion: "1.0" }).poll()
 */
export class TapisJobTaskBuilder<Unset extends "tapis_job_def" = "tapis_job_def"> extends TaskBuilder<TapisJobTaskJson, Unset> {
  /** The job definition, as the Jobs service takes it. @example task("simulate", "tapis_job").tapisJobDef({ appId: "sim" }) */
  tapisJobDef(definition: Readonly<TapisJobTaskJson["tapis_job_def"]>): TapisJobTaskBuilder<Exclude<Unset, "tapis_job_def">> {
    return this.withRequired<TapisJobTaskBuilder<Exclude<Unset, "tapis_job_def">>>({ tapis_job_def: structuredClone(definition) });
  }

  /** Wait for the job to end before the task ends. @example task("simulate", "tapis_job").poll() */
  poll(enabled = true): this {
    return this.with({ poll: enabled });
  }
}
