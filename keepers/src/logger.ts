/** Structured logs: pino JSON lines for machines, pino-pretty for humans. Bigints are logged as decimal strings. */
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where lines go (stdout by default); tests pass a stream to read them back. */
  destination?: DestinationStream;
  /**
   * ANSI colours in pretty output. Default: only when stdout is a terminal and NO_COLOR is unset, so that
   * `--pretty > keeper.log` writes plain text.
   */
  colorize?: boolean;
}

/** Whether pretty logs are coloured by default: stdout is a terminal and NO_COLOR is not set. */
export function colorsByDefault(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

function bigintsToStrings(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(bigintsToStrings);
  if (value !== null && typeof value === "object" && !(value instanceof Error)) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, bigintsToStrings(entry)]));
  }
  return value;
}

export function createLogger(options: LoggerOptions): Logger {
  const colorize = options.colorize ?? colorsByDefault();
  const destination = options.pretty
    ? pretty({ colorize, ...(options.destination === undefined ? {} : { destination: options.destination }) })
    : (options.destination ?? pino.destination(1));
  return pino(
    {
      level: options.level,
      base: { service: "mutual-pools-keeper" },
      formatters: {
        log: (object) => bigintsToStrings(object) as Record<string, unknown>,
      },
    },
    destination,
  );
}
