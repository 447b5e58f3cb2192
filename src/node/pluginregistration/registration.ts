// Both ends of the plugin registration API: the agent's client (GetInfo, NotifyRegistrationStatus on a socket it
// found) and a small server a plugin uses to announce itself (what node-driver-registrar does for a CSI driver).
import {
  credentials,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type Client,
  type ServiceClientConstructor,
  type ServiceError,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export interface PluginInfo {
  type: string;
  name: string;
  endpoint: string;
  supported_versions: string[];
}

export interface RegistrationStatus {
  plugin_registered: boolean;
  error: string;
}

/** pluginregistration's plugin type for CSI drivers. */
export const CSIPluginType = "CSIPlugin";

// The proto stays in src/ (tsc does not copy it); this path resolves from both src/node and dist/node.
const protoPath = fileURLToPath(new URL("../../../src/node/pluginregistration/api.proto", import.meta.url));

let service: { client: ServiceClientConstructor; definition: ServiceDefinition } | undefined;
function registrationService() {
  if (!service) {
    const loaded = loadPackageDefinition(loadSync(protoPath, { keepCase: true, defaults: true })) as unknown as {
      pluginregistration: { Registration: ServiceClientConstructor };
    };
    const ctor = loaded.pluginregistration.Registration;
    service = { client: ctor, definition: ctor.service };
  }
  return service;
}

type Unary = (
  request: unknown,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response: unknown) => void,
) => void;

function call<T>(client: Client, method: string, request: unknown, timeoutMs: number): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  return new Promise((resolve, reject) =>
    fn.call(client, request, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) =>
      err ? reject(err) : resolve(response as T),
    ),
  );
}

/** The agent's side: one registration socket found in plugins_registry/. */
export class RegistrationClient {
  private readonly client: Client;
  constructor(socketPath: string) {
    this.client = new (registrationService().client)(`unix://${socketPath}`, credentials.createInsecure());
  }
  getInfo(timeoutMs = 10_000): Promise<PluginInfo> {
    return call<PluginInfo>(this.client, "GetInfo", {}, timeoutMs);
  }
  notifyRegistrationStatus(status: RegistrationStatus, timeoutMs = 10_000): Promise<void> {
    return call<void>(this.client, "NotifyRegistrationStatus", status, timeoutMs).then(() => undefined);
  }
  close(): void {
    this.client.close();
  }
}

/**
 * A plugin's side: serves GetInfo at `socketPath` (put it in the agent's plugins_registry/) and reports what the
 * agent answered through `onStatus`. Stopping removes the socket, which tells the agent the plugin is gone.
 */
export async function serveRegistration(
  socketPath: string,
  info: PluginInfo,
  onStatus: (status: RegistrationStatus) => void = () => undefined,
): Promise<{ stop(): Promise<void> }> {
  await rm(socketPath, { force: true });
  const server = new Server();
  const implementation: UntypedServiceImplementation = {
    GetInfo: (_call: unknown, callback: (err: null, response: PluginInfo) => void) => callback(null, info),
    NotifyRegistrationStatus: (
      unary: { request: RegistrationStatus },
      callback: (err: null, response: Record<string, never>) => void,
    ) => {
      onStatus(unary.request);
      callback(null, {});
    },
  };
  server.addService(registrationService().definition, implementation);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return {
    async stop() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await rm(socketPath, { force: true });
    },
  };
}
