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

  it("carries a message, a string or any JSON value", () => {
    const json = pipeline("p")
      .tasks(task("a", "tapis_actor").tapisActorId("x").tapisActorMessage("hello"), task("b", "tapis_actor").tapisActorId("x").tapisActorMessage({ n: [1, 2] }))
      .build();
    expect(json.tasks.map((t) => (t as { tapis_actor_message?: unknown }).tapis_actor_message)).toEqual(["hello", { n: [1, 2] }]);
    expect(validatePipeline(json).ok).toBe(true);
  });
});
