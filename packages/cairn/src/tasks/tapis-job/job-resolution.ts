import type { Issue } from "../../errors.js";
import { ValidationError } from "../../errors.js";
import type { TapisJobDef } from "../../spec/tapis-job-def.js";
import type { AppRecord, ServiceStore, SlurmSystemSettings, SystemRecord } from "../../store/service-store.js";

/** What a tapis_job runs: its app's defaults with the task's tapis_job_def over them. */
export interface MergedJob {
  app: { id: string; version: string };
  system: { id: string; settings: SlurmSystemSettings };
  containerImage: string | null;
  /** The app's command followed by the app's and then the job's appArgs, one argv word each. */
  argv: string[];
  nodeCount: number | null;
  coresPerNode: number | null;
  memoryMb: number | null;
  maxMinutes: number | null;
  /** The app's variables, those of the job replacing ones of the same key. */
  env: { key: string; value: string }[];
  /** The system's options, then the app's, then the job's: sbatch takes the last of a repeated option. */
  schedulerOptions: string[];
  fileInputs: { sourceUrl: string; targetPath: string }[];
}

export type AppLookup = Pick<ServiceStore, "getApp" | "getSystem">;

/**
 * Finds the app and the system a tapis_job names in its group and merges them; every
 * problem (an unknown app, version or system, a system of another type, a container
 * image with no container runtime) is a ValidationError whose path starts at `at`.
 */
export async function resolveTapisJob(lookup: AppLookup, groupId: string, def: TapisJobDef, at: string): Promise<{ job: MergedJob; app: AppRecord }> {
  const app = await lookup.getApp(groupId, def.appId, def.appVersion);
  if (!app) {
    const message = def.appVersion === undefined ? `group '${groupId}' has no app '${def.appId}'` : `group '${groupId}' has no app '${def.appId}' version '${def.appVersion}'`;
    throw new ValidationError(`tapis_job`, [{ path: `${at}.${def.appVersion === undefined ? "appId" : "appVersion"}`, message }]);
  }
  const a = app.definition.jobAttributes;
  const systemId = def.execSystemId ?? a.execSystemId;
  if (systemId === null) {
    throw new ValidationError("tapis_job", [{ path: `${at}.execSystemId`, message: `required: app '${app.id}' version '${app.version}' names no exec_system_id` }]);
  }
  const system: SystemRecord | undefined = await lookup.getSystem(groupId, systemId);
  const issues: Issue[] = [];
  const systemPath = `${at}.${def.execSystemId === undefined ? "appId" : "execSystemId"}`;
  if (!system) issues.push({ path: systemPath, message: `group '${groupId}' has no system '${systemId}'` });
  else if (system.settings.type !== "slurm") issues.push({ path: systemPath, message: `system '${systemId}' is of type '${system.settings.type}'; a tapis_job runs on a slurm system` });
  else if (app.definition.containerImage !== null && system.settings.containerRuntime === "none") {
    issues.push({ path: `${at}.appId`, message: `app '${app.id}' runs in image '${app.definition.containerImage}', but system '${systemId}' has container_runtime 'none'` });
  }
  if (issues.length > 0 || !system || system.settings.type !== "slurm") throw new ValidationError("tapis_job", issues);

  const params = def.parameterSet ?? {};
  const env = new Map(a.envVariables.map((v) => [v.key, v.value]));
  for (const v of params.envVariables ?? []) env.set(v.key, v.value);
  const included = (args: { arg: string; include?: boolean }[] | undefined) => (args ?? []).filter((x) => x.include !== false).map((x) => x.arg);
  return {
    app,
    job: {
      app: { id: app.id, version: app.version },
      system: { id: system.id, settings: system.settings },
      containerImage: app.definition.containerImage,
      argv: [...app.definition.command, ...a.appArgs, ...included(params.appArgs)],
      nodeCount: def.nodeCount ?? a.nodeCount,
      coresPerNode: def.coresPerNode ?? a.coresPerNode,
      memoryMb: def.memoryMB ?? a.memoryMb,
      maxMinutes: def.maxMinutes ?? a.maxMinutes,
      env: [...env].map(([key, value]) => ({ key, value })),
      schedulerOptions: [...system.settings.schedulerOptions, ...a.schedulerOptions, ...included(params.schedulerOptions)],
      fileInputs: [...a.fileInputs, ...(def.fileInputs ?? []).map(({ sourceUrl, targetPath }) => ({ sourceUrl, targetPath }))],
    },
  };
}
