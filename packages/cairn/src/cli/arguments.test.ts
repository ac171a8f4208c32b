import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { isLocalPipelineArgument, parseGroupId, parseParams, parsePipelineRef, parsePositiveInt, parseRunsScope, parseRunUuid, pipelineRefOf } from "./arguments.js";

const none = () => false;

describe("cairn run's argument", () => {
  it("is a server's pipeline when it has the form GROUP/PIPELINE and names no file", () => {
    expect(isLocalPipelineArgument("lab/hello", none)).toBe(false);
    expect(isLocalPipelineArgument("lab/hello-2.v1", none)).toBe(false);
    expect(pipelineRefOf("lab/hello")).toEqual({ groupId: "lab", pipelineId: "hello" });
  });

  it("is a local file when such a file exists, whatever its form", () => {
    expect(isLocalPipelineArgument("lab/hello", (p) => p === "lab/hello")).toBe(true);
  });

  it("is a local file when it has a pipeline file's extension, so a missing one is reported missing", () => {
    for (const arg of ["examples/hello.yaml", "x/p.yml", "a/b.json", "a/b.ts", "a/b.mjs", "hello.yaml"]) {
      expect(isLocalPipelineArgument(arg, none), arg).toBe(true);
    }
  });

  it("is a local file when it cannot be GROUP/PIPELINE", () => {
    for (const arg of ["hello", "/tmp/x/nope", "a/b/c", "lab/", "/hello", "lab/bad id", "-lab/x"]) {
      expect(isLocalPipelineArgument(arg, none), arg).toBe(true);
    }
  });
});

describe("parsing", () => {
  it("reads --param KEY=VALUE, keeping any later '=' in the value", () => {
    expect(parseParams(["a=1", "b=x=y", "empty="])).toEqual({ a: "1", b: "x=y", empty: "" });
    expect(() => parseParams(["novalue"])).toThrow(ValidationError);
    expect(() => parseParams(["=x"])).toThrow(/expected KEY=VALUE/);
  });

  it("reads the scope of `cairn runs`", () => {
    expect(parseRunsScope(undefined)).toEqual({});
    expect(parseRunsScope("lab")).toEqual({ groupId: "lab" });
    expect(parseRunsScope("lab/hello")).toEqual({ groupId: "lab", pipelineId: "hello" });
    expect(() => parseRunsScope("lab/hello/x")).toThrow(/GROUP or GROUP\/PIPELINE/);
  });

  it("reads GROUP/PIPELINE and group ids, naming the rule when they are wrong", () => {
    expect(parsePipelineRef("g/p")).toEqual({ groupId: "g", pipelineId: "p" });
    expect(() => parsePipelineRef("g")).toThrow(/GROUP\/PIPELINE/);
    expect(parseGroupId("lab-1")).toBe("lab-1");
    expect(() => parseGroupId("no such")).toThrow(/letters, digits/);
  });

  it("reads a run's uuid in either case, and refuses anything else", () => {
    expect(parseRunUuid("9D3BE30A-B8B1-4314-9D9E-E673FC14EA3F")).toBe("9d3be30a-b8b1-4314-9d9e-e673fc14ea3f");
    expect(parseRunUuid("9D3BE30A")).toBe("9d3be30a");
    expect(() => parseRunUuid("9d3be30")).toThrow(/run's uuid or its first 8 or more characters/);
    expect(() => parseRunUuid("9d3be30g")).toThrow(/run's uuid/);
  });

  it("reads positive whole numbers", () => {
    expect(parsePositiveInt("--limit", "20")).toBe(20);
    for (const bad of ["0", "-1", "1.5", "x", ""]) expect(() => parsePositiveInt("--limit", bad), bad).toThrow(ValidationError);
  });
});
