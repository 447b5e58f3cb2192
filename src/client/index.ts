// The client library's public surface: import from "../client/index.js".
export { createClient } from "./client.js";
export type {
  Client,
  ClientOptions,
  ClusterResourceClient,
  NamespacedResourceClient,
  ResourceClient,
} from "./client.js";
export type {
  DeleteOptions,
  ListOptions,
  ObjectList,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  Writable,
  WriteOptions,
} from "./resourceclient.js";
export {
  ApiError,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
} from "./errors.js";
export type { Transport } from "./transport.js";
export { inProcessTransport } from "./inprocess.js";
export { httpTransport } from "./http.js";
export type { HttpTransport } from "./http.js";
export { loadKubeconfig, parseKubeconfig, KubeconfigError } from "./kubeconfig.js";
export type { Kubeconfig } from "./kubeconfig.js";
export { resources, apiVersionOf, groupResourceOf } from "./resources.js";
export type { ResourceDescriptor, ResourceName } from "./resources.js";
export { keyOf, keyOfRef, splitKey } from "./keys.js";
export type { ObjectKey } from "./keys.js";
export { Informer, namespaceIndex } from "./informer.js";
export type { IndexFunc, InformerOptions, ListFilter, Lister } from "./informer.js";
export { createInformerFactory } from "./factory.js";
export type { InformerFactory, InformerFactoryOptions, SharedInformers } from "./factory.js";
export { WorkQueue } from "./workqueue.js";
export { observeStorageOperation, qualifiedPluginName } from "./operationmetrics.js";
export type { WorkQueueOptions } from "./workqueue.js";
export { createEventRecorder } from "./events.js";
export type { EventRecorder, EventRecorderOptions, EventType } from "./events.js";
export { LeaderElector, runLeaderElection, formatMicroTime, defaultIdentity } from "./leaderelection.js";
export type { LeaderElectionOptions } from "./leaderelection.js";
export { every, removeWhenAborted, stopped } from "./controlloop.js";
export type { StartLoop, Started } from "./controlloop.js";
export { createServiceAccountToken } from "./tokenrequest.js";
export { reviewAccess, type AccessReviewSpec } from "./subjectaccessreview.js";
export { execInPod, type PodExecResult, type PodExecTarget } from "./podexec.js";
export type { IssuedToken } from "./tokenrequest.js";
