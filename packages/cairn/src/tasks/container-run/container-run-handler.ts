import { parseMemory } from "../../spec/index.js";
import type { ContainerRunTask } from "../../spec/types.js";
import { resumeProcess, runProcess } from "../run-process.js";
import { processEnvironment } from "../task-environment.js";
import type { TaskHandler } from "../task-handler.js";
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
      image: imageReference(task.image, task.image_tag),
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
};
