# The official Python client (Debian's python3-kubernetes) used the way its users write it: typed models
# without kind or apiVersion, watch.Watch().stream (which sends watch=True), label selectors, limit/continue,
# the three patch types and status writes. Prints one line per check, "ok NAME" or "FAIL NAME: why", and
# never stops at a failure, so the test names every check that broke.
import os
import sys
import traceback

from kubernetes import client, config, dynamic, watch

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
storage = client.StorageV1Api()
api = client.ApiClient()
NS = "default"
checks = []


def check(name):
    def register(fn):
        checks.append((name, fn))
        return fn

    return register


def claim(name, labels=None, size="1Gi"):
    return client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1ResourceRequirements(requests={"storage": size}),
            storage_class_name="manual",
        ),
    )


def volume(name):
    return client.V1PersistentVolume(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PersistentVolumeSpec(
            capacity={"storage": "1Gi"},
            access_modes=["ReadWriteOnce"],
            host_path=client.V1HostPathVolumeSource(path="/tmp/" + name),
            storage_class_name="manual",
        ),
    )


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


@check("create a claim without kind or apiVersion")
def _():
    created = core.create_namespaced_persistent_volume_claim(NS, claim("data", {"app": "db"}))
    expect(created.kind == "PersistentVolumeClaim", "kind %r" % created.kind)
    expect(created.api_version == "v1", "apiVersion %r" % created.api_version)
    expect(created.metadata.uid, "no uid")


@check("create a cluster-scoped object of another group without kind")
def _():
    made = storage.create_storage_class(
        client.V1StorageClass(metadata=client.V1ObjectMeta(name="manual"), provisioner="example.com/none")
    )
    expect(made.api_version == "storage.k8s.io/v1", "apiVersion %r" % made.api_version)
    expect(made.reclaim_policy == "Delete", "reclaimPolicy not defaulted: %r" % made.reclaim_policy)


@check("read a claim back with its spec")
def _():
    read = core.read_namespaced_persistent_volume_claim("data", NS)
    expect(read.spec.resources.requests["storage"] == "1Gi", "requests %r" % read.spec.resources.requests)
    expect(read.status.phase == "Pending", "phase %r" % read.status.phase)


@check("replace a claim read back without kind")
def _():
    read = core.read_namespaced_persistent_volume_claim("data", NS)
    read.kind = None
    read.api_version = None
    read.metadata.annotations = {"note": "replaced"}
    replaced = core.replace_namespaced_persistent_volume_claim("data", NS, read)
    expect(replaced.metadata.annotations.get("note") == "replaced", "annotations %r" % replaced.metadata.annotations)


@check("list claims by label selector")
def _():
    core.create_namespaced_persistent_volume_claim(NS, claim("logs", {"app": "web"}))
    names = [c.metadata.name for c in core.list_namespaced_persistent_volume_claim(NS, label_selector="app=db").items]
    expect(names == ["data"], "app=db selected %r" % names)
    names = [c.metadata.name for c in core.list_namespaced_persistent_volume_claim(NS, label_selector="app in (db,web)").items]
    expect(sorted(names) == ["data", "logs"], "set selector selected %r" % names)


@check("list across namespaces with a field selector")
def _():
    found = core.list_persistent_volume_claim_for_all_namespaces(field_selector="metadata.name=logs")
    expect([c.metadata.name for c in found.items] == ["logs"], "field selector found %r" % found.items)


@check("paginate with limit and continue")
def _():
    for i in range(5):
        core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="page-%d" % i, labels={"set": "pages"})))
    seen, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_config_map(NS, label_selector="set=pages", limit=2, _continue=token)
        pages += 1
        expect(len(page.items) <= 2, "page of %d" % len(page.items))
        seen += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    expect(pages == 3, "%d pages" % pages)
    expect(seen == ["page-%d" % i for i in range(5)], "saw %r" % seen)


@check("remaining item count on a partial page without selectors")
def _():
    total = len(core.list_namespaced_config_map(NS).items)
    page = core.list_namespaced_config_map(NS, limit=1)
    remaining = page.metadata.remaining_item_count
    expect(total >= 5 and remaining == total - 1, "remainingItemCount %r of %d" % (remaining, total))


@check("watch a list with watch.Watch().stream (watch=True)")
def _():
    events = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_persistent_volume_claim, NS, label_selector="app=db", timeout_seconds=5):
        events.append((event["type"], event["object"].metadata.name))
        w.stop()
    expect(events == [("ADDED", "data")], "events %r" % events)


@check("watch from a resourceVersion sees a later change")
def _():
    listed = core.list_namespaced_config_map(NS, label_selector="set=pages")
    core.patch_namespaced_config_map("page-0", NS, {"data": {"seen": "yes"}})
    w = watch.Watch()
    events = []
    for event in w.stream(
        core.list_namespaced_config_map, NS, resource_version=listed.metadata.resource_version, timeout_seconds=5
    ):
        events.append((event["type"], event["object"].metadata.name, (event["object"].data or {}).get("seen")))
        w.stop()
    expect(events == [("MODIFIED", "page-0", "yes")], "events %r" % events)


@check("strategic merge patch (a dict body)")
def _():
    patched = core.patch_namespaced_persistent_volume_claim("data", NS, {"metadata": {"labels": {"tier": "gold"}}})
    expect(patched.metadata.labels == {"app": "db", "tier": "gold"}, "labels %r" % patched.metadata.labels)


