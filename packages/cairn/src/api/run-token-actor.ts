import type { MemberRole, ServiceStore } from "../store/service-store.js";
import type { RunRecord } from "../store/store.js";

/**
 * Whom a run's token acts for: the less privileged, in the run's group, of the user who
 * started the run and the user who last changed the definition it runs. The code a task
 * runs is its author's, so an admin who starts (or re-runs) a pipeline a member wrote
 * must not lend that code an admin's rights: issue 21, finding 3, where a member's task
 * made the member an admin with the token of an admin's re-run.
 *
 * Roles are read when the token is issued; what the token may do is then decided on each
 * request from that user's membership at the time (api/group-access.ts), so a later
 * demotion or removal counts at once. A user who is no longer a member ranks below
 * every member, so their code gets no access to the group at all.
 */

export type RunActors = Pick<RunRecord, "groupId" | "startedBy" | "definedBy">;

const RANK: Record<MemberRole, number> = { member: 0, admin: 1, owner: 2 };
const NOT_A_MEMBER = -1;

export async function actingLogin(service: Pick<ServiceStore, "getGroupAccess">, run: RunActors & { startedBy: string }): Promise<string> {
  const author = run.definedBy;
  if (author === undefined || author === run.startedBy) return run.startedBy;
  const [starterRank, authorRank] = await Promise.all([rankIn(service, run.groupId, run.startedBy), rankIn(service, run.groupId, author)]);
  // On a tie, the starter: a member who runs another member's pipeline acts as themself, as before.
  return authorRank < starterRank ? author : run.startedBy;
}

async function rankIn(service: Pick<ServiceStore, "getGroupAccess">, groupId: string, login: string): Promise<number> {
  const access = await service.getGroupAccess(groupId, login);
  return access ? RANK[access.member.role] : NOT_A_MEMBER;
}
