// What the hostpath driver advertises, in one place: Identity, ControllerGetCapabilities and NodeGetCapabilities
// all answer from this declaration.
import { commonCapabilities, type DriverCapabilities } from "../core/capabilities.js";

export const hostpathCapabilities: DriverCapabilities = {
  ...commonCapabilities,
  // ReadWriteOncePod maps to SINGLE_NODE_SINGLE_WRITER and ReadWriteOnce to SINGLE_NODE_MULTI_WRITER only when
  // the driver says it understands them; a directory serves both.
  controller: [...commonCapabilities.controller, "SINGLE_NODE_MULTI_WRITER"],
  node: [...commonCapabilities.node, "SINGLE_NODE_MULTI_WRITER"],
};
