// How the client reaches an apiserver: over HTTP with a kubeconfig, or in-process (cli hands the client the
// apiserver's handler, so `stowage up` needs no sockets between its components).
import type { ApiHandler } from "../api/http.js";

export type Transport = ApiHandler;
