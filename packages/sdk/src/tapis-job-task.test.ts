import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { pipeline, task } from "./index.js";

describe("tapis_job tasks", () => {
  it("writes every field under its API name", () => {
    const definition = { appId: "sim", appVersion: "1.0", parameterSet: { appArgs: [{ arg: "--steps 10" }] } };
    const simulate = task("simulate", "tapis_job").tapisJobDef(definition).poll();
    definition.appVersion = "2.0"; // the builder keeps its own copy

    const json = pipeline("p").tasks(simulate).build();

    expect(json.tasks[0]).toEqual({
      id: "simulate",
      type: "tapis_job",
      tapis_job_def: { appId: "sim", appVersion: "1.0", parameterSet: { appArgs: [{ arg: "--steps 10" }] } },
      poll: true,
    });
    expect(validatePipeline(json).ok).toBe(true);
  });
});
