import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { MaskingStream } from "../secrets/masking-stream.js";
import { SecretMasker, StreamMasker } from "../secrets/secret-masker.js";
import type { ExecutionRecord, LogStream } from "../store/store.js";
import { listResultFiles } from "../workspace/result-files.js";

/** A line held back (it may end with the start of a secret) is shown after this long without a next line. */
const IDLE_FLUSH_MS = 300;

type Emit = (stream: LogStream, line: string) => void;

/**
 * Masks the secrets that reached one attempt in everything it logs, per stream, so a
 * secret printed across two lines is caught too (secrets/secret-masker.ts). Only built
 * for attempts that received secrets: the others log with no masking cost.
 */
export class AttemptLogMasking {
  private masker: SecretMasker;
  private readonly secrets: string[];
  private readonly streams = new Map<LogStream, { masker: StreamMasker; timer?: NodeJS.Timeout }>();

  constructor(
    secrets: readonly string[],
    private readonly emit: Emit,
  ) {
    this.secrets = [...secrets];
    this.masker = new SecretMasker(this.secrets);
  }

  /**
   * More secrets, learnt while the attempt runs (an identity a task opens). Lines held
   * so far are sent first, masked as before: they were logged before the task had the
   * new values, so they cannot hold them.
   */
  addSecrets(values: readonly string[]): void {
    const fresh = values.filter((v) => !this.secrets.includes(v));
    if (fresh.length === 0) return;
    this.flush();
    this.streams.clear();
    this.secrets.push(...fresh);
    this.masker = new SecretMasker(this.secrets);
  }

  log(stream: LogStream, line: string): void {
    let entry = this.streams.get(stream);
    if (!entry) {
      entry = { masker: new StreamMasker(this.masker) };
      this.streams.set(stream, entry);
    }
    clearTimeout(entry.timer);
    for (const safe of entry.masker.push(line)) this.emit(stream, safe);
    if (entry.masker.holding) {
      const held = entry;
      held.timer = setTimeout(() => this.flushStream(stream, held.masker), IDLE_FLUSH_MS);
      held.timer.unref?.();
    }
  }

  /** Masks a value the attempt produced (an output, a message) before it is stored. */
  maskText(text: string): string {
    return this.masker.mask(text);
  }

  /** A masker over the same secrets for files (their bytes). */
  bytesMasker(): SecretMasker {
    return new SecretMasker(this.secrets, "bytes");
  }

  /** Sends every held line; call when the attempt ends. */
  flush(): void {
    for (const [stream, entry] of this.streams) {
      clearTimeout(entry.timer);
      this.flushStream(stream, entry.masker);
    }
  }

  private flushStream(stream: LogStream, masker: StreamMasker): void {
    for (const safe of masker.flush()) this.emit(stream, safe);
  }
}

/** Seals a value so that only this server (its data key) can read it again; api Sealer has this shape. */
export interface ValueSealer {
  seal(plaintext: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
}

/**
 * Outputs are shown masked, and passed to dependents as they are: a dependent that gets
 * `***` instead of a token it must use is broken, and the rule is "masked where
 * shown, never where used". When masking changed an output, `shown` is what the store
 * keeps as the outputs (the API, zips and archives read it), and `sealed` holds the values
 * themselves, sealed with the data key, for dependents that start after a restart. Without
 * a sealer (a local `cairn run`) nothing is sealed: dependents after a restart get `shown`.
 */
export function outputsToKeep(
  masking: AttemptLogMasking | undefined,
  outputs: Record<string, string>,
  sealer: ValueSealer | undefined,
  executionUuid: string,
): { shown: Record<string, string>; sealed: string | null } {
  if (!masking) return { shown: outputs, sealed: null };
  let changed = false;
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(outputs)) {
    shown[name] = masking.maskText(value);
    if (shown[name] !== value) changed = true;
  }
  if (!changed) return { shown: outputs, sealed: null };
  return { shown, sealed: sealer ? sealer.seal(JSON.stringify(outputs), outputsBinding(executionUuid)) : null };
}

/** The outputs a succeeded attempt hands its dependents: the sealed values when masking changed what is shown. */
export function outputsForDependents(execution: ExecutionRecord, sealer: ValueSealer | undefined): Record<string, string> {
  if (!execution.sealedOutputs || !sealer) return execution.outputs;
  return JSON.parse(sealer.open(execution.sealedOutputs, outputsBinding(execution.uuid))) as Record<string, string>;
}

/** A reused execution's sealed outputs, sealed again for the execution that takes them over (the seal names its execution). */
export function resealOutputs(from: ExecutionRecord, toUuid: string, sealer: ValueSealer | undefined): string | null {
  if (!from.sealedOutputs || !sealer) return null;
  return sealer.seal(sealer.open(from.sealedOutputs, outputsBinding(from.uuid)), outputsBinding(toUuid));
}

/** Outputs sealed for an execution that did not write them itself (a fan-out's gathered arrays); null without a sealer. */
export function sealOutputs(outputs: Record<string, string>, executionUuid: string, sealer: ValueSealer | undefined): string | null {
  return sealer ? sealer.seal(JSON.stringify(outputs), outputsBinding(executionUuid)) : null;
}

function outputsBinding(executionUuid: string): string {
  return `outputs:${executionUuid}`;
}

/**
 * Masks, in place, the results an attempt that had secrets kept (what it wrote to
 * /outbox, now under DATA_DIR/results): results are shown (zips, archives), and a
 * secret must not stay in clear on disk either. Each file is rewritten through the
 * masker into a new file beside it, which replaces it only when something was masked.
 * Links are never followed (listResultFiles opens with O_NOFOLLOW). Returns how many
 * files changed.
 */
export async function maskResultFiles(resultsDir: string, masker: SecretMasker): Promise<number> {
  if (masker.isEmpty) return 0;
  let changed = 0;
  for (const file of await listResultFiles(resultsDir)) {
    const path = join(resultsDir, ...file.path.split("/"));
    const temporary = join(dirname(path), `.cairn-masking-${randomBytes(6).toString("hex")}`);
    const masking = new MaskingStream(masker);
    const target = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await pipeline(await file.open(), masking, target.createWriteStream());
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    if (masking.maskedCount > 0) {
      await rename(temporary, path);
      changed++;
    } else await rm(temporary, { force: true });
  }
  return changed;
}
