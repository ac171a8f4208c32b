import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, newUser, startTestServer, waitForRun, type TestServer } from "../support/api-server.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");
/** Prints the commit the push gave it. */
const pipeline = {
  id: "hello",
  execution_profile: { runtime: "host", max_exec_time: 60 },
  tasks: [{ id: "show", type: "function", runtime: "bash", input: { COMMIT: { type: "string", value_from: { params: "git_commit" } } }, code: b64('echo "commit $COMMIT"') }],
};

/**
 * Webhooks against a real server (issue 17): deliveries signed the way GitHub, Gitea and
 * GitLab sign them, posted with fetch, with payloads written after the providers'
 * documented push examples. A push by a member's git user starts a run as that member;
 * unsigned, badly signed, unmapped and oversized deliveries start nothing and (but the
 * oversized one, refused before it is read) are recorded.
 */

const W = "/v3/workflows";
const hmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

function githubPush(sender: string, ref = "refs/heads/main", message = "Update README.md") {
  return {
    ref,
    before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    after: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5",
    created: false,
    deleted: false,
    forced: false,
    repository: { id: 186853002, name: "octo-repo", full_name: "octo-org/octo-repo", clone_url: "https://github.com/octo-org/octo-repo.git" },
    pusher: { name: sender, email: `${sender}@users.noreply.github.com` },
    sender: { login: sender, id: 21031067, type: "User" },
    head_commit: { id: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5", message, timestamp: "2019-05-15T15:20:30-05:00" },
    commits: [{ id: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5", message }],
  };
}

function gitlabPush(username: string) {
  return {
    object_kind: "push",
    event_name: "push",
    before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
    after: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    ref: "refs/heads/main",
    checkout_sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    user_id: 4,
    user_name: "John Smith",
    user_username: username,
    project: { id: 15, name: "Diaspora", git_http_url: "http://example.com/mike/diaspora.git" },
    commits: [{ id: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", message: "fixed readme", timestamp: "2012-01-03T23:36:29+02:00" }],
    total_commits_count: 1,
  };
}

describe("webhooks", () => {
  let server: TestServer;
  let owner: ApiClient;
  let member: ApiClient;
  let anon: ApiClient;
  const hooks = "/groups/wh/pipelines/hello/webhooks";

  beforeAll(async () => {
    server = await startTestServer();
    anon = new ApiClient(server.url);
    owner = await newUser(anon, "wh-owner");
    member = await newUser(anon, "wh-member");
    await newUser(anon, "wh-outsider").then((outsider) =>
      outsider.post(`${W}/identities`, { type: "github", name: "gh", credentials: { username: "outside-gh", personal_access_token: "pat-value-outsider" } }),
    );
    expect((await owner.post(`${W}/groups`, { id: "wh", users: [{ username: "wh-member" }] })).status).toBe(201);
    expect((await owner.post(`${W}/groups/wh/pipelines`, pipeline)).status).toBe(201);
    for (const identity of [
      { type: "github", name: "gh", credentials: { username: "Octo-Member", personal_access_token: "pat-value-member" } },
      { type: "gitlab", name: "gl", credentials: { username: "gl-member", token: "gl-token-value" } },
      { type: "gitea", name: "gt", host: "gitea.example.org", credentials: { username: "gt-member", token: "gt-token-value" } },
    ]) {
      expect((await member.post(`${W}/identities`, identity)).status).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  async function deliver(uuid: string, body: string, headers: Record<string, string>) {
    return anon.request("POST", `${W}/webhooks/${uuid}`, body, { "content-type": "application/json", ...headers });
  }

  it("lets the pipeline's owner make a GitHub webhook, answers its secret once, and refuses bad fields by name", async () => {
    expect((await member.post(`${W}${hooks}`, { type: "github" })).status).toBe(403);
    const bad = await owner.post(`${W}${hooks}`, { type: "bitbucket", branches: ["has space"], secret: "short" });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/type/);
    expect(bad.body.message).toMatch(/branches/);
    expect(bad.body.message).toMatch(/secret/);
    const made = await owner.post(`${W}${hooks}`, { type: "github", branches: ["main", "release/*"] });
    expect(made.status).toBe(201);
    expect(made.body.result).toMatchObject({ type: "github", branches: ["main", "release/*"], events: ["push"], url: `${server.url}${W}/webhooks/${made.body.result.uuid}` });
    expect(made.body.result.secret).toMatch(/^[\w-]{40,}$/);
    const listed = await member.get(`${W}${hooks}`);
    expect(listed.status).toBe(200);
    expect(listed.body.result).toHaveLength(1);
    expect(listed.text).not.toContain(made.body.result.secret);
  });

  it("starts one run per GitHub delivery as the member the pusher maps to, and refuses unsigned, forged, unmapped and oversized ones", async () => {
    const made = await owner.post(`${W}${hooks}`, { type: "github", branches: ["main"], secret: "github-secret-0123456789" });
    const { uuid, secret } = made.body.result as { uuid: string; secret: string };
    const body = JSON.stringify(githubPush("octo-member", "refs/heads/main", "Update README.md [nocache]"));
    const signed = { "x-github-event": "push", "x-github-delivery": "d-1", "x-hub-signature-256": `sha256=${hmac(secret, body)}` };

    expect((await deliver(uuid, JSON.stringify({ zen: "Design for failure.", hook_id: 1 }), { "x-github-event": "ping", "x-hub-signature-256": `sha256=${hmac(secret, JSON.stringify({ zen: "Design for failure.", hook_id: 1 }))}` })).status).toBe(200);

    const started = await deliver(uuid, body, signed);
    expect(started.status, started.text).toBe(201);
    const runUuid = started.body.result.run_uuid as string;
    const run = await waitForRun(owner, `${W}/groups/wh/pipelines/hello/runs/${runUuid}`);
    expect(run).toMatchObject({
      status: "succeeded",
      started_by: "wh-member",
      trigger: "webhook",
      directives: { nocache: true },
      params: { git_ref: "refs/heads/main", git_commit: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5", git_repository: "https://github.com/octo-org/octo-repo.git", git_pusher: "octo-member" },
    });

    const rerun = await member.post(`${W}/groups/wh/pipelines/hello/runs/${runUuid}/rerun`);
    expect(rerun.body.result).toMatchObject({ trigger: "rerun", started_by: "wh-member", params: { git_commit: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5" } });
    await waitForRun(owner, `${W}/groups/wh/pipelines/hello/runs/${rerun.body.result.uuid}`);

    const again = await deliver(uuid, body, signed);
    expect(again.status).toBe(200);
    expect(again.body.result.run_uuid).toBe(runUuid);
    expect(again.body.message).toContain(runUuid);

    expect((await deliver(uuid, body, { "x-github-event": "push", "x-github-delivery": "d-2" })).status).toBe(401);
    expect((await deliver(uuid, body, { ...signed, "x-github-delivery": "d-3", "x-hub-signature-256": `sha256=${hmac("wrong-secret", body)}` })).status).toBe(401);
    const tampered = body.replace("octo-member", "octo-memner");
    expect((await deliver(uuid, tampered, { ...signed, "x-github-delivery": "d-4" })).status).toBe(401);

    const unmappedBody = JSON.stringify(githubPush("outside-gh"));
    const unmapped = await deliver(uuid, unmappedBody, { "x-github-event": "push", "x-github-delivery": "d-5", "x-hub-signature-256": `sha256=${hmac(secret, unmappedBody)}` });
    expect(unmapped.status).toBe(403);
    expect(unmapped.body.message).toContain("outside-gh");

    const devBody = JSON.stringify(githubPush("octo-member", "refs/heads/dev"));
    const dev = await deliver(uuid, devBody, { "x-github-event": "push", "x-github-delivery": "d-6", "x-hub-signature-256": `sha256=${hmac(secret, devBody)}` });
    expect(dev.status).toBe(202);
    expect(dev.body.message).toContain("'dev'");

    const huge = JSON.stringify({ ...githubPush("octo-member"), padding: "x".repeat(1024 * 1024) });
    expect((await deliver(uuid, huge, { "x-github-event": "push", "x-github-delivery": "d-7", "x-hub-signature-256": `sha256=${hmac(secret, huge)}` })).status).toBe(413);

    // GitHub's form encoding: the signature is over the form body.
    const form = `payload=${encodeURIComponent(JSON.stringify(githubPush("octo-member")))}`;
    const formed = await deliver(uuid, form, { "content-type": "application/x-www-form-urlencoded", "x-github-event": "push", "x-github-delivery": "d-8", "x-hub-signature-256": `sha256=${hmac(secret, form)}` });
    expect(formed.status, formed.text).toBe(201);

    const deliveries = await member.get(`${W}${hooks}/${uuid}/deliveries`);
    expect(deliveries.status).toBe(200);
    const seen = (deliveries.body.result as { status: number; delivery_id: string | null; run_uuid: string | null; reason: string }[]).map((d) => [d.delivery_id, d.status]);
    expect(seen).toEqual([
      ["d-8", 201],
      ["d-6", 202],
      ["d-5", 403],
      ["d-4", 401],
      ["d-3", 401],
      ["d-2", 401],
      ["d-1", 200],
      ["d-1", 201],
      [null, 200],
    ]);
    expect(deliveries.body.result[7].run_uuid).toBe(runUuid);
    expect(deliveries.body.result[5].reason).toMatch(/no x-hub-signature-256 header/);
    // Only the two accepted deliveries started runs.
    const runs = (await owner.get(`${W}/groups/wh/pipelines/hello/runs?limit=100`)).body.result as { trigger: string }[];
    expect(runs.filter((r) => r.trigger === "webhook")).toHaveLength(2);
  });

  it("starts runs from Gitea, GitLab and generic deliveries, and stops once the webhook is deleted", async () => {
    const gitea = (await owner.post(`${W}${hooks}`, { type: "gitea" })).body.result as { uuid: string; secret: string };
    const giteaBody = JSON.stringify({ ...githubPush("gt-member"), head_commit: undefined });
    const fromGitea = await deliver(gitea.uuid, giteaBody, { "x-gitea-event": "push", "x-gitea-delivery": "g-1", "x-gitea-signature": hmac(gitea.secret, giteaBody) });
    expect(fromGitea.status, fromGitea.text).toBe(201);
    expect((await deliver(gitea.uuid, giteaBody, { "x-gitea-event": "push", "x-gitea-delivery": "g-2", "x-gitea-signature": hmac("nope-nope-nope-nope", giteaBody) })).status).toBe(401);

    const gitlab = (await owner.post(`${W}${hooks}`, { type: "gitlab" })).body.result as { uuid: string; secret: string };
    const gitlabBody = JSON.stringify(gitlabPush("gl-member"));
    const fromGitlab = await deliver(gitlab.uuid, gitlabBody, { "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": "l-1", "x-gitlab-token": gitlab.secret });
    expect(fromGitlab.status, fromGitlab.text).toBe(201);
    expect((await deliver(gitlab.uuid, gitlabBody, { "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": "l-2", "x-gitlab-token": "guess" })).status).toBe(401);
    expect((await deliver(gitlab.uuid, JSON.stringify(gitlabPush("nobody")), { "x-gitlab-event": "Push Hook", "x-gitlab-token": gitlab.secret })).status).toBe(403);

    const generic = (await owner.post(`${W}${hooks}`, { type: "generic" })).body.result as { uuid: string; secret: string };
    const genericBody = JSON.stringify({ ref: "refs/heads/main", commit: "abc123", repository: "https://git.example.org/r.git" });
    const fromGeneric = await deliver(generic.uuid, genericBody, { "x-cairn-signature-256": `sha256=${hmac(generic.secret, genericBody)}` });
    expect(fromGeneric.status, fromGeneric.text).toBe(201);

    for (const [started, who] of [
      [fromGitea, "wh-member"],
      [fromGitlab, "wh-member"],
      [fromGeneric, "wh-owner"],
    ] as const) {
      expect(await waitForRun(owner, `${W}/groups/wh/pipelines/hello/runs/${started.body.result.run_uuid}`)).toMatchObject({ status: "succeeded", started_by: who, trigger: "webhook" });
    }
    expect((await owner.get(`${W}/groups/wh/pipelines/hello/runs/${fromGitlab.body.result.run_uuid}`)).body.result.params).toEqual({
      git_ref: "refs/heads/main",
      git_commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      git_repository: "http://example.com/mike/diaspora.git",
      git_pusher: "gl-member",
    });
    expect((await owner.get(`${W}/groups/wh/pipelines/hello/runs/${fromGeneric.body.result.run_uuid}`)).body.result.params).toMatchObject({ git_commit: "abc123", git_pusher: "wh-owner" });

    expect((await member.delete(`${W}${hooks}/${generic.uuid}`)).status).toBe(403);
    expect((await owner.delete(`${W}${hooks}/${generic.uuid}`)).status).toBe(200);
    expect((await deliver(generic.uuid, genericBody, { "x-cairn-signature-256": `sha256=${hmac(generic.secret, genericBody)}` })).status).toBe(404);
  });

  it("starts nothing for a pusher who left the group", async () => {
    const made = (await owner.post(`${W}${hooks}`, { type: "github" })).body.result as { uuid: string; secret: string };
    expect((await owner.delete(`${W}/groups/wh/users/wh-member`)).status).toBe(200);
    const body = JSON.stringify(githubPush("octo-member"));
    const refused = await deliver(made.uuid, body, { "x-github-event": "push", "x-github-delivery": "left-1", "x-hub-signature-256": `sha256=${hmac(made.secret, body)}` });
    expect(refused.status).toBe(403);
  });
});
