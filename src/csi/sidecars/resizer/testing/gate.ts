// A gate in front of a real CSI driver, for crash tests of sidecar processes: it serves Identity and the Controller
// calls a resizer makes on its own socket and forwards them to the driver, except that ControllerExpandVolume can be
// held — so a test can SIGKILL the sidecar while the call is in flight — and every call that reaches the driver is
// counted. Nothing is faked: the driver answers every call that gets through.
import type { CsiClient } from "../../../client.js";
import { Code, CsiError } from "../../../errors.js";
import { serveCsi, type CsiServer } from "../../../server.js";

/** Where ControllerExpandVolume waits: before the driver sees it, or after the driver answered (reply lost). */
export type HoldPoint = "before-driver" | "after-driver";

export interface ExpandGate {
  endpoint: string;
  /** ControllerExpandVolume calls the sidecar made (held or not). */
  arrived(): number;
  /** ControllerExpandVolume calls that reached the driver. */
  forwarded(): number;
  /** Resolves once `n` calls have arrived. */
  waitForArrivals(n: number): Promise<void>;
  /**
   * Resolves once `n` calls are (or were) held at the hold point: after-driver, that is once the driver answered,
   * which an arrival alone does not say (the call may still be on its way to the driver).
   */
  waitForHeld(n: number): Promise<void>;
  /**
   * Resolves once no call is held: each one held saw its caller go away (a killed sidecar's socket closed, or the
   * sidecar's own deadline ran out). Counting cancellations is not enough: a call that timed out earlier counts too,
   * while the killed caller's last call may still be held, and open() would forward it.
   */
  waitUntilNoneHeld(): Promise<void>;
  /** From now on calls pass straight through; calls still held are let go (if their caller is still there). */
  open(): void;
  stop(): Promise<void>;
}

export async function startExpandGate(endpoint: string, driver: CsiClient, hold: HoldPoint): Promise<ExpandGate> {
  let arrived = 0;
  let holding = 0;
  let heldTotal = 0;
  let forwarded = 0;
  let opened = false;
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (release = resolve));
  const waiters: { done: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const w of waiters.splice(0))
      if (w.done()) w.resolve();
      else waiters.push(w);
  };
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      waiters.push({ done, resolve });
      wake();
    });
  /** Waits for open(); a caller that goes away meanwhile (killed sidecar) gets CANCELLED, as gRPC would. */
  const held = async (signal: AbortSignal) => {
    if (opened) return;
    if (signal.aborted) throw new CsiError(Code.CANCELLED, "caller went away"); // no abort event will come
    holding++;
    heldTotal++;
    wake();
    await Promise.race([
      released,
      new Promise<void>((_, reject) =>
        signal.addEventListener(
          "abort",
          () => {
            reject(new CsiError(Code.CANCELLED, "caller went away"));
          },
          { once: true },
        ),
      ),
    ]).finally(() => {
      holding--;
      wake();
    });
  };

  const server: CsiServer = await serveCsi(endpoint, {
    identity: {
      GetPluginInfo: (request) => driver.identity.GetPluginInfo(request),
      GetPluginCapabilities: (request) => driver.identity.GetPluginCapabilities(request),
      Probe: (request) => driver.identity.Probe(request),
    },
    controller: {
      ControllerGetCapabilities: (request) => driver.controller.ControllerGetCapabilities(request),
      async ControllerExpandVolume(request, context) {
        arrived++;
        wake();
        if (hold === "before-driver") await held(context.signal);
        forwarded++;
        const response = await driver.controller.ControllerExpandVolume(request as never);
        if (hold === "after-driver") await held(context.signal);
        return response;
      },
    },
  });
  return {
    endpoint,
    arrived: () => arrived,
    forwarded: () => forwarded,
    waitForArrivals: (n) => until(() => arrived >= n),
    waitUntilNoneHeld: () => until(() => holding === 0),
    waitForHeld: (n) => until(() => heldTotal >= n),
    open() {
      opened = true;
      release();
      released = Promise.resolve();
    },
    stop: () => server.stop(0),
  };
}
