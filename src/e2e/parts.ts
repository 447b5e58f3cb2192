// The parts a test world is built from, for tests that wire stowage their own way (a component set, a driver in
// process, one controller beside a sidecar). Only tests import src/e2e: this file is how a test of one part reaches
// another part without that part's code ever depending on it (the dependency check holds tests to the same rule).
export { createApiServer } from "../apiserver/server.js";
export { ok, startSecuredApiServer, type Kubectl } from "../apiserver/testing/secured.js";
export { controllerManagerClients, controllerManagerComponent } from "../cli/controllermanager.js";
export { schedulerComponent } from "../cli/scheduler.js";
export { blockUnavailableReason, nodeName } from "../cli/storage.js";
export { blockPrivileges } from "../csi/drivers/block/filesystem.js";
export { defaultUpComponents } from "../cli/up.js";
export type { UpComponent } from "../cli/component.js";
export { startAttachDetachController } from "../controllers/attachdetach/controller.js";
export { startSnapshotController } from "../controllers/snapshot/controller.js";
export { CsiClient } from "../csi/client.js";
export { DRIVER_NAME, TOPOLOGY_KEY, startDriver } from "../csi/drivers/hostpath/index.js";
export { startHostpath } from "../csi/drivers/hostpath/testing/driver.js";
export { startAttacher } from "../csi/sidecars/attacher/controller.js";
export { startSnapshotter } from "../csi/sidecars/snapshotter/controller.js";
export { MemoryStore } from "../store/memory.js";
