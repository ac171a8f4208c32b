import { CairnClient } from "../client/cairn-client.js";
import { DEFAULT_SERVER, type ClientConfig } from "../config.js";
import { CairnError } from "../errors.js";
import { SessionFile } from "./session-file.js";

export interface ServerConnection {
  client: CairnClient;
  server: string;
  /** The client's token, for the few calls made without it (uploads: event-upload.ts). */
  token: string;
}

/** The server a command talks to: `--server` or CAIRN_SERVER, else the one last logged in to, else the default. */
export async function chooseServer(config: ClientConfig): Promise<string> {
  if (config.server !== undefined) return config.server;
  return (await new SessionFile(config.sessionFile).read()).current ?? DEFAULT_SERVER;
}

/** A client for the chosen server holding CAIRN_TOKEN or the stored session's token; tells how to log in when there is none. */
export async function connect(config: ClientConfig, now = Date.now()): Promise<ServerConnection> {
  const server = await chooseServer(config);
  if (config.token !== undefined) return { client: new CairnClient({ baseUrl: server, token: config.token }), server, token: config.token };
  const session = (await new SessionFile(config.sessionFile).read()).sessions[server];
  const login = `cairn login${server === DEFAULT_SERVER ? "" : ` --server ${server}`}`;
  if (session === undefined) throw new CairnError("unauthenticated", `not logged in to ${server}: run \`${login}\` (or set CAIRN_TOKEN)`);
  if (Date.parse(session.expires_at) <= now) {
    throw new CairnError("unauthenticated", `the session of '${session.login}' on ${server} expired at ${session.expires_at}: run \`${login}\` again`);
  }
  return { client: new CairnClient({ baseUrl: server, token: session.token }), server, token: session.token };
}
