import type { Kysely } from "kysely";
import type { AccessQueries } from "./access-queries.js";
import { kyselyActorStore } from "./kysely-actor-store.js";
import { kyselyAppStore } from "./kysely-app-store.js";
import { kyselyArchiveStore } from "./kysely-archive-store.js";
import { kyselyGroupStore } from "./kysely-group-store.js";
import { kyselyIdentityStore } from "./kysely-identity-store.js";
import { kyselyKabutoJobStore } from "./kysely-kabuto-job-store.js";
import { kyselyPipelineStore } from "./kysely-pipeline-store.js";
import { kyselySecretStore } from "./kysely-secret-store.js";
import { kyselySystemStore } from "./kysely-system-store.js";
import { kyselyTokenStore } from "./kysely-token-store.js";
import { kyselyUserStore } from "./kysely-user-store.js";
import type { Database } from "./schema.js";
import type { ServiceStore } from "./service-store.js";

/**
 * The ServiceStore over the same Kysely instance as the run store: one store per aggregate
 * (kysely-*-store.ts, the group-scoped ones over GroupScopedRows), each an object of its
 * operations, put together behind the one interface callers use. No operation name is in
 * two aggregates, so no spread below hides another.
 * `access`: the prepared queries authentication and group checks run on every request.
 */
export function kyselyServiceStore(db: Kysely<Database>, access: AccessQueries): ServiceStore {
  return {
    ...kyselyUserStore(db),
    ...kyselyTokenStore(db, access),
    ...kyselyGroupStore(db, access),
    ...kyselyPipelineStore(db),
    ...kyselyKabutoJobStore(db),
    ...kyselyActorStore(db),
    ...kyselyIdentityStore(db),
    ...kyselySecretStore(db),
    ...kyselySystemStore(db),
    ...kyselyAppStore(db),
    ...kyselyArchiveStore(db),
  };
}
