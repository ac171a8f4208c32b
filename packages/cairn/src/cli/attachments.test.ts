import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveAttachments, stageAttachments } from "./attachments.js";

describe("--attach", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-attach-args-"));
    await mkdir(join(dir, "folder", "sub"), { recursive: true });
    await writeFile(join(dir, "a.txt"), "a");
    await writeFile(join(dir, "k=v.txt"), "a file whose name has '='");
    await writeFile(join(dir, "folder", "sub", "b.txt"), "b");
    await symlink("/etc/passwd", join(dir, "folder", "link"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads PATH, TASK=PATH and folders (without their links), an existing path before the TASK= form", async () => {
    const b = join(dir, "folder", "sub", "b.txt");
    const sources = await resolveAttachments([join(dir, "a.txt"), `t1=${b}`, join(dir, "folder"), join(dir, "k=v.txt")], new Set(["t1"]));
    expect(sources).toEqual([
      { name: "a.txt", path: join(dir, "a.txt") },
      { name: "b.txt", path: b, task: "t1" },
      { name: "folder/sub/b.txt", path: join(dir, "folder", "sub", "b.txt") },
      { name: "k=v.txt", path: join(dir, "k=v.txt") },
    ]);
  });

  it("lists every problem: a missing file, an unknown task, a name given twice", async () => {
    const attempt = resolveAttachments([join(dir, "nope"), `t9=${join(dir, "a.txt")}`, join(dir, "a.txt"), join(dir, "a.txt")], new Set(["t1"]));
    await expect(attempt).rejects.toMatchObject({
      code: "invalid_input",
      issues: [
        { path: join(dir, "nope"), message: "no such file or folder" },
        { path: `t9=${join(dir, "a.txt")}`, message: "the pipeline has no task 't9'" },
        { path: join(dir, "a.txt"), message: expect.stringMatching(/twice/) },
      ],
    });
  });

  it("stages copies in the layout the engine takes", async () => {
    const data = join(dir, "data");
    const staging = await stageAttachments(data, await resolveAttachments([join(dir, "folder"), `t1=${join(dir, "a.txt")}`], new Set(["t1"])));
    expect(staging.startsWith(join(data, "uploads", `${process.pid}-`))).toBe(true);
    expect(await readFile(join(staging, "all", "folder", "sub", "b.txt"), "utf8")).toBe("b");
    expect(await readdir(join(staging, "tasks", "t1"))).toEqual(["a.txt"]);
  });
});
