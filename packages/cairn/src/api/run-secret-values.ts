import { secretBinding } from "../secrets/secret-access.js";
import type { ServiceStore } from "../store/service-store.js";
import type { RunSummary } from "../store/store.js";
import type { Sealer } from "./api-context.js";
import { identityBinding } from "./routes/identities.js";

/**
 * Every value a run's tasks could have received as a secret: its group's secrets and the
 * credentials of its starter's identities (user names apart, which messages name on
 * purpose, as the engine does). What serves or copies a run's files (results zips,
 * archives) masks these: the engine masks what it keeps, but results kept before it did,
 * or a secret a task got some other way, would otherwise go out in clear. Opening them
 * costs a decryption each, once per zip or archiving.
 */
export async function runSecretValues(service: ServiceStore, sealer: Sealer, run: Pick<RunSummary, "groupId" | "startedBy">): Promise<string[]> {
  const values: string[] = [];
  for (const secret of await service.listSecrets(run.groupId)) values.push(sealer.open(secret.sealedValue, secretBinding(run.groupId, secret.name)));
  if (run.startedBy) {
    for (const identity of await service.listIdentities(run.startedBy)) {
      const credentials = JSON.parse(sealer.open(identity.sealedCredentials, identityBinding(identity.uuid))) as Record<string, unknown>;
      for (const [key, value] of Object.entries(credentials)) if (key !== "username" && typeof value === "string" && value !== "") values.push(value);
    }
  }
  return values;
}
