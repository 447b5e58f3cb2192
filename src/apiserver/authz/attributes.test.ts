import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiRequest, HttpMethod } from "../../api/http.js";
import { forbidden, requestAttributes } from "./attributes.js";

const alice = { name: "alice", groups: ["system:authenticated"] };
const ask = (method: HttpMethod, target: string) => {
  const [path, query = ""] = target.split("?");
  const request: ApiRequest = { method, path, query: new URLSearchParams(query), headers: {} };
  const a = requestAttributes(request, alice);
  return a.resourceRequest
    ? `${a.verb} ${a.apiGroup}/${a.resource}${a.subresource ? "/" + a.subresource : ""} ns=${a.namespace} name=${a.name}`
    : `${a.verb} ${a.path}`;
};

const cases: [HttpMethod, string, string][] = [
  ["GET", "/api/v1/namespaces/team/persistentvolumeclaims", "list /persistentvolumeclaims ns=team name="],
  ["GET", "/api/v1/namespaces/team/persistentvolumeclaims?watch=true", "watch /persistentvolumeclaims ns=team name="],
  ["GET", "/api/v1/watch/namespaces/team/pods", "watch /pods ns=team name="],
  ["GET", "/api/v1/namespaces/team/pods/web-0", "get /pods ns=team name=web-0"],
  ["GET", "/api/v1/namespaces/team/secrets?fieldSelector=metadata.name%3Ddb&watch=1", "watch /secrets ns=team name=db"],
  ["POST", "/api/v1/namespaces/team/pods/web-0/exec", "create /pods/exec ns=team name=web-0"],
  ["GET", "/api/v1/namespaces/team/pods/web-0/exec?command=sh", "create /pods/exec ns=team name=web-0"],
  ["GET", "/api/v1/namespaces/team/pods/web-0/log", "get /pods/log ns=team name=web-0"],
  ["PUT", "/api/v1/persistentvolumes/pv-1/status", "update /persistentvolumes/status ns= name=pv-1"],
  ["PATCH", "/apis/storage.k8s.io/v1/storageclasses/standard", "patch storage.k8s.io/storageclasses ns= name=standard"],
  [
    "DELETE",
    "/api/v1/namespaces/team/persistentvolumeclaims",
    "deletecollection /persistentvolumeclaims ns=team name=",
  ],
  ["DELETE", "/api/v1/namespaces/team", "delete /namespaces ns=team name=team"],
  ["GET", "/healthz", "get /healthz"],
  ["GET", "/apis", "get /apis"],
];
for (const [method, target, want] of cases)
  test(`${method} ${target} is ${want}`, () => assert.equal(ask(method, target), want));

test("the Forbidden message names the user, the verb, the resource and the scope as upstream's", () => {
  const request = (path: string): ApiRequest => ({ method: "GET", path, query: new URLSearchParams(), headers: {} });
  assert.equal(
    forbidden(requestAttributes(request("/api/v1/namespaces/default/pods"), alice), "").message,
    'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
  );
  assert.equal(
    forbidden(requestAttributes(request("/apis/storage.k8s.io/v1/storageclasses/fast"), alice), "").message,
    'storageclasses.storage.k8s.io "fast" is forbidden: User "alice" cannot get resource "storageclasses" in API group "storage.k8s.io" at the cluster scope',
  );
  assert.equal(
    forbidden(requestAttributes(request("/metrics"), alice), "").message,
    'forbidden: User "alice" cannot get path "/metrics"',
  );
});
