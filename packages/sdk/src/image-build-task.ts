import type { ImageBuildContext, ImageBuildDestination, ImageBuilderName, ImageBuildTaskJson } from "./pipeline-json.js";
import { TaskBuilder } from "./task-builder.js";

/**
 * Builds an image from a recipe in a repository and pushes or keeps it; later tasks read
 * the outputs `image`, `digest` and `tag`. Required: `builder`, `context` and `destination`.
 * @example
 * task("build", "image_build")
 *   .builder("kaniko")
 *   .context({ type: "github", url: "account/repo", branch: "main", build_file_path: "Dockerfile" })
 *   .destination({ type: "local" })
 */
export class ImageBuildTaskBuilder<Unset extends "builder" | "context" | "destination" = "builder" | "context" | "destination"> extends TaskBuilder<
  ImageBuildTaskJson,
  Unset
> {
  /** @example task("build", "image_build").builder("podman") */
  builder(name: ImageBuilderName): ImageBuildTaskBuilder<Exclude<Unset, "builder">> {
    return this.withRequired<ImageBuildTaskBuilder<Exclude<Unset, "builder">>>({ builder: name });
  }

  /** @example task("build", "image_build").context({ type: "git", url: "https://git.example.org/lab/tools.git", branch: "main" }) */
  context(context: ImageBuildContext): ImageBuildTaskBuilder<Exclude<Unset, "context">> {
    return this.withRequired<ImageBuildTaskBuilder<Exclude<Unset, "context">>>({ context: structuredClone(context) });
  }

  /** @example task("build", "image_build").destination({ type: "dockerhub", url: "account/repo", tag: "1.0", identity_uuid: "..." }) */
  destination(destination: ImageBuildDestination): ImageBuildTaskBuilder<Exclude<Unset, "destination">> {
    return this.withRequired<ImageBuildTaskBuilder<Exclude<Unset, "destination">>>({ destination: structuredClone(destination) });
  }

  /** Reuse cached layers from earlier builds. @example task("build", "image_build").cache(false) */
  cache(enabled = true): this {
    return this.with({ cache: enabled });
  }
}
