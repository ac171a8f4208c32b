import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SessionFile } from "./session-file.js";

describe("SessionFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-session-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const session = (login: string) => ({ login, token: `token-of-${login}`, expires_at: "2030-01-01T00:00:00.000Z" });

  it("keeps one session per server, the last one logged in to as current, readable by its owner only", async () => {
    const file = new SessionFile(join(dir, "config", "cairn", "session.json"));
    expect(await file.read()).toEqual({ sessions: {} });
    await file.save("http://a:1", session("ada"));
    await file.save("http://b:2", session("bob"));
    expect(await file.read()).toEqual({ current: "http://b:2", sessions: { "http://a:1": session("ada"), "http://b:2": session("bob") } });
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "config", "cairn"))).mode & 0o777).toBe(0o700);
  });

  it("forgets a server's session, and the current server with it", async () => {
    const file = new SessionFile(join(dir, "session.json"));
    await file.save("http://a:1", session("ada"));
    await file.save("http://b:2", session("bob"));
    expect(await file.remove("http://b:2")).toBe(true);
    expect(await file.remove("http://b:2")).toBe(false);
    expect(await file.read()).toEqual({ sessions: { "http://a:1": session("ada") } });
  });

  it("tightens the mode of a file that was readable by others", async () => {
    const path = join(dir, "session.json");
    await writeFile(path, JSON.stringify({ sessions: {} }), { mode: 0o644 });
    await new SessionFile(path).save("http://a:1", session("ada"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8")).sessions["http://a:1"].token).toBe("token-of-ada");
  });

  it("says how to recover from a damaged file", async () => {
    const path = join(dir, "session.json");
    await writeFile(path, "{not json");
    await expect(new SessionFile(path).read()).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining("delete it and log in again") });
  });
});
