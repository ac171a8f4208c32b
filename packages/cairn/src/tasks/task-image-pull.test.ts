import { describe, expect, it } from "vitest";
import { fakeContext } from "../../../../test/support/fake-context.js";
import { loadConfig } from "../config.js";
import { TaskFailure } from "../errors.js";
import type { ImageDetails, ImageEngine, TransferOptions } from "../images/image-engine.js";
import { parsePipeline } from "../spec/validate.js";
import { DEFAULT_EXECUTION_PROFILE, type ContainerRunTask, type PullPolicy } from "../spec/types.js";
import type { ObservedImage } from "./task-handler.js";
import { PullProgress, pullTaskImage } from "./task-image-pull.js";

const ID = `sha256:${"c".repeat(64)}`;

/** An engine holding some names; a pull adds the name it pulled and says what it was asked. */
function fakeEngine(names: string[]) {
  const held = new Set(names);
  const pulls: { reference: string; options: TransferOptions }[] = [];
  const details = (name: string): ImageDetails => ({ id: ID, repoTags: [name], repoDigests: [], created: "2026-01-01T00:00:00Z", architecture: "amd64", os: "linux", size: 1 });
  const engine = {
    inspect: async (image: string) => (held.has(image) || image === ID ? details(image) : undefined),
    pull: async (reference: string, onLine: (l: string) => void, options: TransferOptions) => {
      pulls.push({ reference, options });
      onLine("Trying to pull " + reference + "...");
      held.add(reference);
      return ID;
    },
    tag: async (_image: string, reference: string) => void held.add(reference),
    identify: async () => ({ name: "Podman Engine", version: "4.3.1" }),
    skipsTlsOnItsOwn: async () => false,
  } as unknown as ImageEngine;
  return { engine, pulls };
}

function context(image: string, policy: PullPolicy = "if_not_present", config = loadConfig({ dataDir: "/nonexistent/cairn-pull-test" }, {})) {
  const task = parsePipeline({ id: "p", tasks: [{ id: "run", type: "container_run", image }] }).tasks[0] as ContainerRunTask;
  return fakeContext(task, { config, profile: { ...DEFAULT_EXECUTION_PROFILE, pull_policy: policy } });
}

