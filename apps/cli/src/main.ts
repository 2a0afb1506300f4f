/** The `wal` command. */
import { parseArgs } from "node:util";
import { describeError } from "@wal/core";
import { runDemo } from "./demo.js";
import { runInspect } from "./inspect.js";
import { runVerify } from "./verify.js";
import { runDump } from "./dump.js";

const USAGE = `usage:
  wal demo [--dir PATH] [--batches N] [--rows N] [--producers N] [--no-fsync]
      Append batches durably into a filesystem store, close, replay, check every row.
  wal inspect PATH
      List the entries of a MemWAL shard directory (ours or Lance's) in position order.
  wal verify PATH
      Check what replay would see (without claiming the shard); exit 1 on a corrupt entry.
  wal dump PATH [--after N] [--limit N]
      Print the rows replay would yield, one JSON object per line.`;

/** `value` as a positive integer, or undefined when the option was not given (the command's default applies). */
function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
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
        batches: positiveInt(values.batches, "batches"),
        rowsPerBatch: positiveInt(values.rows, "rows"),
        producers: positiveInt(values.producers, "producers"),
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
    case "verify": {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError("wal verify takes exactly one PATH");
      const reports = await runVerify(positionals[0]!);
      return reports.every((r) => r.corrupt.length === 0) ? 0 : 1;
    }
    case "dump": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: { after: { type: "string" }, limit: { type: "string" } },
      });
      if (positionals.length !== 1) throw new UsageError("wal dump takes exactly one PATH");
      if (values.after !== undefined && !/^[0-9]+$/.test(values.after)) throw new UsageError(`--after must be a position (0 or more), got ${JSON.stringify(values.after)}`);
      await runDump(positionals[0]!, {
        after: values.after === undefined ? undefined : BigInt(values.after),
        limit: positiveInt(values.limit, "limit"),
      });
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
    console.error(`wal: ${describeError(e)}`);
    process.exit(1);
  },
);
