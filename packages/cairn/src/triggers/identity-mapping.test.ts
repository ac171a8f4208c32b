import { describe, expect, it } from "vitest";
import type { IdentityRecord, MemberRecord } from "../store/service-store.js";
import { memberForPusher, type MappingSources } from "./identity-mapping.js";

function sources(members: string[], identities: { owner: string; type: string; username: string }[]): MappingSources {
  return {
    listMembers: async (groupId) => members.map((username): MemberRecord => ({ uuid: username, groupId, username, role: "member" })),
    listIdentities: async (owner) =>
      identities
        .filter((i) => i.owner === owner)
        .map((i, n): IdentityRecord => ({ uuid: `${owner}-${n}`, owner, type: i.type, name: "x", description: null, host: null, sealedCredentials: JSON.stringify({ username: i.username }), createdAt: 0 })),
    credentialsOf: (identity) => JSON.parse(identity.sealedCredentials) as Record<string, string>,
  };
}

describe("memberForPusher", () => {
  it("maps the pusher to the one member with an identity of that type and username, whatever its case", async () => {
    const s = sources(["ada", "bob"], [{ owner: "ada", type: "github", username: "Ada-GH" }, { owner: "bob", type: "gitlab", username: "ada-gh" }]);
    expect(await memberForPusher(s, "lab", "github", "ada-gh")).toEqual({ login: "ada" });
    expect(await memberForPusher(s, "lab", "gitlab", "ADA-GH")).toEqual({ login: "bob" });
  });

  it("refuses a pusher no member claims, one claimed through another type, or a non-member's identity", async () => {
    const s = sources(["ada"], [{ owner: "ada", type: "gitea", username: "ada" }, { owner: "eve", type: "github", username: "eve" }]);
    expect(await memberForPusher(s, "lab", "github", "ada")).toMatchObject({ refused: expect.stringContaining("no member of group 'lab' has a github identity with username 'ada'") });
    expect(await memberForPusher(s, "lab", "github", "eve")).toMatchObject({ refused: expect.any(String) });
  });

  it("refuses a username two members claim", async () => {
    const s = sources(["ada", "bob"], [{ owner: "ada", type: "github", username: "shared" }, { owner: "bob", type: "github", username: "shared" }]);
    expect(await memberForPusher(s, "lab", "github", "shared")).toMatchObject({ refused: expect.stringContaining("ada, bob") });
  });
});
