// Annotation, label, finalizer and event-reason strings spelled exactly as upstream Kubernetes and the
// kubernetes-csi sidecars spell them: users and tools search for these. APPEND-ONLY for every owner.

// ---- PV controller annotations (pkg/controller/volume/persistentvolume/util) ----------------------------
/** On a PVC: the binder finished binding it (value "yes"). */
export const AnnBindCompleted = "pv.kubernetes.io/bind-completed";
/** On a PV or PVC: the binding was made by the controller, not pre-bound by a user (value "yes"). */
export const AnnBoundByController = "pv.kubernetes.io/bound-by-controller";
/** On a PV: the provisioner that created it (the StorageClass provisioner name). */
export const AnnDynamicallyProvisioned = "pv.kubernetes.io/provisioned-by";
export const AnnMigratedTo = "pv.kubernetes.io/migrated-to";
/** On a PV grown while no claim was bound: the size its filesystem still has (the claim's status shows it). */
export const AnnPreResizeCapacity = "volume.alpha.kubernetes.io/pre-resize-capacity";
/** On a PVC: the node the scheduler picked for a WaitForFirstConsumer claim. */
export const AnnSelectedNode = "volume.kubernetes.io/selected-node";
/** On a PVC: which provisioner is expected to provision it. */
export const AnnStorageProvisioner = "volume.kubernetes.io/storage-provisioner";
export const AnnBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner";
/** On a PVC: which resizer is expected to expand it. */
export const AnnStorageResizer = "volume.kubernetes.io/storage-resizer";
/** Deprecated class annotation still honoured by the binder in place of spec.storageClassName. */
export const AnnBetaStorageClass = "volume.beta.kubernetes.io/storage-class";
/** On a PV: the secret the provisioner needs for DeleteVolume. */
export const AnnProvisionerDeletionSecretRefName = "volume.kubernetes.io/provisioner-deletion-secret-name";
export const AnnProvisionerDeletionSecretRefNamespace = "volume.kubernetes.io/provisioner-deletion-secret-namespace";
/** "yes" on a bound value of the annotations above. */
export const AnnValueYes = "yes";

// ---- StorageClass -------------------------------------------------------------------------------------------
/** "true" marks the cluster's default StorageClass. */
export const AnnIsDefaultStorageClass = "storageclass.kubernetes.io/is-default-class";
export const AnnBetaIsDefaultStorageClass = "storageclass.beta.kubernetes.io/is-default-class";

// ---- Finalizers --------------------------------------------------------------------------------------------
export const PVCProtectionFinalizer = "kubernetes.io/pvc-protection";
export const PVProtectionFinalizer = "kubernetes.io/pv-protection";
/** external-provisioner's finalizer on PVs it provisioned (kept until DeleteVolume succeeds). */
export const ProvisionerVolumeFinalizer = "external-provisioner.volume.kubernetes.io/finalizer";
/** external-attacher's SanitizeDriverName: every character outside [a-zA-Z0-9-] becomes "-", never ending in "-". */
export const sanitizeDriverName = (driver: string): string => {
  const name = driver.replace(/[^a-zA-Z0-9-]/g, "-");
  return name.endsWith("-") ? `${name}X` : name;
};
/** external-attacher's finalizer on PVs and VolumeAttachments: "external-attacher/hostpath-csi-k8s-io". */
export const attacherFinalizer = (driver: string): string => `external-attacher/${sanitizeDriverName(driver)}`;
/** Namespace finalizer in spec.finalizers. */
export const NamespaceFinalizerKubernetes = "kubernetes";

// ---- Snapshots (kubernetes-csi/external-snapshotter pkg/utils) ---------------------------------------------
export const VolumeSnapshotContentFinalizer = "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection";
export const VolumeSnapshotBoundFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection";
export const VolumeSnapshotAsSourceFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection";
export const PVCAsSourceFinalizer = "snapshot.storage.kubernetes.io/pvc-as-source-protection";
export const AnnIsDefaultSnapshotClass = "snapshot.storage.kubernetes.io/is-default-class";
export const AnnVolumeSnapshotBeingDeleted = "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted";
export const AnnVolumeSnapshotBeingCreated = "snapshot.storage.kubernetes.io/volumesnapshot-being-created";
export const AnnDeletionSecretRefName = "snapshot.storage.kubernetes.io/deletion-secret-name";
export const AnnDeletionSecretRefNamespace = "snapshot.storage.kubernetes.io/deletion-secret-namespace";

// ---- CSI ---------------------------------------------------------------------------------------------------
/** Node annotation written by the kubelet's CSI plugin registration: JSON map driver → node ID. */
export const AnnCSINodeID = "csi.volume.kubernetes.io/nodeid";
/** volumeAttributes key the external-provisioner stamps on PVs it creates. */
export const CSIProvisionerIdentityKey = "storage.kubernetes.io/csiProvisionerIdentity";
/** Prefix of unique volume names in node.status.volumesInUse/volumesAttached: "kubernetes.io/csi/<driver>^<handle>". */
export const CSIPluginName = "kubernetes.io/csi";

// ---- Labels ------------------------------------------------------------------------------------------------
export const LabelHostname = "kubernetes.io/hostname";
export const LabelOS = "kubernetes.io/os";
export const LabelArch = "kubernetes.io/arch";
export const LabelTopologyZone = "topology.kubernetes.io/zone";
export const LabelTopologyRegion = "topology.kubernetes.io/region";
/** Set on every Namespace by the apiserver (value: the namespace's name). */
export const LabelMetadataName = "kubernetes.io/metadata.name";
export const StatefulSetPodNameLabel = "statefulset.kubernetes.io/pod-name";
export const PodIndexLabel = "apps.kubernetes.io/pod-index";
export const ControllerRevisionHashLabel = "controller-revision-hash";
export const LastAppliedConfigAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

