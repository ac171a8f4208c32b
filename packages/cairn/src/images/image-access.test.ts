import { describe, expect, it } from "vitest";
import type { ImageAccessFacts, ImageCatalog } from "../store/image-catalog.js";
import { groupImages, resolveRunnableImage, type GroupImages } from "./image-access.js";
import type { ImageDetails } from "./image-engine.js";

const id = (seed: string) => `sha256:${seed.repeat(64).slice(0, 64)}`;

/** An engine's name table, and a catalog's facts, as plain maps. */
function setup(names: Record<string, string>, facts: Record<string, Partial<ImageAccessFacts>>, made: Record<string, string> = {}) {
  const engine = {
    inspect: async (image: string): Promise<ImageDetails | undefined> => {
      const found = names[image] ?? (Object.values(names).includes(image) ? image : undefined);
      return found ? { id: found, repoTags: [], repoDigests: [], created: "", architecture: "amd64", os: "linux", size: 1 } : undefined;
    },
  };
  const images = (groupId: string): GroupImages => ({
    groupId,
    accessFacts: async (digest) => ({ madeHere: false, owners: [], sharedBy: [], ...facts[`${groupId} ${digest}`], ...(facts[`* ${digest}`] ?? {}) }),
    madeImage: async (reference) => made[`${groupId} ${reference}`],
  });
  return { engine, images };
}

describe("resolveRunnableImage", () => {
  it("runs the group's own image of a short name, free images anywhere, and refuses another group's image by name or digest until shared", async () => {
    const { engine, images } = setup(
      { "localhost/cairn/a/tool:1": id("a"), "localhost/busybox:test": id("b"), "reg:5000/a/private:1": id("c") },
      { [`* ${id("a")}`]: { owners: ["a"] }, [`* ${id("c")}`]: { owners: ["a"] }, [`a ${id("a")}`]: { madeHere: true }, [`shared ${id("a")}`]: { sharedBy: ["a"] } },
    );
    expect(await resolveRunnableImage(engine, images("a"), "tool:1")).toEqual({ image: "localhost/cairn/a/tool:1", id: id("a") });
    expect(await resolveRunnableImage(engine, images("b"), "localhost/busybox:test")).toEqual({ image: "localhost/busybox:test", id: id("b") });
    for (const ref of [id("a"), "localhost/cairn/a/tool:1", "reg:5000/a/private:1"]) {
      await expect(resolveRunnableImage(engine, images("b"), ref)).rejects.toMatchObject({ name: "TaskFailure", retryable: false, message: expect.stringMatching(/belongs to group 'a', which has not shared it with group 'b'/) });
    }
    expect(await resolveRunnableImage(engine, images("shared"), id("a"))).toEqual({ image: id("a"), id: id("a") });
    // Group b's own `tool:1` is not a's.
    expect(await resolveRunnableImage(engine, images("b"), "tool:1")).toEqual({ image: "tool:1" });
  });

  it("runs by id the image the group's catalog says it made under a name another build has moved since", async () => {
    const { engine, images } = setup({ "reg:5000/lab/tool:v1": id("e"), [id("m")]: id("m") }, { [`* ${id("e")}`]: { owners: ["evil"] } }, { "lab reg:5000/lab/tool:v1": id("m") });
    expect(await resolveRunnableImage(engine, images("lab"), "reg:5000/lab/tool:v1")).toEqual({ image: id("m"), id: id("m") });
  });

  it("checks an image the engine lacks against the cache's record of it", async () => {
    const { engine, images } = setup({}, { [`* ${id("k")}`]: { owners: ["a"] } });
    const cache = { digestOf: async (name: string) => (name === "localhost/cached:1" ? id("k") : undefined) };
    await expect(resolveRunnableImage(engine, images("b"), "localhost/cached:1", cache)).rejects.toThrow(/belongs to group 'a'/);
    expect(await resolveRunnableImage(engine, images("b"), "localhost/missing:1", cache)).toEqual({ image: "localhost/missing:1" });
  });
});

describe("groupImages", () => {
  it("finds an image the group pulled as docker.io/library/busybox:latest by the name busybox", async () => {
    const recorded: Record<string, { digest: string; origin: string }> = { "g docker.io/library/busybox:latest": { digest: id("d"), origin: "pulled" } };
    const catalog = { resolveImage: async (groupId: string, reference: string) => recorded[`${groupId} ${reference}`] } as unknown as ImageCatalog;
    expect(await groupImages(catalog, "g").madeImage("busybox")).toBe(id("d"));
    expect(await groupImages(catalog, "g").madeImage("alpine")).toBeUndefined();
    expect(await groupImages(catalog, "h").madeImage("busybox")).toBeUndefined();
  });
});
