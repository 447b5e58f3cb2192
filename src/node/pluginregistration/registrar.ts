// What kubernetes-csi/node-driver-registrar does, in-process for stowage's own drivers (`stowage csi … --register`):
// ask the driver its name (GetPluginInfo), then serve the plugin registration API at
// <plugins_registry>/<driver name>-reg.sock, announcing the driver's CSI socket and CSI 1.0.0. The node agent's
// watcher finds the socket, registers the driver and answers with NotifyRegistrationStatus.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CsiClient } from "../../csi/client.js";
import { socketPathOf } from "../../csi/endpoint.js";
import { CSIPluginType, serveRegistration, type RegistrationStatus } from "./registration.js";

export interface RegistrarOptions {
  /** unix:///…: where the driver serves CSI (the registrar asks it its name there). */
  csiEndpoint: string;
  /** The directory the agent watches: its --root-dir's plugins_registry/ (node-driver-registrar's --plugin-registration-path). */
  pluginRegistrationPath: string;
  /** The driver's socket as the agent reaches it (node-driver-registrar's --kubelet-registration-path); default: csiEndpoint's path. */
  kubeletRegistrationPath?: string;
  /** Called with each answer of the agent. */
  onStatus?: (status: RegistrationStatus) => void;
}

export interface Registrar {
  driverName: string;
  /** The registration socket, <plugin registration path>/<driver>-reg.sock. */
  socketPath: string;
  /** Removes the registration socket: the agent deregisters the driver. */
  stop(): Promise<void>;
}

/** node-driver-registrar's supported versions: the kubelet accepts any 1.x. */
export const registrarSupportedVersions = ["1.0.0"];

export async function startRegistrar(options: RegistrarOptions): Promise<Registrar> {
  const csi = await CsiClient.connect(options.csiEndpoint, { readyTimeoutMs: 30_000 });
  let driverName: string;
  try {
    driverName = (await csi.pluginInfo()).name;
  } finally {
    csi.close();
  }
  await mkdir(options.pluginRegistrationPath, { recursive: true });
  const socketPath = join(options.pluginRegistrationPath, `${driverName}-reg.sock`);
  const registration = await serveRegistration(
    socketPath,
    {
      type: CSIPluginType,
      name: driverName,
      endpoint: options.kubeletRegistrationPath ?? socketPathOf(options.csiEndpoint),
      supported_versions: registrarSupportedVersions,
    },
    options.onStatus,
  );
  return { driverName, socketPath, stop: () => registration.stop() };
}
