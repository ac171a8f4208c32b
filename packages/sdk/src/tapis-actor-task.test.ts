import { validatePipeline } from "cairn/spec";
import { describe, expect, it } from "vitest";
import { pipeline, task } from "./index.js";

describe("tapis_actor tasks", () => {
  it("writes every field under its API name", () => {
    const notify = task("notify", "tapis_actor").tapisActorId("my_actor_id").poll(false).description("Tells the lab");

    const json = pipeline("p").tasks(notify).build();

    expect(json.tasks[0]).toEqual({ id: "notify", type: "tapis_actor", tapis_actor_id: "my_actor_id", poll: false, description: "Tells the lab" });
    expect(validatePipeline(json).ok).toBe(true);
  });
});