describe("pullTaskImage", () => {
  it("pulls Docker Hub's image for a short name the engine lacks, and answers its canonical name", async () => {
    const { engine, pulls } = fakeEngine([]);
    const ctx = context("busybox");
    try {
      expect(await pullTaskImage(ctx, engine, "busybox")).toBe("docker.io/library/busybox:latest");
      expect(pulls.map((p) => p.reference)).toEqual(["docker.io/library/busybox:latest"]);
    } finally {
      await ctx.cleanup();
    }
  });

  it("does not pull an image the engine has under its canonical name, nor a localhost/ name, unless the policy is always", async () => {
    const { engine, pulls } = fakeEngine(["docker.io/library/busybox:latest"]);
    const ctx = context("busybox");
    try {
      expect(await pullTaskImage(ctx, engine, "busybox:latest")).toBe("docker.io/library/busybox:latest");
      expect(await pullTaskImage(ctx, engine, "localhost/missing:1")).toBe("localhost/missing:1");
      expect(pulls).toEqual([]);
    } finally {
      await ctx.cleanup();
    }
    const always = context("busybox", "always");
    try {
      await pullTaskImage(always, engine, "busybox");
      expect(pulls.map((p) => p.reference)).toEqual(["docker.io/library/busybox:latest"]);
    } finally {
      await always.cleanup();
    }
  });

  it("refuses a registry the egress policy does not allow, before the engine is asked", async () => {
    const { engine, pulls } = fakeEngine([]);
    const ctx = context("127.0.0.1:5999/tool:1");
    try {
      await expect(pullTaskImage(ctx, engine, "127.0.0.1:5999/tool:1")).rejects.toThrow(/127\.0\.0\.1/);
      expect(pulls).toEqual([]);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe("pullTaskImage: who owns what it pulled", () => {
  /** A registry that serves `private/…` only with a login; the engine held `others` under other names before. */
  function registryEngine(others: string[] = []) {
    const held = new Map<string, string>(others.map((n) => [n, ID]));
    const pulls: (string | undefined)[] = [];
    const engine = {
      inspect: async (image: string) => {
        const id = image === ID ? ID : held.get(image);
        return id ? { id, repoTags: [...held].filter(([, i]) => i === id).map(([n]) => n), repoDigests: [], created: "", architecture: "amd64", os: "linux", size: 1 } : undefined;
      },
      pull: async (reference: string, _onLine: unknown, options: TransferOptions) => {
        pulls.push(options.login?.username);
        if (reference.includes("/private/") && !options.login) throw new TaskFailure(`the registry refused the pull of '${reference}' with no credentials (unauthorized)`, { retryable: false });
        held.set(reference, ID);
        return ID;
      },
      tag: async (_image: string, reference: string) => void held.set(reference, ID),
      identify: async () => ({ name: "Podman Engine", version: "4.3.1" }),
      skipsTlsOnItsOwn: async () => false,
    } as unknown as ImageEngine;
    return { engine, pulls };
  }

  async function pullWithIdentity(engine: ImageEngine, image: string): Promise<ObservedImage[]> {
    const recorded: ObservedImage[] = [];
    const ctx = context(image);
    ctx.registryIdentity = async () => ({ type: "dockerhub", host: "docker.io", credentials: { username: "ada", token: "t0ken" } });
    ctx.recordImage = async (image) => void recorded.push(image);
    try {
      await pullTaskImage(ctx, engine, image);
    } finally {
      await ctx.cleanup();
    }
    return recorded;
  }

  it("a public image is pulled without the run's login, and is no group's own", async () => {
    const { engine, pulls } = registryEngine();
    const [record] = await pullWithIdentity(engine, "busybox");
    expect(pulls).toEqual([undefined]);
    expect(record).toMatchObject({ origin: "pulled", owned: false });
  });

  it("a private image new to the engine is pulled with the login, and is the group's", async () => {
    const { engine, pulls } = registryEngine();
    const [record] = await pullWithIdentity(engine, "ada/private/tool:1");
    expect(pulls).toEqual([undefined, "ada"]);
    expect(record).toMatchObject({ origin: "pulled", owned: true, names: ["docker.io/ada/private/tool:1"] });
  });

  it("a private image the engine held under another name already is no one's to claim", async () => {
    const { engine } = registryEngine(["localhost/busybox:test"]);
    const [record] = await pullWithIdentity(engine, "ada/private/tool:1");
    expect(record).toMatchObject({ owned: false });
  });
});

describe("PullProgress", () => {
  it("counts layer messages instead of logging each", () => {
    const lines: string[] = [];
    const progress = new PullProgress((l) => lines.push(l));
    for (const l of ["Trying to pull docker.io/library/busybox:latest...", "Getting image source signatures", "Copying blob sha256:" + "a".repeat(64), "Copying blob sha256:" + "b".repeat(64), "Copying config sha256:" + "c".repeat(64), "Writing manifest to image destination", "Storing signatures"]) progress.line(l);
    for (const l of ["latest: Pulling from library/busybox", "aaaaaaaaaaaa: Pulling fs layer", "aaaaaaaaaaaa: Downloading [=>   ] 1MB/2MB", "aaaaaaaaaaaa: Pull complete", "Digest: sha256:" + "d".repeat(64), "Status: Downloaded newer image for busybox:latest"]) progress.line(l);
    progress.end();
    expect(lines).toEqual([
      "Trying to pull docker.io/library/busybox:latest...",
      "Writing manifest to image destination",
      "latest: Pulling from library/busybox",
      `Digest: sha256:${"d".repeat(64)}`,
      "Status: Downloaded newer image for busybox:latest",
      "3 layers fetched or already present",
    ]);
  });
});
