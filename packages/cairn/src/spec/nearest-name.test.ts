import { describe, expect, it } from "vitest";
import { editDistance, nearestName } from "./nearest-name.js";
import { validatePipeline } from "./validate.js";

describe("did you mean", () => {
  it("finds the nearest known name within a small distance, and nothing for a far one", () => {
    expect(editDistance("comand", "command")).toBe(1);
    expect(editDistance("imgae", "image")).toBe(1);
    expect(nearestName("comand", ["command", "code", "env"])).toBe("command");
    expect(nearestName("xyzzy", ["command", "code", "env"])).toBeUndefined();
    expect(nearestName("ab", ["cd"])).toBeUndefined();
  });

  it("suggests the nearest field of the object where an unknown one is", () => {
    const result = validatePipeline({
      id: "p",
      exection_profile: {},
      tasks: [
        { id: "a", type: "container_run", image: "busybox", comand: ["true"], execution_profile: { max_exec_tme: 3 }, input: { X: { type: "string", valeu: "1" } } },
        { id: "b", type: "request", url: "https://example.org", depends_on: [{ id: "a", can_fial: true }], xyzzy: 1 },
      ],
      params: { n: { type: "number", defualt: 1 } },
    });
    expect(result.ok).toBe(false);
    const messages = Object.fromEntries((result as { issues: { path: string; message: string }[] }).issues.map((i) => [i.path, i.message]));
    expect(messages).toMatchObject({
      exection_profile: "unknown field 'exection_profile'; did you mean 'execution_profile'?",
      "tasks[0].comand": "unknown field 'comand'; did you mean 'command'?",
      "tasks[0].execution_profile.max_exec_tme": "unknown field 'max_exec_tme'; did you mean 'max_exec_time'?",
      "tasks[0].input.X.valeu": "unknown field 'valeu'; did you mean 'value'?",
      "tasks[1].depends_on[0].can_fial": "unknown field 'can_fial'; did you mean 'can_fail'?",
      "tasks[1].xyzzy": "unknown field 'xyzzy'",
      "params.n.defualt": "unknown field 'defualt'; did you mean 'default'?",
    });
  });
});
