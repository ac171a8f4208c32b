import { z } from "zod";

/**
 * `tapis_job_def`: the Tapis Jobs submit request as Tapis users write it (camelCase). Only
 * the fields Cairn acts on are accepted; any other is refused by name, so that a field
 * that would be silently ignored (a typo, a Tapis feature Cairn lacks) is told at once.
 * Values here override the app's defaults (tasks/tapis-job/job-resolution.ts).
 */

// As schema.ts's ID_PATTERN (which imports this file, so it is not imported back).
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ID_RULE = "must be 1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

const text = z.string().max(4096);
const noControl = (what: string) => z.string().max(4096).regex(/^[^\n\r\0]*$/, `${what} must be one line`);

/** Environment variable names, as the shell takes them. */
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where a file input comes from: `input:NAME` (a task input, which `value_from` can fill
 * from another task's output), `attachment:PATH` (a file of the run's attachments) or
 * `system:PATH` (a path on the Slurm system, copied by the job itself with its own rights).
 */
export const SOURCE_URL_PATTERN = /^(input:[A-Za-z_][A-Za-z0-9_]*|attachment:[^\0\n\r]+|system:[^\0\n\r]+)$/;

/** A path inside the job folder: relative, no `..`. */
export const TARGET_PATH_PATTERN = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0\n\r]+$/;

/** `#SBATCH` options Cairn sets itself for every job: a system, app or job must not move its files or change its identity. */
const RESERVED_SBATCH = /^(-[oeDJ]|--(output|error|chdir|job-name|comment|uid|gid|wrap|parsable|export-file))(=|$|\s)/;

/** One sbatch option, as a system, an app or a job gives it: `--account=lab`, `-q debug`. */
export const schedulerOptionSchema = z
  .string()
  .min(2)
  .max(512)
  .regex(/^-[^\n\r\0]*$/, "must be one sbatch option on one line, starting with '-', e.g. --account=lab")
  .refine((o) => !RESERVED_SBATCH.test(o), "sets what Cairn sets itself for each job (output, error, chdir, job-name, comment, uid, gid)");

const argItem = z.strictObject({ arg: noControl("arg"), name: text.optional(), description: text.optional(), include: z.boolean().optional() });
const schedulerItem = z.strictObject({ arg: schedulerOptionSchema, name: text.optional(), description: text.optional(), include: z.boolean().optional() });
const envItem = z.strictObject({ key: z.string().regex(ENV_KEY_PATTERN, "must be an environment variable name: letters, digits, _"), value: z.string().max(65_536).regex(/^[^\0]*$/, "must not contain NUL"), description: text.optional() });
const fileInput = z.strictObject({
  sourceUrl: z.string().max(4096).regex(SOURCE_URL_PATTERN, "must be input:NAME, attachment:PATH or system:PATH"),
  targetPath: z.string().max(1024).regex(TARGET_PATH_PATTERN, "must be a path inside the job folder: relative, without '..'"),
  name: text.optional(),
  description: text.optional(),
});

export const parameterSetSchema = z.strictObject({
  appArgs: z.array(argItem).max(256).optional(),
  envVariables: z.array(envItem).max(256).optional(),
  schedulerOptions: z.array(schedulerItem).max(64).optional(),
});

const positive = (max: number) => z.int().min(1).max(max);

export const tapisJobDefSchema = z.strictObject({
  name: z.string().min(1).max(128).optional(),
  description: text.optional(),
  appId: z.string().min(1).max(128).regex(ID_PATTERN, ID_RULE),
  appVersion: z.string().min(1).max(64).regex(ID_PATTERN, ID_RULE).optional(),
  execSystemId: z.string().min(1).max(128).regex(ID_PATTERN, ID_RULE).optional(),
  nodeCount: positive(100_000).optional(),
  coresPerNode: positive(100_000).optional(),
  memoryMB: positive(1_000_000_000).optional(),
  maxMinutes: positive(525_600).optional(),
  parameterSet: parameterSetSchema.optional(),
  fileInputs: z.array(fileInput).max(256).optional(),
});

export type TapisJobDef = z.infer<typeof tapisJobDefSchema>;
