// Loads csi.proto at run time for @grpc/grpc-js. The loader options must match the ones `npm run gen:csi` passes
// to proto-loader-gen-types, or the generated types would lie about the objects we get:
// keepCase (field names as in the proto: volume_id, not volumeId), int64 as JS numbers (byte counts stay far below
// 2^53), enums as their string names ("SINGLE_NODE_WRITER"), defaults filled in for absent fields, and a virtual
// field naming the set member of each oneof (e.g. VolumeCapability.access_type === "mount").
import { loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { ProtoGrpcType } from "./generated/csi.js";

export const csiLoaderOptions: Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

// The proto stays in src/ (tsc does not copy it to dist/); this path resolves from both src/csi and dist/csi.
export const csiProtoPath = fileURLToPath(new URL("../../src/csi/proto/csi.proto", import.meta.url));

let loaded: ProtoGrpcType["csi"]["v1"] | undefined;

/** The csi.v1 package: service constructors (Identity, Controller, Node, GroupController) and message types. */
export function csiPackage(): ProtoGrpcType["csi"]["v1"] {
  if (!loaded) {
    const definition = loadSync(csiProtoPath, csiLoaderOptions);
    loaded = (loadPackageDefinition(definition) as unknown as ProtoGrpcType).csi.v1;
  }
  return loaded;
}
