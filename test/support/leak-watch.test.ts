import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaksIn, leaksInDataDir, noteSecretsSent, refuseLeakyAnswer } from "./leak-watch.js";

const SECRET = "leak-watch-secret-value";
const PAT = "ghp_leakWatchToken42";

describe("the suite-wide leak watch", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-leak-watch-"));
    noteSecretsSent("PUT", "/v3/workflows/groups/lab/secrets/DB", { value: SECRET });
    noteSecretsSent("POST", "/v3/workflows/identities", { type: "github", name: "gh", credentials: { username: "ada-on-github", personal_access_token: PAT } });
    noteSecretsSent("PUT", "/v3/workflows/groups/lab/secrets/SHORT", { value: "short" });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds a secret and an identity credential sent earlier, in clear, base64 and hex, and nothing else", () => {
    expect(leaksIn(`log: ${SECRET}`)).toEqual([SECRET]);
    expect(leaksIn(Buffer.from(`x${Buffer.from(PAT).toString("base64")}y`))).toEqual([PAT]);
    expect(leaksIn(Buffer.from(SECRET).toString("hex"))).toEqual([SECRET]);
    expect(leaksIn("***, ada-on-github, short")).toEqual([]);
    expect(() => refuseLeakyAnswer("GET", "/x", `{"value":"${SECRET}"}`)).toThrow(/GET \/x answered with 1 secret/);
    expect(() => refuseLeakyAnswer("GET", "/x", `{"value":"***"}`)).not.toThrow();
  });

  it("names the data-dir files that hold one, but not a run's working folder", async () => {
    await mkdir(join(dir, "results/run/task/1"), { recursive: true });
    await writeFile(join(dir, "results/run/task/1/out.txt"), `token ${PAT}\n`);
    await mkdir(join(dir, "runs/run/task@1/inputs"), { recursive: true });
    await writeFile(join(dir, "runs/run/task@1/inputs/DB"), SECRET);
    await writeFile(join(dir, "cairn.db"), "sealed:AAAA");
    expect(await leaksInDataDir(dir)).toEqual([`results/run/task/1/out.txt holds 'ghp_…' (${PAT.length} characters)`]);
  });
});
