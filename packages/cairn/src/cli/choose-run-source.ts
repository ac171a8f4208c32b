import type { Run } from "../client/cairn-client.js";
import type { CairnConfig, ClientConfig } from "../config.js";
import { CairnError, isCairnError } from "../errors.js";
import { parseRunIdText } from "../store/run-lookup.js";
import { LocalRuns } from "./local-runs.js";
import { serverRuns, type RunSource } from "./run-source.js";
import { chooseServer, connect } from "./server-connection.js";
import { SessionFile } from "./session-file.js";

export interface RunSourceOptions {
  /** `--local`: this machine's data dir, whatever server is configured. */
  local: boolean;
  /** The data dir's configuration, read only when it is needed. */
  localConfig: () => CairnConfig;
  client: ClientConfig;
}

/**
 * Where a run command looks, in this order:
 * 1. `--local`: the data dir;
 * 2. a server named on purpose (`--server`, CAIRN_SERVER or CAIRN_TOKEN): that server;
 * 3. for one run (`logs RUN`, ...): the data dir when the run is there, else the server;
 *    for a listing (`runs`): the server when one is logged in to, else the data dir.
 * So a local `cairn run`'s id works at once, and a logged-in user's commands are unchanged.
 */
export async function openRunSource(options: RunSourceOptions, runText?: string): Promise<{ source: RunSource; run?: Run }> {
  // A malformed id is bad input wherever it would be looked up.
  if (runText !== undefined) parseRunIdText(runText);
  const named = options.client.server !== undefined || options.client.token !== undefined;
  if (options.local || !named) {
    const local = await LocalRuns.open(options.localConfig());
    if (options.local) {
      if (local === undefined) throw new CairnError("not_found", `no runs in the data dir ${options.localConfig().dataDir}: nothing has run there`);
      return withRun(local, runText);
    }
    if (local !== undefined) {
      if (runText !== undefined) {
        try {
          return { source: local, run: await local.findRun(runText) };
        } catch (err) {
          await local.close();
          if (!(isCairnError(err) && err.code === "not_found")) throw err;
          return withRun(await server(options.client, `run '${runText}' is not in ${local.where}`), runText);
        }
      }
      const session = (await new SessionFile(options.client.sessionFile).read()).sessions[await chooseServer(options.client)];
      if (session === undefined) return { source: local };
      await local.close();
    }
  }
  return withRun(await server(options.client), runText);
}

async function withRun(source: RunSource, runText: string | undefined): Promise<{ source: RunSource; run?: Run }> {
  if (runText === undefined) return { source };
  try {
    return { source, run: await source.findRun(runText) };
  } catch (err) {
    await source.close();
    throw err;
  }
}

/** The server's runs; when it cannot be used, the message says where else the run was looked for. */
async function server(client: ClientConfig, notLocal?: string): Promise<RunSource> {
  try {
    const { client: api, server } = await connect(client);
    return serverRuns(api, server);
  } catch (err) {
    if (notLocal !== undefined && isCairnError(err) && err.code === "unauthenticated") {
      throw new CairnError("not_found", `${notLocal}, and ${err.message}`, { cause: err });
    }
    throw err;
  }
}
