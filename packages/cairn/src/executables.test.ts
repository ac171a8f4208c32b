import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findExecutable } from "./executables.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-executables-"));
  for (const sub of ["a", "b"]) await mkdir(join(dir, sub));
  await writeFile(join(dir, "a", "tool"), "#!/bin/sh\n");
  await chmod(join(dir, "a", "tool"), 0o644); // there, but not executable
  await writeFile(join(dir, "b", "tool"), "#!/bin/sh\n");
  await chmod(join(dir, "b", "tool"), 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("findExecutable", () => {
  it("finds the first executable of that name on the path, skipping files that cannot be run", async () => {
    expect(await findExecutable("tool", [join(dir, "a"), join(dir, "b")].join(delimiter))).toBe(join(dir, "b", "tool"));
  });

  it("answers undefined when no directory on the path has it", async () => {
    expect(await findExecutable("tool", join(dir, "a"))).toBeUndefined();
    expect(await findExecutable("no-such-program-cairn", [join(dir, "a"), join(dir, "b")].join(delimiter))).toBeUndefined();
  });

  it("reads PATH by default", async () => {
    const saved = process.env.PATH;
    process.env.PATH = join(dir, "b");
    try {
      expect(await findExecutable("tool")).toBe(join(dir, "b", "tool"));
    } finally {
      process.env.PATH = saved;
    }
  });
});