@check("JSON patch (a list body)")
def _():
    patched = core.patch_namespaced_config_map(
        "page-1", NS, [{"op": "add", "path": "/data", "value": {"k": "v"}}, {"op": "test", "path": "/data/k", "value": "v"}]
    )
    expect(patched.data == {"k": "v"}, "data %r" % patched.data)


@check("merge patch through call_api")
def _():
    patched = api.call_api(
        "/api/v1/namespaces/{namespace}/configmaps/{name}",
        "PATCH",
        path_params={"namespace": NS, "name": "page-1"},
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body={"data": {"k": None, "other": "x"}},
        response_type="V1ConfigMap",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )
    expect(patched.data == {"other": "x"}, "data %r" % patched.data)


@check("a failed JSON patch test is a 422 ApiException")
def _():
    try:
        core.patch_namespaced_config_map("page-1", NS, [{"op": "test", "path": "/data/other", "value": "no"}])
    except client.ApiException as err:
        expect(err.status == 422, "status %r" % err.status)
        return
    raise AssertionError("the patch was applied")


@check("replace a volume's status")
def _():
    core.create_persistent_volume(volume("vol-a"))
    read = core.read_persistent_volume("vol-a")
    read.status.phase = "Failed"
    read.status.message = "written by python"
    written = core.replace_persistent_volume_status("vol-a", read)
    expect(written.status.message == "written by python", "status %r" % written.status)


@check("patch a claim's status")
def _():
    patched = core.patch_namespaced_persistent_volume_claim_status("data", NS, {"status": {"phase": "Lost"}})
    expect(patched.status.phase == "Lost", "phase %r" % patched.status.phase)
    again = core.read_namespaced_persistent_volume_claim("data", NS)
    expect(again.spec.resources.requests["storage"] == "1Gi", "spec changed")


@check("a status write leaves the spec alone")
def _():
    read = core.read_persistent_volume("vol-a")
    read.spec.capacity = {"storage": "9Gi"}
    written = core.replace_persistent_volume_status("vol-a", read)
    expect(written.spec.capacity["storage"] == "1Gi", "capacity %r" % written.spec.capacity)


@check("create twice is a 409 AlreadyExists")
def _():
    try:
        core.create_namespaced_persistent_volume_claim(NS, claim("data"))
    except client.ApiException as err:
        expect(err.status == 409 and "already exists" in err.body, "%s %s" % (err.status, err.body))
        return
    raise AssertionError("created twice")


@check("read a missing object is a 404 NotFound")
def _():
    try:
        core.read_namespaced_config_map("missing", NS)
    except client.ApiException as err:
        expect(err.status == 404 and "NotFound" in err.body, "%s %s" % (err.status, err.body))
        return
    raise AssertionError("found")


@check("delete with propagation policy and see it gone")
def _():
    core.delete_namespaced_config_map("page-4", NS, propagation_policy="Background", grace_period_seconds=0)
    names = [c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="set=pages").items]
    expect("page-4" not in names, "still listed: %r" % names)


@check("delete a collection by label selector")
def _():
    core.delete_collection_namespaced_config_map(NS, label_selector="set=pages")
    left = core.list_namespaced_config_map(NS, label_selector="set=pages").items
    expect(left == [], "left %r" % [c.metadata.name for c in left])


@check("dry-run create writes nothing")
def _():
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dry")), dry_run="All")
    try:
        core.read_namespaced_config_map("dry", NS)
    except client.ApiException as err:
        expect(err.status == 404, "status %r" % err.status)
        return
    raise AssertionError("a dry run was stored")


@check("a SelfSubjectAccessReview without kind answers for the admin")
def _():
    auth = client.AuthorizationV1Api()
    attributes = client.V1ResourceAttributes(verb="create", resource="persistentvolumeclaims", namespace=NS)
    review = auth.create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attributes))
    )
    expect(review.kind == "SelfSubjectAccessReview", "kind %r" % review.kind)
    expect(review.status.allowed is True, "status %r" % review.status)


@check("the dynamic client discovers, creates, merge-patches and watches")
def _():
    # its discovery cache in the data dir, so nothing is left in /tmp
    cache = os.path.join(os.path.dirname(sys.argv[1]), "python-discovery.json")
    dyn = dynamic.DynamicClient(client.ApiClient(), cache_file=cache)
    claims = dyn.resources.get(api_version="v1", kind="PersistentVolumeClaim")
    body = {"metadata": {"name": "dyn"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    made = claims.create(body=body, namespace=NS)
    expect(made.kind == "PersistentVolumeClaim", "kind %r" % made.kind)
    patched = claims.patch(
        name="dyn", namespace=NS, body={"metadata": {"labels": {"via": "dynamic"}}}, content_type="application/merge-patch+json"
    )
    labels = patched.to_dict()["metadata"]["labels"]
    expect(labels == {"via": "dynamic"}, "labels %r" % labels)
    names = []
    for event in claims.watch(namespace=NS, label_selector="via=dynamic", timeout=5):
        names.append((event["type"], event["object"].metadata.name))
        break
    expect(names == [("ADDED", "dyn")], "events %r" % names)


for name, fn in checks:
    try:
        fn()
        print("ok " + name, flush=True)
    except Exception as err:  # every failure is reported, then the next check runs
        detail = "".join(traceback.format_exception(type(err), err, err.__traceback__)).strip().replace("\n", " | ")
        print("FAIL %s: %s" % (name, detail[-1500:]), flush=True)
