import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { parseDirectives, validateDirectives } from "./directives.js";

function failure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("expected a ValidationError");
}

describe("parseDirectives", () => {
  it("reads the documented examples", () => {
    expect(parseDirectives("Some commit message [no_push]")).toEqual({ no_push: true });
    expect(parseDirectives("Some commit message [cache|custom_tag:my-custom-tagV.1]")).toEqual({ cache: true, custom_tag: "my-custom-tagV.1" });
  });

  it("gives {} without a bracketed part at the end", () => {
    expect(parseDirectives("Fix the parser")).toEqual({});
    expect(parseDirectives("[no_push] in front does not count")).toEqual({});
    expect(parseDirectives("")).toEqual({});
  });

  it("allows whitespace and trailing newlines", () => {
    expect(parseDirectives("msg\n\n[ dry_run | custom_tag: v2 ]\n")).toEqual({ dry_run: true, custom_tag: "v2" });
  });

  it("reads every known flag", () => {
    expect(parseDirectives("m [commit_destination|no_push|dry_run|nocache]")).toEqual({
      commit_destination: true,
      no_push: true,
      dry_run: true,
      nocache: true,
    });
  });

  const malformed: [text: string, path: string, fragment: string][] = [
    ["msg [no_push!]", "directives", "must match"],
    ["msg [custom_tag:a/b]", "directives", "must match"],
    ["msg []", "directives", "empty"],
    ["msg [no_push||dry_run]", "directives[1]", "empty directive"],
    ["msg [deploy]", "directives.deploy", "unknown directive 'deploy'; known directives: custom_tag"],
    ["msg [custom_tag]", "directives.custom_tag", "needs a value"],
    ["msg [custom_tag:]", "directives.custom_tag", "needs a value"],
    ["msg [custom_tag:-x]", "directives.custom_tag", "not a valid image tag"],
    ["msg [no_push:yes]", "directives.no_push", "is a flag and takes no value"],
    ["msg [dry_run|dry_run]", "directives.dry_run", "more than once"],
    ["msg [cache|nocache]", "directives.nocache", "contradict"],
    ["msg [:v1]", "directives[0]", "name missing"],
  ];
  it.each(malformed)("rejects %j", (text, path, fragment) => {
    const err = failure(() => parseDirectives(text));
    expect(err.issues).toEqual([{ path, message: expect.stringContaining(fragment) }]);
  });
});

describe("validateDirectives", () => {
  it("accepts an array of strings", () => {
    expect(validateDirectives(["no_push", "custom_tag:v1"])).toEqual({ no_push: true, custom_tag: "v1" });
    expect(validateDirectives([])).toEqual({});
  });

  it("accepts an object, false meaning unset", () => {
    expect(validateDirectives({ no_push: true, dry_run: false, custom_tag: "v1" })).toEqual({ no_push: true, custom_tag: "v1" });
  });

  it("rejects bad shapes and bad directives, naming each", () => {
    expect(failure(() => validateDirectives("no_push")).issues[0]!.message).toContain("expected an object or an array of strings, got string");
    expect(failure(() => validateDirectives(["no_push", 3])).issues).toEqual([{ path: "directives[1]", message: expect.stringContaining("got number") }]);
    expect(failure(() => validateDirectives({ no_push: 1 })).issues).toEqual([{ path: "directives.no_push", message: expect.stringContaining("got number") }]);
    expect(failure(() => validateDirectives({ custom_tag: true })).issues[0]!.message).toContain("needs a value");
    expect(failure(() => validateDirectives(["nope"])).issues[0]!.message).toContain("unknown directive 'nope'");
  });
});
