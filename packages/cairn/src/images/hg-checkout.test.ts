import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EgressPolicy } from "../net/egress-policy.js";
import { cloneMercurial } from "./hg-checkout.js";

/** What is refused before hg runs: the real clones are in test/api/kabuto-mercurial.int.test.ts. */
describe("a Mercurial clone's URL", () => {
  const dir = () => join(mkdtempSync(join(tmpdir(), "cairn-hg-unit-")), "checkout");
  const closed = new EgressPolicy({ allow: [], connectTimeoutMs: 1000, fetchTimeoutMs: 5000 });

  it.each([
    ["ssh://hg@example.org/repo", "over http(s) only, not ssh"],
    ["file:///etc", "over http(s) only, not file"],
    ["http://user:pw@example.org/repo", "credentials do not belong in the URL"],
  ])("%s is refused: %s", async (url, reason) => {
    await expect(cloneMercurial(url, dir(), { egress: EgressPolicy.unrestricted() })).rejects.toMatchObject({ name: "TaskFailure", retryable: false, message: expect.stringContaining(reason) });
  });

  it("goes through the egress policy: a metadata address is refused, naming the field", async () => {
    await expect(cloneMercurial("http://169.254.169.254/repo", dir(), { egress: closed, field: "repo_url" })).rejects.toMatchObject({ message: expect.stringContaining("clone of http://169.254.169.254/repo (repo_url)") });
  });
});
