// What every loop of the controller-manager is started with (each loop's own context adds its knobs).
import type { Client, InformerFactory } from "../../client/index.js";
import type { Log } from "../../support/log.js";

export interface LoopContext {
  client: Client;
  /** The controller-manager's shared informers: one list+watch and one cache per resource for every loop. */
  informers: InformerFactory;
  log: Log;
}
