import { ValidationError } from "../errors.js";
import type { Pipeline, Task } from "../spec/types.js";
import { parsePipeline } from "../spec/validate.js";

/**
 * How a run that used a bad image is made again (arvados: "identify which results are
 * affected, and re-run those analyses with the updated software"). With a replacement
 * image, every container_run task that ran the bad image runs the replacement instead;
 * with `rebuild`, the pipeline is run as it was, so its image_build tasks build again from
 * their branch's latest commit and the tasks after them use the new image. Pure: no I/O.
 */

export type Replacement = { image: string } | { rebuild: true };

export interface RerunPlan {
  pipeline: Pipeline;
  /** What changed, for the run's message and the caller. */
  changes: string[];
}

export function planRerun(pipeline: Pipeline, affectedTaskIds: ReadonlySet<string>, replacement: Replacement): RerunPlan {
  if ("rebuild" in replacement) {
    const builds = pipeline.tasks.filter((t) => t.type === "image_build").map((t) => t.id);
    if (builds.length === 0) {
      throw new ValidationError("rerun", [{ path: "rebuild", message: `pipeline '${pipeline.id}' has no image_build task to rebuild the image with; give a replacement image instead` }]);
    }
    return { pipeline, changes: builds.map((id) => `task '${id}' builds again from its branch's latest commit`) };
  }
  const changes: string[] = [];
  const tasks = pipeline.tasks.map((task): Task => {
    if (!affectedTaskIds.has(task.id) || task.type !== "container_run") return task;
    changes.push(`task '${task.id}' runs ${replacement.image} instead of ${task.image_tag ? `${task.image}:${task.image_tag}` : task.image}`);
    const { image_tag: _dropped, ...rest } = task;
    return { ...rest, image: replacement.image };
  });
  if (changes.length === 0) {
    throw new ValidationError("rerun", [{ path: "image", message: `no container_run task of pipeline '${pipeline.id}' ran the image, so a replacement image changes nothing; use rebuild` }]);
  }
  return { pipeline: parsePipeline({ ...pipeline, tasks }, `pipeline '${pipeline.id}' with the replacement image`), changes };
}
