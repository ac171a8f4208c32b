import { resolveRunnableImage, uncataloguedImages } from "../../images/image-access.js";
import { ImageCache } from "../../images/image-cache.js";
import { parseMemory } from "../../spec/index.js";
import type { ContainerRunTask } from "../../spec/types.js";
import { resumeProcess, runProcess } from "../run-process.js";
import { processEnvironment } from "../task-environment.js";
import { pullTaskImage } from "../task-image-pull.js";
import type { TaskExecutionContext, TaskHandler } from "../task-handler.js";
import { commandArgv, imageReference } from "./command-line.js";

/** Runs an image with a command, env, inputs and outputs mounted, and resource limits. Always in a container. */
export const containerRunHandler: TaskHandler<ContainerRunTask> = {
  type: "container_run",

  async run(ctx) {
    const runtime = await ctx.runtimes.container();
    const { env, mounts, network } = processEnvironment(ctx, "container");
    const { task } = ctx;
    return runProcess(ctx, runtime, {
      labels: { runUuid: ctx.runUuid, taskId: task.id, executionUuid: ctx.executionUuid, attempt: ctx.attempt },
      image: await runnableImage(ctx),
      command: task.command === undefined ? undefined : commandArgv(task.command),
      env: { ...env, ...task.env },
      workingDir: task.working_dir,
      mounts,
      cpus: task.cpus,
      memoryBytes: task.memory === undefined ? undefined : parseMemory(task.memory),
      network,
    });
  },

  async resume(ctx) {
    return resumeProcess(ctx, await ctx.runtimes.container());
  },

  async imageId(ctx) {
    if (!ctx.runtimes.images) return undefined;
    const engine = await ctx.runtimes.images();
    const images = ctx.images ?? uncataloguedImages();
    const name = await pullTaskImage(ctx, engine, imageReference(ctx.task.image, ctx.task.image_tag));
    return (await resolveRunnableImage(engine, images, name, new ImageCache(ctx.config.imageCacheDir))).id;
  },
};

/**
 * The image the task names, as its group may run it (images/image-access.ts): its own
 * image of that name first, else an image no group owns or one shared with the group.
 * A missing image is pulled first, as the task's pull_policy says (../task-image-pull.ts).
 * Without an image engine (a runtime tested alone) the name goes to the runtime as given.
 */
async function runnableImage(ctx: TaskExecutionContext<ContainerRunTask>): Promise<string> {
  const reference = imageReference(ctx.task.image, ctx.task.image_tag);
  if (!ctx.runtimes.images) return reference;
  const images = ctx.images ?? uncataloguedImages();
  const engine = await ctx.runtimes.images();
  const name = await pullTaskImage(ctx, engine, reference);
  // The execution records the image id it ran, whichever name led to it.
  return (await resolveRunnableImage(engine, images, name, new ImageCache(ctx.config.imageCacheDir))).image;
}

