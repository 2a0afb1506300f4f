import type { BackendDefinition } from "./types.js";

/** Every backend the app knows, in the order they run. `BACKENDS=fs,azure` narrows the set. */
export const ALL_BACKENDS = ["memory", "fs", "s3", "gcs", "azure"] as const;

export function selectedBackends(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.BACKENDS?.trim();
  if (!raw) return [...ALL_BACKENDS];
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ALL_BACKENDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(`BACKENDS names unknown backend(s) ${unknown.join(", ")}; known: ${ALL_BACKENDS.join(", ")}`);
  }
  return names;
}

/** Loaded lazily so that a backend's SDK is imported only when that backend is selected. */
export async function loadBackend(name: string): Promise<BackendDefinition> {
  const mod = (await import(/* @vite-ignore */ `./${name}.js`)) as { backend: BackendDefinition };
  return mod.backend;
}
