import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./0001-initial.js";
import { service } from "./0002-service.js";
import { runStarter } from "./0003-run-starter.js";
import { systemsArchives } from "./0004-systems-archives.js";
import { resourceUsage } from "./0005-resource-usage.js";
import { imageCatalog } from "./0006-image-catalog.js";
import { secretAccess } from "./0007-secret-access.js";
import { imageNamespaces } from "./0008-image-namespaces.js";
import { changeAuthors } from "./0009-change-authors.js";
import { uniqueLogins } from "./0010-unique-logins.js";
import { kabutoJobs } from "./0011-kabuto-jobs.js";
import { triggers } from "./0012-triggers.js";
import { retryFromFailure } from "./0013-retry-from-failure.js";
import { slurmApps } from "./0014-slurm-apps.js";
import { actors } from "./0015-actors.js";
import { workersAndClaims } from "./0016-workers-and-claims.js";
import { runQueues } from "./0017-run-queues.js";
import { taskCache } from "./0018-task-cache.js";
import type { MigrationContext } from "./migration-context.js";

/**
 * Every migration, in order. Listed here rather than found on disk so that the
 * compiled dist/ works without globbing; Kysely applies them sorted by name, so
 * names keep their zero-padded number.
 */
export function migrationProvider(context: MigrationContext): MigrationProvider {
  const migrations: Record<string, Migration> = {
    "0001-initial": initial(context),
    "0002-service": service(),
    "0003-run-starter": runStarter(),
    "0004-systems-archives": systemsArchives(),
    "0005-resource-usage": resourceUsage(),
    "0006-image-catalog": imageCatalog(),
    "0007-secret-access": secretAccess(),
    "0008-image-namespaces": imageNamespaces(),
    "0009-change-authors": changeAuthors(),
    "0010-unique-logins": uniqueLogins(),
    "0011-kabuto-jobs": kabutoJobs(),
    "0012-triggers": triggers(context),
    "0013-retry-from-failure": retryFromFailure(),
    "0014-slurm-apps": slurmApps(),
    "0015-actors": actors(),
    "0016-workers-and-claims": workersAndClaims(),
    "0017-run-queues": runQueues(),
    "0018-task-cache": taskCache(),
  };
  return { getMigrations: async () => migrations };
}
