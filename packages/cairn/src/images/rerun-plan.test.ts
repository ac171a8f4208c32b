import { describe, expect, it } from "vitest";
import { parsePipeline } from "../spec/validate.js";
import { planRerun } from "./rerun-plan.js";
import { splitTag } from "./docker-image-engine.js";

const pipeline = parsePipeline({
  id: "analysis",
  tasks: [
    { id: "build", type: "image_build", builder: "podman", context: { type: "github", url: "lab/tool" }, destination: { type: "local", url: "lab/tool", tag: "v1" } },
    { id: "align", type: "container_run", image: "lab/aligner", image_tag: "1.0", command: "align", depends_on: [{ id: "build" }] },
    { id: "count", type: "container_run", image: "lab/counter:2", command: "count" },
  ],
});

describe("planRerun", () => {
  it("puts the replacement image in the container tasks that ran the bad one, and leaves the others alone", () => {
    const { pipeline: planned, changes } = planRerun(pipeline, new Set(["align"]), { image: "lab/aligner:1.1" });
    expect(planned.tasks.find((t) => t.id === "align")).toMatchObject({ image: "lab/aligner:1.1" });
    expect(planned.tasks.find((t) => t.id === "align")).not.toHaveProperty("image_tag");
    expect(planned.tasks.find((t) => t.id === "count")).toMatchObject({ image: "lab/counter:2" });
    expect(changes).toEqual(["task 'align' runs lab/aligner:1.1 instead of lab/aligner:1.0"]);
  });

  it("rebuilds with the pipeline as it was, and says which builds run again", () => {
    const plan = planRerun(pipeline, new Set(["build"]), { rebuild: true });
    expect(plan.pipeline).toBe(pipeline);
    expect(plan.changes).toEqual(["task 'build' builds again from its branch's latest commit"]);
  });

  it("refuses what would change nothing, naming the way that would", () => {
    expect(() => planRerun(pipeline, new Set(["build"]), { image: "x:1" })).toThrow(/no container_run task .* ran the image.*use rebuild/);
    const noBuild = parsePipeline({ id: "p", tasks: [{ id: "a", type: "container_run", image: "x:1" }] });
    expect(() => planRerun(noBuild, new Set(["a"]), { rebuild: true })).toThrow(/has no image_build task.*give a replacement image instead/);
  });
});

describe("splitTag", () => {
  it("splits the tag from a reference whose registry has a port, and defaults to latest", () => {
    expect(splitTag("127.0.0.1:5000/lab/tool:v1")).toEqual({ repository: "127.0.0.1:5000/lab/tool", tag: "v1" });
    expect(splitTag("127.0.0.1:5000/lab/tool")).toEqual({ repository: "127.0.0.1:5000/lab/tool", tag: "latest" });
    expect(splitTag("busybox:1")).toEqual({ repository: "busybox", tag: "1" });
  });
});
