import { createServer } from "node:net";
import type { Server } from "node:net";

/**
 * `count` distinct loopback ports that were free a moment ago (held open together so none repeats).
 * The small race until the emulator binds them is accepted for tests.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  if (ports.some((p) => p === 0)) throw new Error("could not find free loopback ports");
  return ports;
}
