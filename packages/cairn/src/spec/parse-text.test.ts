import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { base64, fullPipeline } from "./__fixtures__/pipelines.js";
import { parsePipelineText } from "./parse-text.js";
import { parsePipeline } from "./validate.js";

function failure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("expected a ValidationError");
}

describe("parsePipelineText", () => {
  it("reads JSON", () => {
    const text = JSON.stringify(fullPipeline(), null, 2);
    expect(parsePipelineText(text, "p.json")).toEqual(parsePipeline(fullPipeline()));
  });

  it("reads YAML", () => {
    const yaml = [
      "id: hello",
      "tasks:",
      "  - id: greet",
      "    type: function",
      "    runtime: bash",
      `    code: ${base64("echo hello")}`,
      "  - id: after",
      "    type: container_run",
      "    image: localhost/busybox",
      "    command: echo done",
      "    depends_on:",
      "      - id: greet",
    ].join("\n");
    const p = parsePipelineText(yaml, "hello.yaml");
    expect(p.tasks.map((t) => t.id)).toEqual(["greet", "after"]);
    expect(p.tasks[1]!.depends_on).toEqual([{ id: "greet", can_fail: false }]);
  });

  it("gives the line and column of a JSON syntax error", () => {
    const err = failure(() => parsePipelineText('{\n  "id": "p",\n  "tasks": [\n}', "bad.json"));
    expect(err.message).toContain("bad.json is invalid");
    expect(err.issues[0]!.message).toMatch(/^JSON syntax error at line 4, column 1: /);
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it("locates JSON errors V8 reports without a position", () => {
    const err = failure(() => parsePipelineText('{"id": "p",\n "tasks": tru}', "bad.json"));
    expect(err.issues[0]!.message).toMatch(/at line 2, column 11/);
  });

  it("gives the line and column of a YAML syntax error", () => {
    const err = failure(() => parsePipelineText("id: p\ntasks:\n  - id: a\n   type: [x\n", "bad.yaml"));
    expect(err.message).toContain("bad.yaml is invalid");
    expect(err.issues[0]!.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
  });

  it("rejects duplicate YAML keys", () => {
    const err = failure(() => parsePipelineText("id: p\nid: q\ntasks: []\n", "dup.yaml"));
    expect(err.issues[0]!.message).toMatch(/line 2, column 1/);
  });

  it("reports pipeline problems under the source name", () => {
    const err = failure(() => parsePipelineText("id: p\ntasks: []\n", "empty.yaml"));
    expect(err.message).toMatch(/^empty.yaml is invalid/);
    expect(err.issues).toEqual([{ path: "tasks", message: "a pipeline needs at least one task" }]);
  });

  it("bounds YAML alias expansion", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 12 }, (_, i) => `${"bcdefghijklmn"[i]}: &${"bcdefghijklmn"[i]} [${Array(9).fill(`*${"abcdefghijklm"[i]}`).join(", ")}]`)].join("\n");
    const err = failure(() => parsePipelineText(bomb, "bomb.yaml"));
    expect(err.issues[0]!.message).toMatch(/^YAML error: .*alias/i);
  });
});
