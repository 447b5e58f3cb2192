// What `stowage up` runs after the apiserver: each UpComponent is started with the apiserver's in-process handler
// (for inProcessTransport) and stopped in reverse order. Apart from up.ts so that components need not import it.
import type { UserInfo } from "../api/user.js";
import type { Transport } from "../client/index.js";
import type { DataDirPki } from "./pki.js";

export interface UpContext {
  dataDir: string;
  /**
   * An in-process transport (no sockets) whose requests the apiserver authenticates as `user`: each component
   * passes its own identity and may then do only what RBAC or the Node authorizer grants it.
   */
  transport(user: UserInfo): Transport;
  /**
   * The data dir's CA and certificates; `up` always gives it (even with --insecure-http the kubelet ports stay
   * locked). Contexts a test makes for one component may leave it out.
   */
  pki?: DataDirPki;
  /** https://host:port of the apiserver, and the admin kubeconfig pointing at it (for components that speak HTTP). */
  url: string;
  kubeconfig: string;
  /** --hostpath-reclaim-root: where Delete/Recycle may remove hostPath volumes (default /tmp, as upstream). */
  hostPathReclaimRoots?: string[];
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
