import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CairnError, describeError } from "../errors.js";

/** A log-in to one server, as `cairn login` keeps it. */
export interface Session {
  login: string;
  token: string;
  /** ISO 8601; the server refuses the token after it. */
  expires_at: string;
}

export interface Sessions {
  /** The server of the last log-in: the default for later commands. */
  current?: string;
  /** By server URL. */
  sessions: Record<string, Session>;
}

/**
 * The tokens `cairn login` stored, one per server, in a JSON file only its owner can
 * read (mode 0600, in a folder of mode 0700): a token is as good as the password.
 */
export class SessionFile {
  constructor(readonly path: string) {}

  async read(): Promise<Sessions> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { sessions: {} };
      throw new CairnError("config_invalid", `cannot read the session file ${this.path}: ${describeError(err)}`, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as Sessions;
      if (typeof parsed !== "object" || parsed === null || typeof parsed.sessions !== "object" || parsed.sessions === null) throw new Error("no `sessions` object");
      return parsed;
    } catch (err) {
      throw new CairnError("config_invalid", `the session file ${this.path} is damaged (${describeError(err)}); delete it and log in again`, { cause: err });
    }
  }

  async save(server: string, session: Session): Promise<void> {
    const content = await this.read();
    await this.write({ current: server, sessions: { ...content.sessions, [server]: session } });
  }

  /** Forgets the server's session; false if there was none. */
  async remove(server: string): Promise<boolean> {
    const content = await this.read();
    if (!(server in content.sessions)) return false;
    const { [server]: _removed, ...sessions } = content.sessions;
    const current = content.current === server ? undefined : content.current;
    await this.write({ ...(current === undefined ? {} : { current }), sessions });
    return true;
  }

  /** Written to a private temporary file, then renamed: a reader never sees half a file, nor a moment of wider permissions. */
  private async write(content: Sessions): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(content, null, 2) + "\n", { mode: 0o600 });
      // writeFile's mode is subject to the umask; make it exact.
      await chmod(temporary, 0o600);
      await rename(temporary, this.path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw new CairnError("config_invalid", `cannot write the session file ${this.path}: ${describeError(err)}`, { cause: err });
    }
  }
}
