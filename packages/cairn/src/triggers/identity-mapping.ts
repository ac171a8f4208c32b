import type { IdentityRecord, MemberRecord } from "../store/service-store.js";

/**
 * Who a push is from, in Cairn's terms (tapis-workflows.txt, "Identities": which Tapis
 * user corresponds to the GitHub user jsmith). The pusher's name on the git host must be
 * the `username` of an identity of that host's type (`github`, `gitlab`, `gitea`) that a
 * member of the pipeline's group owns. Names compare without case, as the hosts treat
 * them. Two members claiming the same name map to no one: which of them pushed is not
 * known, so neither is acted for.
 */

export type IdentityType = "github" | "gitlab" | "gitea";

export interface MappingSources {
  listMembers(groupId: string): Promise<MemberRecord[]>;
  listIdentities(owner: string): Promise<IdentityRecord[]>;
  /** The identity's credentials, unsealed. */
  credentialsOf(identity: IdentityRecord): Record<string, string>;
}

export type Mapping = { login: string } | { refused: string };

export async function memberForPusher(sources: MappingSources, groupId: string, type: IdentityType, pusher: string): Promise<Mapping> {
  const wanted = pusher.toLowerCase();
  const claimants: string[] = [];
  for (const member of await sources.listMembers(groupId)) {
    const identities = (await sources.listIdentities(member.username)).filter((i) => i.type === type);
    if (identities.some((i) => sources.credentialsOf(i).username?.toLowerCase() === wanted)) claimants.push(member.username);
  }
  if (claimants.length === 1) return { login: claimants[0]! };
  if (claimants.length === 0) {
    return { refused: `no member of group '${groupId}' has a ${type} identity with username '${pusher}': add one (POST /v3/workflows/identities) to let their pushes start runs` };
  }
  return { refused: `${claimants.length} members of group '${groupId}' (${claimants.join(", ")}) have a ${type} identity with username '${pusher}': which of them pushed is unknown, so no run starts` };
}
