import assert from "node:assert/strict";
import { test } from "node:test";
import { sanitizeLeaseName, sidecarLeaseName } from "./sidecarleader.js";

// Each row: the Lease upstream's sidecar takes for the driver (csi-lib-utils sanitizes the name).
const cases = [
  { sidecar: "csi-provisioner", driver: "hostpath.csi.k8s.io", want: "hostpath-csi-k8s-io" },
  { sidecar: "csi-attacher", driver: "block.csi.stowage.dev", want: "external-attacher-leader-block-csi-stowage-dev" },
  { sidecar: "csi-resizer", driver: "block.csi.stowage.dev", want: "external-resizer-block-csi-stowage-dev" },
  {
    sidecar: "csi-snapshotter",
    driver: "hostpath.csi.stowage.dev",
    want: "external-snapshotter-leader-hostpath-csi-stowage-dev",
  },
  {
    sidecar: "csi-external-health-monitor-controller",
    driver: "hostpath.csi.stowage.dev",
    want: "external-health-monitor-leader-hostpath-csi-stowage-dev",
  },
];
for (const c of cases) {
  test(`${c.sidecar} for ${c.driver} takes the Lease ${c.want}`, () => {
    assert.equal(sidecarLeaseName(c.sidecar, c.driver), c.want);
  });
}

test("a name ending in a character that becomes '-' gets an X, as csi-lib-utils does", () => {
  assert.equal(sanitizeLeaseName("driver."), "driver-X");
  assert.equal(sanitizeLeaseName("host_name"), "host-name");
});
