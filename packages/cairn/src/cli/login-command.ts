import { CairnClient } from "../client/cairn-client.js";
import { ApiError } from "../client/api-error.js";
import type { ClientConfig } from "../config.js";
import { CairnError } from "../errors.js";
import type { CommandIo } from "./command-io.js";
import { chooseServer } from "./server-connection.js";
import { SessionFile } from "./session-file.js";
import { promptHidden, promptLine, readFirstLine } from "./terminal-input.js";

/**
 * `cairn login`: asks the server for a token (Tapis' password grant) and keeps it in the
 * session file for later commands. The password comes from CAIRN_PASSWORD, else a prompt
 * that does not echo, else the first line of standard input when it is not a terminal.
 */
export async function loginCommand(config: ClientConfig, io: CommandIo): Promise<number> {
  const server = await chooseServer(config);
  const interactive = io.input.isTTY === true;
  let user = config.user;
  if (user === undefined) {
    if (!interactive) throw new CairnError("invalid_input", "give the user with --user or CAIRN_USER (standard input is not a terminal to ask at)");
    user = await promptLine(`login for ${server}: `, io.input, io.err);
  }
  const password = config.password ?? (interactive ? await promptHidden(`password for ${user}: `, io.input, io.err) : await readFirstLine(io.input));
  if (password === "") throw new CairnError("invalid_input", "no password given (CAIRN_PASSWORD, the prompt, or standard input)");

  const { token, expiresAt } = await new CairnClient({ baseUrl: server })
    .logIn(user, password)
    .catch((err: unknown) => {
      // Not an ApiError any more, so no "log in again" hint follows it: this was the log-in.
      throw err instanceof ApiError && err.status === 401 ? new CairnError("unauthenticated", `${server} refused the log-in: ${err.message}`) : err;
    });
  const file = new SessionFile(config.sessionFile);
  await file.save(server, { login: user, token, expires_at: expiresAt });
  io.out.write(
    io.json
      ? JSON.stringify({ server, login: user, expires_at: expiresAt, session_file: file.path }) + "\n"
      : `logged in to ${server} as ${user} until ${expiresAt} (token kept in ${file.path})\n`,
  );
  return 0;
}

/** `cairn logout`: revokes the stored token on the server and forgets it here. */
export async function logoutCommand(config: ClientConfig, io: CommandIo): Promise<number> {
  const server = await chooseServer(config);
  const file = new SessionFile(config.sessionFile);
  const session = (await file.read()).sessions[server];
  const token = config.token ?? session?.token;
  if (token === undefined) {
    io.out.write(io.json ? JSON.stringify({ server, logged_out: false }) + "\n" : `not logged in to ${server}\n`);
    return 0;
  }
  try {
    await new CairnClient({ baseUrl: server, token }).logOut();
  } catch (err) {
    // A token the server refuses already (expired, revoked) is as good as logged out.
    if (err instanceof ApiError && err.status === 401) {
      // nothing to revoke
    } else if (err instanceof CairnError && err.code === "runtime_unavailable" && session !== undefined) {
      io.err.write(`warning: ${err.message}; the token stays valid until ${session.expires_at}, but is forgotten here\n`);
    } else {
      throw err;
    }
  }
  if (session !== undefined) await file.remove(server);
  io.out.write(io.json ? JSON.stringify({ server, logged_out: true }) + "\n" : `logged out of ${server}\n`);
  return 0;
}
