// The plugin watcher (pkg/kubelet/pluginmanager): plugins announce themselves by creating a registration socket in
// <root-dir>/plugins_registry/. For each new socket the agent calls GetInfo, checks the plugin is a CSI driver
// speaking CSI 1.x, registers the driver (NodeGetInfo → CSINode, Node labels) and tells the plugin the outcome
// with NotifyRegistrationStatus. A socket that disappears deregisters its driver.
import type { Stats } from "node:fs";
import { watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CSIPluginType, RegistrationClient, type PluginInfo } from "./registration.js";

export interface PluginHandler {
  /** Registers the driver (throws to refuse it; the message goes back to the plugin). */
  register(info: PluginInfo, endpoint: string): Promise<void>;
  deregister(name: string): Promise<void>;
}

/** csi_plugin.go ValidatePlugin: a CSI plugin must offer some 1.x version of CSI. */
export function validatePlugin(info: PluginInfo): void {
  if (info.type !== CSIPluginType)
    throw new Error(`plugin type ${JSON.stringify(info.type)} is not supported, only ${CSIPluginType}`);
  if (!info.name) throw new Error("plugin name is empty");
  const compatible = info.supported_versions.some((v) => /^v?1(\.\d+){0,2}$/.test(v.trim()));
  if (!compatible) {
    throw new Error(
      `validation failed for CSI Driver ${info.name} at endpoint ${info.endpoint}: none of the versions specified [${info.supported_versions.join(" ")}] are supported`,
    );
  }
}

export function watchPluginsRegistry(
  dir: string,
  handler: PluginHandler,
  signal: AbortSignal,
  log: (message: string, err?: unknown) => void,
): Promise<void> {
  // socket path → what it registered (and the socket's identity, so a replaced socket registers again).
  const known = new Map<string, { name: string; ino: number; mtimeMs: number }>();
  let scanning: Promise<void> | undefined;
  let again = false;

  async function handle(socketPath: string, stats: Stats): Promise<void> {
    const client = new RegistrationClient(socketPath);
    try {
      const info = await client.getInfo();
      try {
        validatePlugin(info);
        const endpoint = info.endpoint.startsWith("unix://") ? info.endpoint : `unix://${info.endpoint}`;
        await handler.register(info, endpoint);
        known.set(socketPath, { name: info.name, ino: stats.ino, mtimeMs: stats.mtimeMs });
        await client.notifyRegistrationStatus({ plugin_registered: true, error: "" });
      } catch (err) {
        // Remember the socket anyway: the plugin was told why, and re-registers by re-creating its socket.
        known.set(socketPath, { name: "", ino: stats.ino, mtimeMs: stats.mtimeMs });
        const message = `RegisterPlugin error -- plugin registration failed with err: ${(err as Error).message}`;
        log(message);
        await client.notifyRegistrationStatus({ plugin_registered: false, error: message });
      }
    } catch (err) {
      log(`plugin registration socket ${socketPath} did not answer; will retry`, err);
    } finally {
      client.close();
    }
  }

  async function scan(): Promise<void> {
    const seen = new Set<string>();
    let entries: string[] = [];
    try {
      entries = await readdir(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith(".")) continue; // the kubelet ignores hidden files
      const socketPath = join(dir, entry);
      const stats = await stat(socketPath).catch(() => undefined);
      if (!stats?.isSocket()) continue;
      seen.add(socketPath);
      const was = known.get(socketPath);
      if (was && was.ino === stats.ino && was.mtimeMs === stats.mtimeMs) continue;
      await handle(socketPath, stats);
    }
    for (const [socketPath, entry] of known) {
      if (seen.has(socketPath)) continue;
      known.delete(socketPath);
      if (entry.name) {
        await handler.deregister(entry.name).catch((err: unknown) => log(`deregistering ${entry.name} failed`, err));
      }
    }
  }

  const rescan = () => {
    if (scanning) {
      again = true;
      return;
    }
    scanning = scan()
      .catch((err: unknown) => log("scanning plugins_registry failed", err))
      .finally(() => {
        scanning = undefined;
        if (again && !signal.aborted) {
          again = false;
          rescan();
        }
      });
  };

  const watcher = watch(dir, () => rescan());
  watcher.on("error", (err) => log("watching plugins_registry failed; polling only", err));
  // fs.watch can miss events (and a socket may answer only after it appears): poll as well.
  const timer = setInterval(rescan, 1000);
  rescan();
  return new Promise<void>((resolve) => {
    signal.addEventListener(
      "abort",
      () => {
        clearInterval(timer);
        watcher.close();
        void (scanning ?? Promise.resolve()).then(() => resolve());
      },
      { once: true },
    );
  });
}
