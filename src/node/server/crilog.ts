// The CRI container log format, as the kubelet reads it (pkg/kubelet/kuberuntime/logs): one record per line,
// `<RFC3339Nano> <stdout|stderr> <tags> <content>`, where the first tag is F (a full line, its newline kept) or
// P (a partial line: the runtime split a long line, so the newline the file needs is not part of the content).

export type LogStream = "stdout" | "stderr";

export interface LogRecord {
  /** The whole line; its first `stampLength` bytes are the timestamp as written (see timestampOf(), timeOf()). */
  line: Buffer;
  stampLength: number;
  stream: LogStream;
  partial: boolean;
  /** The content, with its newline for full lines and without for partial ones. */
  content: Buffer;
}

/** The record's time normalized to RFC3339NanoFixed (9 fractional digits), as `--timestamps` prints it. */
export function timestampOf(record: LogRecord): string {
  const stamp = record.line.toString("latin1", 0, record.stampLength);
  return fixedNanoTimestamp(stamp) ?? stamp;
}

/** Milliseconds since the epoch, for sinceTime/sinceSeconds. */
export const timeOf = (record: LogRecord): number => Date.parse(record.line.toString("latin1", 0, record.stampLength));

export class CriLogParseError extends Error {}

const space = 0x20;
const newline = 0x0a;

/**
 * RFC3339Nano (Go trims trailing zeros; JS writes 3 digits) → RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00"),
 * the fixed width the kubelet prints timestamps in. Undefined for anything that is not an RFC 3339 time.
 */
export function fixedNanoTimestamp(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}${m[3]}`;
}

const isDigit = (byte: number) => byte >= 0x30 && byte <= 0x39;
/** "dddd-dd-ddTdd:dd:dd" at the start: the part of RFC 3339 every record has, checked without making strings. */
function looksLikeTimestamp(line: Buffer, length: number): boolean {
  if (length < 20) return false;
  for (let i = 0; i < 19; i++) {
    const byte = line[i];
    const want = i === 4 || i === 7 ? 0x2d : i === 10 ? 0x54 : i === 13 || i === 16 ? 0x3a : -1;
    if (want === -1 ? !isDigit(byte) : byte !== want) return false;
  }
  return true;
}

const stdoutBytes = Buffer.from("stdout");
const stderrBytes = Buffer.from("stderr");

/**
 * One line of the file (with or without its trailing newline) → a record, as parseCRILog. Read on every line of
 * every log request, so it works on bytes; the time is decoded only when asked for (timestampOf, timeOf).
 */
export function parseCriLine(line: Buffer): LogRecord {
  const first = line.indexOf(space);
  if (first < 0) throw new CriLogParseError("timestamp is not found");
  if (!looksLikeTimestamp(line, first))
    throw new CriLogParseError(`unexpected timestamp ${line.toString("latin1", 0, first)}`);
  const second = line.indexOf(space, first + 1);
  if (second < 0) throw new CriLogParseError("stream type is not found");
  // Compared in place: no slice per line.
  const stream: LogStream | undefined =
    second - first - 1 !== 6
      ? undefined
      : line.compare(stdoutBytes, 0, 6, first + 1, second) === 0
        ? "stdout"
        : line.compare(stderrBytes, 0, 6, first + 1, second) === 0
          ? "stderr"
          : undefined;
  if (!stream) throw new CriLogParseError(`unexpected stream type "${line.toString("latin1", first + 1, second)}"`);
  const third = line.indexOf(space, second + 1);
  if (third < 0) throw new CriLogParseError("log tag is not found");
  // The first of the ":"-separated tags: P (partial) or F (full).
  const partial = line[second + 1] === 0x50 && (third === second + 2 || line[second + 2] === 0x3a);
  let content = line.subarray(third + 1);
  // A partial record's newline belongs to the file, not to the container's output.
  if (partial && content.length > 0 && content[content.length - 1] === newline)
    content = content.subarray(0, content.length - 1);
  return { line, stampLength: first, stream, partial, content };
}

/** Formats one record in the CRI format (what a runtime writes; used by tests and the stand-in runtime). */
export function formatCriLine(time: Date, stream: LogStream, text: string, partial = false): string {
  return `${time.toISOString()} ${stream} ${partial ? "P" : "F"} ${text}${text.endsWith("\n") ? "" : "\n"}`;
}

/** The byte offset where the last `lines` lines of `data` start (tail.FindTailLineStartIndex); 0 when fewer. */
export function tailStart(data: Buffer, lines: number): number {
  if (lines <= 0) return data.length;
  let end = data.length;
  // A trailing newline ends the last line; it does not start an empty one.
  if (end > 0 && data[end - 1] === newline) end--;
  let count = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (data[i] === newline && ++count === lines) return i + 1;
  }
  return 0;
}
