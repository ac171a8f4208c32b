import { createServer, type Server } from "node:net";

/** Loopback ports for the test servers, so that test files running side by side never collide. */

/** Distinct free ports: every listener is held open until all are known. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => (server.once("error", reject), server.listen(0, "127.0.0.1", () => resolve())));
      servers.push(server);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
