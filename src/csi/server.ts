// Serves CSI service implementations on a unix socket. Drivers write plain async functions
// (request in, response out, throw CsiError for a status); this file owns the gRPC plumbing: the socket file,
// turning thrown errors into statuses, UNIMPLEMENTED for what a driver leaves out, and a clean shutdown.
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedHandleCall,
} from "@grpc/grpc-js";
import type { MethodDefinition } from "@grpc/proto-loader";
import { lstat, mkdir, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { duringRequest } from "../support/guard.js";
import { socketPathOf } from "./endpoint.js";
import { Code, CsiError } from "./errors.js";
import type { ControllerDefinition } from "./generated/csi/v1/Controller.js";
import type { GroupControllerDefinition } from "./generated/csi/v1/GroupController.js";
import type { IdentityDefinition } from "./generated/csi/v1/Identity.js";
import type { NodeDefinition } from "./generated/csi/v1/Node.js";
import { csiPackage } from "./protocol.js";

/** What a handler gets besides the request: the caller's metadata and a signal that fires if the caller gives up. */
export interface CallContext {
  method: string;
  signal: AbortSignal;
}

/** One async function per RPC of a service definition: decoded request (defaults filled) → response. */
export type ServiceImpl<D> = {
  [K in keyof D as string extends K ? never : K]: D[K] extends MethodDefinition<
    infer _Req,
    infer Res,
    infer ReqOut,
    infer _ResOut
  >
    ? (request: ReqOut, context: CallContext) => Promise<Res>
    : never;
};

export type IdentityService = ServiceImpl<IdentityDefinition>;
export type ControllerService = ServiceImpl<ControllerDefinition>;
export type NodeService = ServiceImpl<NodeDefinition>;
export type GroupControllerService = ServiceImpl<GroupControllerDefinition>;

/** Identity is mandatory; every other service and method is optional and answers UNIMPLEMENTED when absent. */
export interface CsiServices {
  identity: IdentityService;
  controller?: Partial<ControllerService>;
  node?: Partial<NodeService>;
  groupController?: Partial<GroupControllerService>;
}

export interface CsiServerOptions {
  /** Called with every error that is not a CsiError (a driver bug or an I/O failure); it goes out as INTERNAL. */
  onInternalError?: (method: string, err: unknown) => void;
}

export interface CsiServer {
  endpoint: string;
  socketPath: string;
  /** Stops accepting calls, lets running ones finish (up to graceMs, then cancels them), removes the socket. */
  stop(graceMs?: number): Promise<void>;
}

type AsyncHandler = (request: unknown, context: CallContext) => Promise<unknown>;

function toHandlers(
  serviceName: string,
  definition: Record<string, MethodDefinition<object, object>>,
  impl: Partial<Record<string, AsyncHandler>>,
  options: CsiServerOptions,
): Record<string, UntypedHandleCall> {
  const handlers: Record<string, UntypedHandleCall> = {};
  for (const name of Object.keys(definition)) {
    const method = `${serviceName}.${name}`;
    const fn = impl[name];
    handlers[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      if (!fn) {
        callback({ code: Code.UNIMPLEMENTED, details: `${method} is not implemented by this driver` });
        return;
      }
      // An AbortController per call is measurable at thousands of calls per second; make one only for handlers
      // that look at the signal.
      let abort: AbortController | undefined;
      let cancelled = false;
      call.on("cancelled", () => {
        cancelled = true;
        abort?.abort();
      });
      const context: CallContext = {
        method,
        get signal() {
          if (!abort) {
            abort = new AbortController();
            if (cancelled) abort.abort();
          }
          return abort.signal;
        },
      };
      // A handler that throws before its first await is answered like one that rejects; the guard names the call.
      duringRequest(
        `CSI ${method}`,
        () => new Promise((resolve) => resolve(fn.call(impl, call.request, context))),
      ).then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (err instanceof CsiError) {
            callback({ code: err.code, details: err.message });
          } else {
            options.onInternalError?.(method, err);
            callback({ code: Code.INTERNAL, details: err instanceof Error ? err.message : String(err) });
          }
        },
      );
    };
  }
  return handlers;
}

/** Removes a socket file left by a driver that died; refuses to delete anything that is not a socket. */
async function removeStaleSocket(path: string): Promise<void> {
  const info = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (!info) return;
  if (!info.isSocket()) throw new Error(`CSI endpoint ${path} exists and is not a socket; refusing to replace it`);
  await unlink(path);
}

/** Serves `services` on `endpoint` (unix:///path/csi.sock) until stop(). */
export async function serveCsi(
  endpoint: string,
  services: CsiServices,
  options: CsiServerOptions = {},
): Promise<CsiServer> {
  const socketPath = socketPathOf(endpoint);
  await mkdir(dirname(socketPath), { recursive: true });
  await removeStaleSocket(socketPath);

  const csi = csiPackage();
  // Large ListVolumes pages and snapshot lists can exceed gRPC's 4 MiB default; CSI hosts allow more.
  const server = new Server({
    "grpc.max_receive_message_length": 64 << 20,
    // channelz keeps per-call statistics for a debugging service we do not serve; it costs on every call.
    "grpc.enable_channelz": 0,
  });
  const add = (name: string, definition: object, impl: object | undefined) => {
    if (!impl) return;
    const def = definition as Record<string, MethodDefinition<object, object>>;
    server.addService(def, toHandlers(name, def, impl as Partial<Record<string, AsyncHandler>>, options));
  };
  add("Identity", csi.Identity.service, services.identity);
  add("Controller", csi.Controller.service, services.controller);
  add("Node", csi.Node.service, services.node);
  add("GroupController", csi.GroupController.service, services.groupController);

  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    socketPath,
    stop(graceMs = 5000) {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await unlink(socketPath).catch(() => undefined);
      })();
      return stopped;
    },
  };
}
