import { SecretMasker, StreamMasker } from "../secrets/secret-masker.js";
import type { LogStream } from "../store/store.js";

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
