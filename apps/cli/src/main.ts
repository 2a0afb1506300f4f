/** The `wal` command. */
import { parseArgs } from "node:util";
import { runDemo } from "./demo.js";
import { runInspect } from "./inspect.js";

const USAGE = `usage:
  wal demo [--dir PATH] [--batches N] [--rows N] [--producers N] [--no-fsync]
      Append batches durably into a filesystem store, close, replay, check every row.
  wal inspect PATH
      List the entries of a MemWAL shard directory (ours or Lance's) in position order.`;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "demo": {
      const { values } = parseArgs({
        args: rest,
        options: {
          dir: { type: "string" },
          batches: { type: "string" },
          rows: { type: "string" },
          producers: { type: "string" },
          "no-fsync": { type: "boolean" },
        },
        strict: true,
      });
      const result = await runDemo({
        dir: values.dir,
        batches: positiveInt(values.batches, "batches", 4000),
        rowsPerBatch: positiveInt(values.rows, "rows", 50),
        producers: positiveInt(values.producers, "producers", 8),
        fsync: !values["no-fsync"],
      });
      return result.ok ? 0 : 1;
    }
    case "inspect": {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError("wal inspect takes exactly one PATH");
      await runInspect(positionals[0]!);
      return 0;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || String((e as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_")) {
      console.error(`wal: ${(e as Error).message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`wal: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    process.exit(1);
  },
);
