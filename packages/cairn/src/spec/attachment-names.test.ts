import { describe, expect, it } from "vitest";
import { AttachmentSet, attachmentNameProblem } from "./attachment-names.js";

describe("attachmentNameProblem", () => {
  it("accepts relative paths with folders", () => {
    for (const ok of ["data.csv", "a/b/c.txt", ".hidden", "with space", "ünïcode"]) expect(attachmentNameProblem(ok), ok).toBeUndefined();
  });

  it("refuses names that could leave the inbox or mean something else, saying why", () => {
    expect(attachmentNameProblem("../etc/passwd")).toMatch(/'\.\.'/);
    expect(attachmentNameProblem("a/../../b")).toMatch(/'\.\.'/);
    expect(attachmentNameProblem("/etc/passwd")).toMatch(/absolute/);
    expect(attachmentNameProblem("a\0b")).toMatch(/NUL/);
    expect(attachmentNameProblem("..\\x")).toMatch(/backslash/);
    expect(attachmentNameProblem("a//b")).toMatch(/empty/);
    expect(attachmentNameProblem("./a")).toMatch(/empty or '\.'/);
    expect(attachmentNameProblem("")).toMatch(/no file name/);
    expect(attachmentNameProblem("x".repeat(256))).toMatch(/longer/);
  });
});

describe("AttachmentSet", () => {
  it("refuses the same place twice, across every-task and one-task files", () => {
    const set = new AttachmentSet();
    expect(set.add({}, "a.txt")).toBeUndefined();
    expect(set.add({ task: "t1" }, "b.txt")).toBeUndefined();
    expect(set.add({ task: "t2" }, "b.txt")).toBeUndefined();
    expect(set.add({}, "a.txt")).toMatch(/twice/);
    expect(set.add({ task: "t1" }, "a.txt")).toMatch(/twice.*every task/);
    expect(set.add({}, "b.txt")).toMatch(/twice.*task 't1'/);
  });

  it("refuses a file where a folder is needed, and the other way round", () => {
    const set = new AttachmentSet();
    expect(set.add({}, "d/x")).toBeUndefined();
    expect(set.add({ task: "t" }, "d")).toMatch(/folder/);
    expect(set.add({}, "f")).toBeUndefined();
    expect(set.add({ task: "t" }, "f/y")).toMatch(/'f' to be a folder/);
  });
});
