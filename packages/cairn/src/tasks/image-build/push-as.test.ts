import { describe, expect, it } from "vitest";
import type { ImageEngine } from "../../images/image-engine.js";
import { pushAs } from "./image-build-handler.js";

/** An engine that holds no image under the name; `untag` fails when told to. */
function engine(untagFails: boolean): { engine: ImageEngine; names: Set<string> } {
  const names = new Set<string>();
  const fake = {
    inspect: async () => undefined,
    tag: async (_id: string, reference: string) => void names.add(reference),
    untag: async (reference: string) => {
      if (untagFails) throw new Error("the engine went away");
      names.delete(reference);
    },
  };
  return { engine: fake as unknown as ImageEngine, names };
}

describe("pushAs", () => {
  it("takes the registry's name off the build's image again after the push", async () => {
    const { engine: e, names } = engine(false);
    await expect(pushAs(e, "sha256:built", "registry.test/app:1", async () => "sha256:pushed")).resolves.toBe("sha256:pushed");
    expect(names.size).toBe(0);
  });

  it("fails the task when the name cannot be taken off, instead of leaving it unseen", async () => {
    const { engine: e } = engine(true);
    await expect(pushAs(e, "sha256:built", "registry.test/app:1", async () => "sha256:pushed")).rejects.toThrow(/registry\.test\/app:1 could not be given back.*the engine went away/);
  });

  it("answers the push's own failure when both fail", async () => {
    const { engine: e } = engine(true);
    const refused = new Error("denied by the registry");
    await expect(pushAs(e, "sha256:built", "registry.test/app:1", () => Promise.reject(refused))).rejects.toBe(refused);
  });
});
