import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ImageCache } from "./image-cache.js";

const DIGEST = `sha256:${"b".repeat(64)}`;
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("ImageCache names", () => {
  it("finds an image saved as busybox by docker.io/library/busybox:latest, and the other way round", async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-cache-names-"));
    const cache = new ImageCache(dir);
    await writeFile(cache.fileFor(DIGEST), "");
    await writeFile(join(dir, "names.json"), JSON.stringify({ busybox: DIGEST, "docker.io/library/alpine:3": DIGEST }));
    expect(await cache.digestOf("docker.io/library/busybox:latest")).toBe(DIGEST);
    expect(await cache.digestOf("busybox:latest")).toBe(DIGEST);
    expect(await cache.digestOf("alpine:3")).toBe(DIGEST);
    expect(await cache.find("library/alpine:3")).toBe(cache.fileFor(DIGEST));
    expect(await cache.digestOf("alpine:4")).toBeUndefined();
  });
});
