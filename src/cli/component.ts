// What `stowage up` runs after the apiserver: each UpComponent is started with the apiserver's in-process handler
// (for inProcessTransport) and stopped in reverse order. Apart from up.ts so that components need not import it.
import type { ApiHandler } from "../api/http.js";

export interface UpContext {
  dataDir: string;
  /** The apiserver's handler: give it to inProcessTransport() for a client without sockets. */
  handler: ApiHandler;
  /** http://host:port of the apiserver, and a kubeconfig pointing at it (for components that speak HTTP). */
  url: string;
  kubeconfig: string;
  /** Aborted when stowage stops. */
  signal: AbortSignal;
  log(message: string, err?: unknown): void;
  /** A line for the startup output (what runs, what is off and why); `up` prints it on stdout. */
  say(line: string): void;
}

export interface UpComponent {
  name: string;
  start(ctx: UpContext): Promise<{ stop(): Promise<void> }>;
}
