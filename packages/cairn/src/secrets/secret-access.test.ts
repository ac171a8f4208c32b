import { describe, expect, it } from "vitest";
import type { MemberRecord, PipelineRecord, SecretRecord, ServiceStore } from "../store/service-store.js";
import { mayReadSecret, readGroupSecret } from "./secret-access.js";

const secret = (allowedPipelines: string[]): SecretRecord => ({ groupId: "lab", name: "TOKEN", sealedValue: "sealed", createdAt: 1, updatedAt: 1, allowedPipelines });

describe("mayReadSecret", () => {
  it('lets "*" cover pipelines a group admin owns, and only those', () => {
    expect(mayReadSecret(["*"], { uuid: "p1", ownerIsAdmin: true })).toBe(true);
    expect(mayReadSecret(["*"], { uuid: "p1", ownerIsAdmin: false })).toBe(false);
  });

  it("lets a named pipeline read it whoever owns it, and no other", () => {
    expect(mayReadSecret(["p1"], { uuid: "p1", ownerIsAdmin: false })).toBe(true);
    expect(mayReadSecret(["p1"], { uuid: "p2", ownerIsAdmin: true })).toBe(false);
    expect(mayReadSecret([], { uuid: "p1", ownerIsAdmin: true })).toBe(false);
  });
});

describe("readGroupSecret", () => {
  function service(record: SecretRecord | undefined, owner: MemberRecord["role"] | undefined, pipeline: Partial<PipelineRecord> | null = { uuid: "p-uuid", owner: "bob" }) {
    return {
      getSecret: async () => record,
      getPipeline: async () => pipeline ?? undefined,
      getMember: async () => (owner ? { uuid: "m", groupId: "lab", username: "bob", role: owner } : undefined),
    } as unknown as ServiceStore;
  }
  const open = (sealed: string, boundTo: string) => `${sealed} opened for ${boundTo}`;
  const request = { name: "TOKEN", groupId: "lab", pipelineId: "mine" };

  it("opens a secret the pipeline may read", async () => {
    expect(await readGroupSecret(service(secret(["*"]), "admin"), open, request)).toBe("sealed opened for secret:lab:TOKEN");
    expect(await readGroupSecret(service(secret(["p-uuid"]), "member"), open, request)).toBe("sealed opened for secret:lab:TOKEN");
  });

  it("is undefined for a secret that does not exist", async () => {
    expect(await readGroupSecret(service(undefined, "admin"), open, request)).toBeUndefined();
  });

  it("refuses a member's pipeline, a departed owner's and a deleted one, naming the secret and the pipeline, not to be retried", async () => {
    for (const s of [service(secret(["*"]), "member"), service(secret(["*"]), undefined), service(secret(["*"]), "owner", null)]) {
      await expect(readGroupSecret(s, open, request)).rejects.toMatchObject({
        code: "task_failed",
        retryable: false,
        message: expect.stringContaining("pipeline 'mine' may not read secret 'TOKEN' of group 'lab'"),
      });
    }
  });
});
