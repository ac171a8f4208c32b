import { TaskFailure } from "../errors.js";
import type { SecretRecord, ServiceStore } from "../store/service-store.js";

/**
 * Which pipelines may read a group secret (issue 21: "a group admin decides which
 * pipelines may read each secret; a member's new pipeline gets none until an admin
 * allows it"). A secret's `allowed_pipelines` holds:
 *
 * - `"*"`: every pipeline of the group whose owner is an admin (or the owner) of the
 *   group when the task starts. Only a pipeline's owner or a group admin can change it
 *   (api/routes/pipelines.ts), so such a pipeline holds only what admins wrote. New
 *   secrets get `["*"]`.
 * - pipeline uuids (given and shown as ids by the API): those pipelines, whoever owns
 *   them. Allowing a member's pipeline trusts that member, who can change it later. A
 *   pipeline deleted and made again under the same id is a new pipeline, not allowed.
 *
 * So a pipeline a member creates reads no secret until an admin names it. Secrets that
 * existed before (migration 0007) allow `"*"` and every pipeline that existed then.
 */
export const ADMIN_PIPELINES = "*";

export function mayReadSecret(allowedPipelines: readonly string[], pipeline: { uuid: string; ownerIsAdmin: boolean }): boolean {
  return allowedPipelines.includes(pipeline.uuid) || (pipeline.ownerIsAdmin && allowedPipelines.includes(ADMIN_PIPELINES));
}

/** Ties a sealed value to its group and name, so it cannot be moved to another row. */
export function secretBinding(groupId: string, name: string): string {
  return `secret:${groupId}:${name}`;
}

/**
 * A secret's value for a task of a run of `pipelineId`: undefined when the group has no
 * such secret, and a failure naming the secret and the pipeline when the pipeline may
 * not read it (not retried: the next attempt would be refused the same).
 */
export async function readGroupSecret(
  service: ServiceStore,
  open: (sealed: string, boundTo: string) => string,
  request: { name: string; groupId: string; pipelineId: string },
): Promise<string | undefined> {
  const { name, groupId, pipelineId } = request;
  const secret: SecretRecord | undefined = await service.getSecret(groupId, name);
  if (!secret) return undefined;
  const pipeline = await service.getPipeline(groupId, pipelineId);
  const owner = pipeline && (await service.getMember(groupId, pipeline.owner));
  const ownerIsAdmin = owner !== undefined && owner.role !== "member";
  if (!pipeline || !mayReadSecret(secret.allowedPipelines, { uuid: pipeline.uuid, ownerIsAdmin })) {
    throw new TaskFailure(
      `pipeline '${pipelineId}' may not read secret '${name}' of group '${groupId}': ` +
        `a group admin must add the pipeline to the secret's allowed_pipelines (PUT /groups/${groupId}/secrets/${name})`,
      { retryable: false },
    );
  }
  return open(secret.sealedValue, secretBinding(groupId, name));
}
