import { startTestServer } from "../support/api-server.js";
import { describeApiSuite } from "./api.suite.js";

describeApiSuite("SQLite", () => startTestServer());
