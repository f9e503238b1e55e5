/** Structured logs: pino JSON lines for machines, pino-pretty for humans. Bigints are logged as decimal strings. */
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where lines go (stdout by default); tests pass a stream to read them back. */
  destination?: DestinationStream;
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
  const destination = options.destination ?? (options.pretty ? pretty({ colorize: true }) : pino.destination(1));
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
