// The hostpath Identity service: who we are, what we can do, and whether we are ready.
import { readFileSync } from "node:fs";
import type { IdentityService } from "../../server.js";
import type { HostpathContext } from "./context.js";

// package.json is four levels up from both src/csi/drivers/hostpath and dist/csi/drivers/hostpath.
const vendorVersion: string = (
  JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export function identityService(ctx: HostpathContext): IdentityService {
  return {
    async GetPluginInfo() {
      return { name: ctx.driverName, vendor_version: vendorVersion, manifest: {} };
    },
    async GetPluginCapabilities() {
      return {
        capabilities: [
          { service: { type: "CONTROLLER_SERVICE" } },
          { service: { type: "VOLUME_ACCESSIBILITY_CONSTRAINTS" } },
          { volume_expansion: { type: "ONLINE" } },
        ],
      };
    },
    // State is loaded before the socket opens, so once anyone can ask, we are ready.
    async Probe() {
      return { ready: { value: true } };
    },
  };
}
