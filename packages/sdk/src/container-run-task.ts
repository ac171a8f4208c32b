import type { ExecutionProfileOptions } from "./execution-profile.js";
import type { ContainerRunTaskJson } from "./pipeline-json.js";
import { TaskBuilder } from "./task-builder.js";

type SizeUnit = "k" | "m" | "g" | "t" | "K" | "M" | "G" | "T";
/** Bytes, or a size as Docker and Podman read `--memory`: "512k", "256m", "1.5g", "1GiB". */
export type MemorySize = number | `${number}${SizeUnit}${"" | "b" | "B" | "ib" | "iB"}`;

/** A container_run always runs in a container, so its profile cannot ask for the host. */
export type ContainerExecutionProfileOptions = Omit<ExecutionProfileOptions, "runtime"> & { runtime?: "container" };

/**
 * Runs an image with a command. Required: `image`.
 * @example task("greet", "container_run").image("docker.io/library/busybox:1.36").command(["sh", "-c", "echo hi"])
 */
export class ContainerRunTaskBuilder<Unset extends "image" = "image"> extends TaskBuilder<ContainerRunTaskJson, Unset> {
  /** @example task("run", "container_run").image("localhost/busybox:test") */
  image(reference: string): ContainerRunTaskBuilder<Exclude<Unset, "image">> {
    return this.withRequired<ContainerRunTaskBuilder<Exclude<Unset, "image">>>({ image: reference });
  }

  /** A tag kept apart from the image name, as Tapis allows. @example task("run", "container_run").image("busybox").imageTag("1.36") */
  imageTag(tag: string): this {
    return this.with({ image_tag: tag });
  }

  /**
   * Replaces the image's ENTRYPOINT and CMD. An array is passed as is; a string is split like a shell would, without running one.
   * @example task("run", "container_run").image("busybox").command(["sh", "-c", "date > /cairn/outputs/now"])
   */
  command(command: string | readonly string[]): this {
    return this.with({ command: typeof command === "string" ? command : [...command] });
  }

  /** Environment variables, added to any set before. @example task("run", "container_run").image("busybox").env({ MODE: "fast" }) */
  env(variables: Readonly<Record<string, string>>): this {
    return this.with({ env: { ...this.draft.env, ...variables } });
  }

  /**
   * Gives the task CAIRN_API_URL and a CAIRN_API_TOKEN that reads its group's pipelines, runs, logs and results and starts runs, nothing else, and dies with the run.
   * @example task("report", "container_run").image("busybox").injectApiToken()
   */
  injectApiToken(inject = true): this {
    return this.with({ inject_api_token: inject });
  }

  /** @example task("run", "container_run").image("busybox").workingDir("/work") */
  workingDir(directory: string): this {
    return this.with({ working_dir: directory });
  }

  /** @example task("run", "container_run").image("busybox").cpus(1.5) */
  cpus(count: number): this {
    return this.with({ cpus: count });
  }

  /** @example task("run", "container_run").image("busybox").memory("256m") */
  memory(size: MemorySize): this {
    return this.with({ memory: size });
  }

  /** @example task("run", "container_run").image("busybox").executionProfile({ maxExecTime: 60 }) */
  override executionProfile(options: ContainerExecutionProfileOptions): this {
    return super.executionProfile(options);
  }
}
