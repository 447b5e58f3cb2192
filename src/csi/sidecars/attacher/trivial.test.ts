// A driver without PUBLISH_UNPUBLISH_VOLUME has nothing to attach: as upstream's trivial handler, the attacher
// marks its VolumeAttachments attached at once, calls nothing, and holds no finalizer.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, startStowage } from "../../../e2e/stowage.js";
import { createClient } from "../../../client/index.js";
import { CsiClient } from "../../client.js";
import { serveCsi } from "../../server.js";
import { startAttacher } from "./controller.js";

test("a driver without PUBLISH_UNPUBLISH_VOLUME gets its attachments marked attached without a call", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-trivial-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const calls: string[] = [];
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const server = await serveCsi(endpoint, {
    identity: {
      GetPluginInfo: async () => ({ name: "trivial.csi.stowage.dev", vendor_version: "0.0.1" }),
      GetPluginCapabilities: async () => ({ capabilities: [{ service: { type: "CONTROLLER_SERVICE" } }] }),
      Probe: async () => ({ ready: { value: true } }),
    },
    controller: {
      ControllerGetCapabilities: async () => ({ capabilities: [{ rpc: { type: "CREATE_DELETE_VOLUME" } }] }),
      ControllerPublishVolume: async () => {
        calls.push("ControllerPublishVolume");
        return { publish_context: {} };
      },
    },
  });
  t.after(() => server.stop());
  const csi = await CsiClient.connect(endpoint, { readyTimeoutMs: 10_000 });
  t.after(() => csi.close());
  const stowage = await startStowage(t);
  const client = createClient(stowage.transport());
  const attacher = await startAttacher({ client, csi, signal: new AbortController().signal, log: () => undefined });
  t.after(() => attacher.stop());

  await client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: "va-1" },
    spec: { attacher: "trivial.csi.stowage.dev", nodeName: "node-1", source: { persistentVolumeName: "pv-1" } },
  });
  const attached = await eventually(async () => {
    const attachment = await client.volumeAttachments.get("va-1");
    return attachment.status?.attached ? attachment : undefined;
  });
  assert.equal(attached.metadata.finalizers, undefined);
  assert.deepEqual(calls, []);
  // No finalizer: deleting it is immediate.
  await client.volumeAttachments.delete("va-1");
  await assert.rejects(client.volumeAttachments.get("va-1"), /not found/);
});
