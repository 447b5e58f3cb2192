// Crash safety of the real `stowage csi-resizer` process: it is SIGKILLed while its ControllerExpandVolume is in
// flight (held at a gate in front of the real block driver, whose log says each time it grows a volume), then
// started again. The expansion completes once:
// the driver's volume, the PV and the claim end at the new size, and the driver grew the volume exactly once —
// killed before the driver saw the call, the driver gets exactly one call in all; killed after the driver grew the
// volume but before the reply arrived, the restarted resizer's repeat is answered as already done (CSI's
// ControllerExpandVolume is idempotent) and the volume is not grown again.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { eventually } from "../../../e2e/stowage.js";
import { startExpandGate, type HoldPoint } from "./testing/gate.js";
import { MiB, startWorld } from "../../../e2e/resizer.js";

const main = new URL("../../../cli/main.ts", import.meta.url).pathname;

function startResizerProcess(t: TestContext, endpoint: string, kubeconfig: string) {
  const child = spawn(
    process.execPath,
    // A deadline longer than any hold: the call held when the resizer is killed is its first and only one. With
    // upstream's 10 s, a hold stretched by a loaded machine timed out, the resizer asked again, and the test
    // counted the timed-out call as the killed one's.
    ["--import", "tsx", main, "csi-resizer", "--csi-address", endpoint, "--kubeconfig", kubeconfig, "--timeout", "5m"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return {
    // Starting means compiling every command through tsx: on a loaded machine that alone can take 20 s.
    running: () => eventually(() => (/running against/.test(stdout) ? true : undefined), 90_000),
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

for (const hold of ["before-driver", "after-driver"] as HoldPoint[]) {
  test(`a csi-resizer SIGKILLed mid-ControllerExpandVolume (${hold === "before-driver" ? "before" : "after"} the driver acted) finishes the expansion once after restart`, async (t) => {
    const world = await startWorld(t, { driver: "block" });
    const pv = await world.volume("data", 16);
    const handle = pv.spec.csi!.volumeHandle;
    const gate = await startExpandGate(`unix://${join(world.stowage.dataDir, "gate.sock")}`, world.csi, hold);
    t.after(() => gate.stop());
    const claimOf = async () =>
      JSON.parse(await world.stowage.kubectl("get", "pvc", "data", "-o", "json")) as PersistentVolumeClaim;

    const first = startResizerProcess(t, gate.endpoint, world.stowage.kubeconfig);
    await first.running();
    await world.stowage.kubectl("patch", "pvc", "data", "-p", '{"spec":{"resources":{"requests":{"storage":"48Mi"}}}}');
    await gate.waitForHeld(1);
    // Mid-call: the resizer recorded what it is growing to before asking the driver.
    const midway = await claimOf();
    assert.equal(midway.status?.allocatedResources?.storage, "48Mi");
    assert.equal(midway.status?.allocatedResourceStatuses?.storage, "ControllerResizeInProgress");
    assert.equal((await world.driverCapacities()).get(handle), hold === "before-driver" ? 16 * MiB : 48 * MiB);
    await first.kill();
    // The killed resizer's call is over only once the gate's server sees its socket close; opening before that
    // would let the dead caller's call through to the driver.
    await gate.waitUntilNoneHeld();
    gate.open();

    const second = startResizerProcess(t, gate.endpoint, world.stowage.kubeconfig);
    await second.running();
    const claim = await eventually(async () => {
      const c = await claimOf();
      return c.status?.allocatedResourceStatuses?.storage === "NodeResizePending" ? c : undefined;
    }, 30_000);
    assert.equal(claim.status?.allocatedResources?.storage, "48Mi");
    assert.deepEqual(
      claim.status?.conditions?.map((c) => c.type),
      ["FileSystemResizePending"],
    );
    assert.equal(
      (JSON.parse(await world.stowage.kubectl("get", "pv", "data", "-o", "json")) as typeof pv).spec.capacity?.storage,
      "48Mi",
    );
    assert.equal((await world.driverCapacities()).get(handle), 48 * MiB);
    // Killed before the driver saw it: the driver gets exactly one call. Killed after: the restarted resizer asks
    // again (it cannot know the first call landed) and the driver answers from the size it already has.
    assert.equal(gate.forwarded(), hold === "before-driver" ? 1 : 2);
    assert.equal(gate.arrived(), 2);
    // The driver's capacity history: the volume grew exactly once, to 48Mi.
    assert.deepEqual(
      world.driverLog.filter((line) => line.includes("expanded volume")).map((line) => line.replace(/^.*: /, "")),
      [`expanded volume ${handle} to ${48 * MiB} bytes`],
    );
  });
}
