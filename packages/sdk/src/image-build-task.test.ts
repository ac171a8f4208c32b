import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { pipeline, task, taskOutput } from "./index.js";

describe("image_build tasks", () => {
  it("writes every field under its API name (the Tapis example)", () => {
    const build = task("my-image-build", "image_build")
      .builder("kaniko")
      .cache()
      .context({
        type: "github",
        url: "account/repo",
        branch: "main",
        build_file_path: "src/Dockerfile",
        sub_path: null,
        visibility: "private",
        identity_uuid: "78aa5231-7075-428c-b94a-a6b971a444d2",
      })
      .destination({ type: "dockerhub", url: "account/registry", tag: "1.0", identity_uuid: "fb949e63-a636-4666-980f-c72f8abc2b29" });
    const use = task("use", "container_run").image("localhost/busybox:test").dependsOn(build).inputFrom("IMAGE", taskOutput(build, "image"));

    const json = pipeline("my-sample-workflow").archives(["lab-archive"]).tasks(build, use).build();

    expect(json).toEqual({
      id: "my-sample-workflow",
      archives: ["lab-archive"],
      tasks: [
        {
          id: "my-image-build",
          type: "image_build",
          builder: "kaniko",
          cache: true,
          context: {
            type: "github",
            url: "account/repo",
            branch: "main",
            build_file_path: "src/Dockerfile",
            sub_path: null,
            visibility: "private",
            identity_uuid: "78aa5231-7075-428c-b94a-a6b971a444d2",
          },
          destination: { type: "dockerhub", url: "account/registry", tag: "1.0", identity_uuid: "fb949e63-a636-4666-980f-c72f8abc2b29" },
        },
        {
          id: "use",
          type: "container_run",
          image: "localhost/busybox:test",
          depends_on: [{ id: "my-image-build", can_fail: false }],
          input: { IMAGE: { type: "string", value_from: { task_output: { task_id: "my-image-build", output_id: "image" } } } },
        },
      ],
    });
    expect(validatePipeline(json).ok).toBe(true);
  });

  it("takes a registry image as context and a local file as destination", () => {
    const json = task("retag", "image_build")
      .builder("singularity")
      .context({ type: "dockerhub", url: "account/image", tag: "test" })
      .destination({ type: "local", filename: "image.sif" })
      .cache(false)
      .toJSON();
    expect(json).toEqual({
      id: "retag",
      type: "image_build",
      builder: "singularity",
      cache: false,
      context: { type: "dockerhub", url: "account/image", tag: "test" },
      destination: { type: "local", filename: "image.sif" },
    });
    expect(pipeline("p").tasks(task("retag", "image_build").builder("singularity").context(json.context).destination(json.destination)).validate().ok).toBe(true);
  });
});
