// Printed at the end of `npm run demo`: how to open the web UI on the demo's data directory.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

const dataDir = resolve(process.env.CAIRN_DATA_DIR ?? join(homedir(), ".cairn"));
const port = process.env.CAIRN_PORT ?? "8080";
process.stdout.write(`
Open the web UI on this data directory:
  npx cairn server --data-dir ${dataDir}
  then open http://127.0.0.1:${port}/ in a browser and sign in as admin
  (the server prints admin's password on its first start; set CAIRN_ADMIN_PASSWORD to choose it).
The demo ran on this machine (\`cairn run FILE\`), outside any server group; to watch the same
pipeline run in the browser, put it in a group and start it there:
  npx cairn login --user admin && npx cairn apply --group lab examples/hello-pipeline.yaml
  (create the group "lab" first on the Groups page), then "Start run" on its page.
`);
