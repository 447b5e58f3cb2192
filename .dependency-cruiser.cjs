// The one-way house, checked on every `npm test` (npm run depcheck): imports run
//   support → api, store → apiserver → client → controllers · scheduler · csi · node → cli → e2e (test worlds),
//   and api → web (the dashboard, in the browser)
// and never back. docs/architecture.md explains each part and why its arrows point where they do. Tests are held
// to their folder's rules too; on top of them they may use the whole-stack test worlds in src/e2e.
/** What each part may import besides itself, support and (tests only) e2e. */
const allowed = {
  support: [],
  api: [],
  store: [],
  apiserver: ["api", "store"],
  client: ["api"],
  controllers: ["client", "api"],
  backup: ["client", "api"],
  scheduler: ["client", "api"],
  csi: ["client", "api"],
  node: ["csi", "client", "api"],
  cli: ["node", "csi", "scheduler", "controllers", "backup", "client", "apiserver", "store", "api"],
  // the dashboard runs in the browser: it speaks the API over HTTP and shares only src/api's types and pure rules
  web: ["api"],
  e2e: ["web", "cli", "node", "csi", "scheduler", "controllers", "backup", "client", "apiserver", "store", "api"],
};
/** Why, in DESIGN.md's words, for the messages a broken rule prints. */
const why = {
  support: "support is the ground floor: no Kubernetes, no other part",
  api: "types know no storage, no server and no client",
  store: "the store knows bytes and revisions, not Kubernetes",
  apiserver: "the apiserver owns the store and serves the API; it knows no client or component",
  client: "clients speak the API: cli hands the client the in-process transport",
  controllers: "everything goes through the API: controllers meet the scheduler, sidecars and nodes only there",
  scheduler: "everything goes through the API: the scheduler meets controllers and nodes only there",
  csi: "everything goes through the API: sidecars and controllers meet only there",
  node: "everything goes through the API; the node uses only the CSI client side of csi",
  backup: "everything goes through the API: the backup controller meets volumes and pods only there",
  cli: "cli wires parts together; only test worlds sit above it",
  web: "the dashboard runs in a browser: it talks to the apiserver over HTTP and imports only src/api",
  e2e: "test worlds sit on top of everything",
};
const parts = Object.keys(allowed);
const layerRules = parts.map((part) => ({
  name: `${part}-one-way`,
  comment: why[part],
  severity: "error",
  from: { path: `^src/${part}/` },
  to: { path: "^(src|bench)/", pathNot: `^src/(${[part, "support", "e2e", ...allowed[part]].join("|")})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      comment: "an import circle makes two files one idea: split out what both need",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "e2e-for-tests-only",
      comment: "the whole-stack test worlds in src/e2e are imported by tests only",
      severity: "error",
      from: { path: "^src/", pathNot: ["\\.test\\.ts$", "^src/e2e/"] },
      to: { path: "^src/e2e/" },
    },
    {
      name: "node-uses-the-csi-client-only",
      comment: "the node agent talks to CSI drivers over gRPC; it never imports a driver or a sidecar",
      severity: "error",
      from: { path: "^src/node/" },
      to: { path: "^src/csi/(drivers|sidecars)/" },
    },
    {
      name: "nothing-imports-bench",
      comment: "benchmarks sit outside the product",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^bench/" },
    },
    {
      name: "no-unknown-part",
      comment: "every source folder is a part of the house named in .dependency-cruiser.cjs and docs/architecture.md",
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(${parts.join("|")})/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/csi/generated/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
