import { describe, expect, it } from "vitest";
import { branchPatternProblem, matchesBranch } from "./branch-glob.js";
import { deliveryIdOf, readEvent } from "./push-event.js";

// Trimmed after the providers' documented push payloads.
const githubPush = {
  ref: "refs/heads/main",
  before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  after: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5",
  deleted: false,
  repository: { full_name: "octo-org/octo-repo", clone_url: "https://github.com/octo-org/octo-repo.git", html_url: "https://github.com/octo-org/octo-repo" },
  pusher: { name: "Codertocat", email: "21031067+Codertocat@users.noreply.github.com" },
  sender: { login: "Codertocat", id: 21031067 },
  head_commit: { id: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5", message: "Update README.md [nocache]" },
};
const gitlabPush = {
  object_kind: "push",
  ref: "refs/heads/master",
  checkout_sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  user_username: "jsmith",
  project: { git_http_url: "http://example.com/mike/diaspora.git" },
  commits: [
    { id: "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", message: "Update Catalan translation to e38cb41." },
    { id: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", message: "fixed readme" },
  ],
};

describe("readEvent", () => {
  it("reads a GitHub push, its pusher and head commit message", () => {
    expect(readEvent("github", { "x-github-event": "push" }, githubPush)).toEqual({
      kind: "push",
      event: "push",
      push: {
        event: "push",
        ref: "refs/heads/main",
        name: "main",
        commit: "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5",
        repository: "https://github.com/octo-org/octo-repo.git",
        pusher: "Codertocat",
        commitMessage: "Update README.md [nocache]",
        deleted: false,
      },
    });
    expect(readEvent("github", { "x-github-event": "ping" }, { zen: "Keep it logically awesome." }).kind).toBe("ping");
    expect(readEvent("github", { "x-github-event": "issues" }, {}).kind).toBe("other");
    expect(readEvent("github", { "x-github-event": "push" }, { ...githubPush, ref: "refs/tags/v1.0" })).toMatchObject({ push: { event: "tag_push", name: "v1.0" } });
    expect(readEvent("github", { "x-github-event": "push" }, { ...githubPush, deleted: true, after: "0".repeat(40) })).toMatchObject({ push: { deleted: true } });
    expect(readEvent("github", { "x-github-event": "push" }, [1])).toMatchObject({ kind: "invalid" });
  });

  it("reads a Gitea push the same way, and GitLab's from its own fields", () => {
    expect(readEvent("gitea", { "x-gitea-event": "push" }, { ...githubPush, head_commit: undefined, commits: [{ message: "last one" }] })).toMatchObject({ push: { pusher: "Codertocat", commitMessage: "last one" } });
    expect(readEvent("gitlab", { "x-gitlab-event": "Push Hook" }, gitlabPush)).toMatchObject({
      push: { event: "push", name: "master", commit: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", repository: "http://example.com/mike/diaspora.git", pusher: "jsmith", commitMessage: "fixed readme" },
    });
    expect(readEvent("gitlab", { "x-gitlab-event": "Merge Request Hook" }, gitlabPush).kind).toBe("other");
    expect(readEvent("generic", {}, { ref: "refs/heads/dev", commit: "abc", repository: "r" })).toMatchObject({ push: { name: "dev", commit: "abc", pusher: null } });
  });

  it("finds each provider's delivery id", () => {
    expect(deliveryIdOf("github", { "x-github-delivery": "72d3162e" })).toBe("72d3162e");
    expect(deliveryIdOf("gitea", { "x-gitea-delivery": "g-1" })).toBe("g-1");
    expect(deliveryIdOf("gitlab", { "x-gitlab-event-uuid": "u-1" })).toBe("u-1");
    expect(deliveryIdOf("github", {})).toBeNull();
  });
});

describe("matchesBranch", () => {
  it("matches globs: * within a segment, ** across, ? one character; empty matches all", () => {
    expect(matchesBranch([], "anything/at/all")).toBe(true);
    expect(matchesBranch(["main"], "main")).toBe(true);
    expect(matchesBranch(["main"], "main2")).toBe(false);
    expect(matchesBranch(["release/*"], "release/1.0")).toBe(true);
    expect(matchesBranch(["release/*"], "release/1.0/hotfix")).toBe(false);
    expect(matchesBranch(["release/**"], "release/1.0/hotfix")).toBe(true);
    expect(matchesBranch(["v?"], "v1")).toBe(true);
    expect(matchesBranch(["a.b"], "axb")).toBe(false);
    expect(matchesBranch(["dev", "feat-*"], "feat-x")).toBe(true);
  });

  it("names a pattern git would refuse", () => {
    expect(branchPatternProblem("has space")).toMatch(/spaces/);
    expect(branchPatternProblem("")).toMatch(/empty/);
    expect(branchPatternProblem("release/*")).toBeUndefined();
  });
});
