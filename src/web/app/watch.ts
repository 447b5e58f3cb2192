// list, then watch from the list's resourceVersion: the dashboard never polls. A watch that ends (timeout, 410 Gone
// after compaction, a dropped connection) starts over with a fresh list, as client-go's reflector does.
import { call } from "./session.js";

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

interface Listed<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
  rows?: T[];
}

/** Splits a streamed body into lines (one JSON watch event each). */
async function* lines(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
  }
}

export interface ListWatchHandlers<L, E> {
  /** The whole list (first, and after every relist). */
  listed(list: L): void;
  event(event: WatchEvent<E>): void;
  failed(err: unknown): void;
}

/**
 * Lists `path` and watches it until `signal` aborts; `accept` chooses objects or a Table (a Table watch's events carry
 * a Table of one row each).
 */
export async function listAndWatch<L extends Listed<unknown>, E>(
  path: string,
  accept: string,
  handlers: ListWatchHandlers<L, E>,
  signal: AbortSignal,
): Promise<void> {
  const separator = path.includes("?") ? "&" : "?";
  while (!signal.aborted) {
    try {
      const list = (await (await call(path, { accept, signal })).json()) as L;
      handlers.listed(list);
      let resourceVersion: string | undefined = list.metadata?.resourceVersion ?? "";
      // a watch the server ended (its timeout) resumes where it was; one that failed (410 Gone) lists again
      while (resourceVersion !== undefined && !signal.aborted) {
        resourceVersion = await watchFrom(`${path}${separator}`, resourceVersion, accept, handlers, signal);
      }
    } catch (err) {
      if (signal.aborted) return;
      handlers.failed(err);
      // a refused or broken request: wait for a moment before listing again, so a dead server is not hammered
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/** One watch; the resourceVersion to resume from when it ended cleanly, undefined when it must list again. */
async function watchFrom<E>(
  prefix: string,
  from: string,
  accept: string,
  handlers: { event(event: WatchEvent<E>): void },
  signal: AbortSignal,
): Promise<string | undefined> {
  const query = `watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(from)}`;
  const watch = await call(`${prefix}${query}`, { accept, signal });
  if (!watch.body) return undefined;
  let resourceVersion = from;
  for await (const line of lines(watch.body)) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as WatchEvent<E & { metadata?: { resourceVersion?: string } }>;
    if (event.type === "ERROR") return undefined;
    resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
    if (event.type !== "BOOKMARK") handlers.event(event);
  }
  return resourceVersion;
}