// ---- Event types and reasons -----------------------------------------------------------------------------
export const EventTypeNormal = "Normal";
export const EventTypeWarning = "Warning";

// PV controller (pkg/controller/volume/events)
export const EventFailedBinding = "FailedBinding";
export const EventVolumeMismatch = "VolumeMismatch";
export const EventVolumeFailedRecycle = "VolumeFailedRecycle";
export const EventVolumeRecycled = "VolumeRecycled";
export const EventRecyclerPod = "RecyclerPod";
export const EventVolumeDelete = "VolumeDelete";
export const EventVolumeFailedDelete = "VolumeFailedDelete";
export const EventExternalProvisioning = "ExternalProvisioning";
export const EventProvisioningFailed = "ProvisioningFailed";
export const EventProvisioningCleanupFailed = "ProvisioningCleanupFailed";
export const EventProvisioningSucceeded = "ProvisioningSucceeded";
export const EventWaitForFirstConsumer = "WaitForFirstConsumer";
export const EventWaitForPodScheduled = "WaitForPodScheduled";
export const EventExternalExpanding = "ExternalExpanding";
export const EventClaimLost = "ClaimLost";
export const EventClaimMisbound = "ClaimMisbound";
/** external-provisioner, when it starts provisioning. */
export const EventProvisioning = "Provisioning";

// Attach/detach and kubelet volume manager (pkg/kubelet/events)
export const EventFailedAttachVolume = "FailedAttachVolume";
export const EventFailedDetachVolume = "FailedDetachVolume";
export const EventSuccessfulAttachVolume = "SuccessfulAttachVolume";
export const EventSuccessfulDetachVolume = "SuccessfulDetachVolume";
export const EventFailedMountVolume = "FailedMount";
export const EventFailedUnMountVolume = "FailedUnMount";
export const EventFailedMapVolume = "FailedMapVolume";
export const EventWarnAlreadyMountedVolume = "AlreadyMountedVolume";
export const EventVolumeResizeFailed = "VolumeResizeFailed";
export const EventVolumeResizeSuccess = "VolumeResizeSuccessful";
export const EventFileSystemResizeFailed = "FileSystemResizeFailed";
export const EventFileSystemResizeSuccess = "FileSystemResizeSuccessful";
export const EventFileSystemResizeRequired = "FileSystemResizeRequired";
/** external-resizer, when it starts expanding. */
export const EventResizing = "Resizing";

// Scheduler
export const EventFailedScheduling = "FailedScheduling";
export const EventScheduled = "Scheduled";
/**
 * stowage's own (upstream's scheduler says nothing while VolumeBinding's PreBind waits, up to 10 minutes): the pod
 * has a node and waits for its claims to be provisioned or bound there.
 */
export const EventWaitForVolumeBinding = "WaitForVolumeBinding";
/**
 * stowage's own (upstream's kubelet waits two minutes before "Unable to attach or mount volumes"): the pod is on its
 * node and waits for a volume to be attached there.
 */
export const EventWaitForAttach = "WaitForAttach";

// StatefulSet controller
export const EventSuccessfulCreate = "SuccessfulCreate";
export const EventFailedCreate = "FailedCreate";
export const EventSuccessfulDelete = "SuccessfulDelete";
export const EventFailedDelete = "FailedDelete";

// ---- Attach/detach (kubernetes-csi/external-attacher, pkg/controller/volume/attachdetach) --------------------
/** On a VolumeAttachment: the CSI node ID it was published to, so detach works after the CSINode is gone. */
export const AnnVolumeAttachmentNodeID = "csi.alpha.kubernetes.io/node-id";
/** Node taint an admin sets on a node that is shut down for good: volumes detach without waiting for unmount. */
export const TaintNodeOutOfService = "node.kubernetes.io/out-of-service";

// ---- Node lifecycle (pkg/controller/nodelifecycle, k8s.io/api/core/v1 well_known_taints.go) ------------------
/** Ready condition Unknown: the node stopped heartbeating (lease and status not renewed for the grace period). */
export const TaintNodeUnreachable = "node.kubernetes.io/unreachable";
/** Ready condition False: the kubelet says the node is not ready. */
export const TaintNodeNotReady = "node.kubernetes.io/not-ready";
export const TaintNodeMemoryPressure = "node.kubernetes.io/memory-pressure";
export const TaintNodeDiskPressure = "node.kubernetes.io/disk-pressure";
export const TaintNodePIDPressure = "node.kubernetes.io/pid-pressure";
export const TaintNodeNetworkUnavailable = "node.kubernetes.io/network-unavailable";
export const TaintNodeUnschedulable = "node.kubernetes.io/unschedulable";
/** kube-node-lease: where each node agent renews the Lease named after its Node. */
export const NamespaceNodeLease = "kube-node-lease";

// ---- Fencing (stowage's own, issue 17; docs/fencing.md) ---------------------------------------------------------
/** On a Node, by the controller-manager with the out-of-service taint it added: that taint is its to remove. */
export const AnnOutOfServiceSince = "fencing.stowage.dev/out-of-service-since";
/** On a Node, by its agent once back: "true" when nothing it fenced (or had) is staged or mounted there any more. */
export const AnnFencedVolumesReleased = "fencing.stowage.dev/fenced-volumes-released";
