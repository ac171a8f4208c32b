import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkWritable, safeSegments } from "./archive-target.js";
import { localRootSegments, openLocalTarget } from "./local-target.js";

describe("safeSegments", () => {
  it("drops empty and '.' segments and keeps the rest", () => {
    expect(safeSegments("/workflows/archive/", "archive_dir")).toEqual(["workflows", "archive"]);
    expect(safeSegments("./a//b/.", "archive_dir")).toEqual(["a", "b"]);
    expect(safeSegments("/", "archive_dir")).toEqual([]);
  });

  it.each(["..", "a/../b", "/x/..", "a/..\u0000"])("refuses %j", (path) => {
    expect(() => safeSegments(path, "archive_dir")).toThrow(/archive_dir must not contain/);
  });
});

describe("local systems", () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "cairn-systems-"));
    outside = await mkdtemp(join(tmpdir(), "cairn-outside-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("takes a relative root_dir from the systems root, and an absolute one only inside it", () => {
    expect(localRootSegments(root, "lab/data")).toEqual(["lab", "data"]);
    expect(localRootSegments(root, join(root, "lab"))).toEqual(["lab"]);
    expect(localRootSegments(root, root)).toEqual([]);
    expect(() => localRootSegments(root, "/etc")).toThrow(/outside the group's folder for local systems/);
    expect(() => localRootSegments(root, `${root}-other/x`)).toThrow(/outside/);
    expect(() => localRootSegments(root, "../x")).toThrow(/must not contain '\.\.'/);
  });

  it("writes buffers and streams under ROOT/root_dir/archive_dir", async () => {
    const target = await openLocalTarget(root, "lab", "/workflows/archive/");
    await checkWritable(target, "run");
    await target.mkdir("run/task/output");
    await target.writeFile("run/task/output/.stdout", Buffer.from("hi\n"));
    await target.writeFile("run/task/output/big", Readable.from(["a", "b"]));
    await target.close();
    expect(target.location).toBe(`file://${root}/lab/workflows/archive`);
    const out = join(root, "lab/workflows/archive/run/task/output");
    expect(await readFile(join(out, ".stdout"), "utf8")).toBe("hi\n");
    expect(await readFile(join(out, "big"), "utf8")).toBe("ab");
  });

  it("refuses a folder that a symbolic link leads outside the root", async () => {
    await mkdir(join(root, "lab"), { recursive: true });
    await symlink(outside, join(root, "lab", "escape"));
    await expect(openLocalTarget(root, "lab", "escape/archive")).rejects.toMatchObject({ name: "ArchivingError", retryable: false, message: expect.stringMatching(/outside the local systems root/) });
  });

  it("refuses paths that climb out", async () => {
    const target = await openLocalTarget(root, "lab", "a");
    await expect(target.writeFile("../x", Buffer.from(""))).rejects.toThrow(/must not contain '\.\.'/);
    await expect(openLocalTarget(root, "lab", "../../x")).rejects.toThrow(/archive_dir must not contain '\.\.'/);
  });
});
