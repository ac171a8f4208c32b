import type { SlurmShell } from "../../runtimes/slurm/slurm-shell.js";

/** Most bytes read of a log file per poll: a job that writes faster is followed over several polls. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Follows one of a job's log files on its system as it grows, line by line: each poll
 * reads from where the last one stopped, and keeps a partial last line for
 * the next, so a line is never split. After a restart, the first `skipLines` lines (stored
 * already) are read again but not sent.
 */
export class JobLogFollower {
  #offset = 0;
  #skip: number;

  constructor(
    private readonly shell: SlurmShell,
    private readonly path: string,
    private readonly onLine: (line: string) => void,
    skipLines = 0,
  ) {
    this.#skip = skipLines;
  }

  /** Sends the new complete lines; with `final`, also a last line without a newline. */
  async poll(final = false): Promise<void> {
    for (;;) {
      const bytes = await this.shell.readFile(this.path, this.#offset, READ_CHUNK_BYTES);
      if (bytes.length === 0) return;
      const end = bytes.lastIndexOf(0x0a);
      const all = bytes.length < READ_CHUNK_BYTES; // read to the end of the file
      // Without a newline in a full chunk, a line longer than a chunk is sent in pieces.
      const take = final && all ? bytes.length : end >= 0 ? end + 1 : all ? 0 : bytes.length;
      if (take === 0) return;
      this.#offset += take;
      const text = bytes.subarray(0, take).toString("utf8");
      const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
      for (const line of lines) {
        if (this.#skip > 0) this.#skip--;
        else this.onLine(line);
      }
      if (all) return;
    }
  }
}
