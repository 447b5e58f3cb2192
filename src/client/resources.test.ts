import assert from "node:assert/strict";
import { test } from "node:test";
import { resources } from "./resources.js";
import { apiPrefixOf } from "./resources.js";
import { startTestApiServer } from "../e2e/apiserver.js";
import { readJson } from "./wire.js";

interface APIResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

test("the client's resource table agrees with the apiserver's discovery on kind and scope", async (t) => {
  const server = await startTestApiServer(t);
  const transport = server.transport("in-process");
  const served: string[] = [];
  const notServed: string[] = [];
  for (const [name, descriptor] of Object.entries(resources)) {
    const response = await transport({
      method: "GET",
      path: apiPrefixOf(descriptor),
      query: new URLSearchParams(),
      headers: {},
    });
    if (response.status === 404) {
      notServed.push(name);
      continue;
    }
    const list = (await readJson(response)) as APIResourceList;
    const entry = list.resources.find((r) => r.name === descriptor.plural);
    if (!entry) {
      notServed.push(name);
      continue;
    }
    assert.equal(entry.kind, descriptor.kind, `${name}: kind`);
    assert.equal(entry.namespaced, descriptor.namespaced, `${name}: namespaced`);
    served.push(name);
  }
  // The core of the storage flow must be there; the rest arrive as src/api defines them.
  for (const name of [
    "persistentVolumes",
    "persistentVolumeClaims",
    "pods",
    "nodes",
    "namespaces",
    "events",
    "storageClasses",
  ]) {
    assert.ok(served.includes(name), `${name} is served`);
  }
  t.diagnostic(`served: ${served.join(", ")}; not served yet: ${notServed.join(", ") || "none"}`);
});
