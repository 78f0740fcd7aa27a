"""``container.*`` and ``k8s.*`` fields (incl. the legacy API-server ``k8s.*`` ones)."""

TABLE = """
container.id CHARBUF - container id (12 characters), 'host' outside containers
container.full_id CHARBUF - full container id
container.name CHARBUF - container name, 'host' outside containers
container.image CHARBUF - image name
container.image.id CHARBUF - image id
container.type CHARBUF - container type (docker, cri-o, containerd...)
container.privileged BOOL - the container is privileged
container.mounts CHARBUF - all mounts, source:dest:mode:rdrw:propagation
container.mount CHARBUF P one mount, by number or source path glob
container.mount.source CHARBUF P mount source, by number or destination glob
container.mount.dest CHARBUF P mount destination, by number or source glob
container.mount.mode CHARBUF P mount mode, by number or source glob
container.mount.rdwr CHARBUF P mount rdwr, by number or source glob
container.mount.propagation CHARBUF P mount propagation, by number or source glob
container.image.repository CHARBUF - image repository
container.image.tag CHARBUF - image tag
container.image.digest CHARBUF - image digest
container.healthcheck CHARBUF - health check command
container.liveness_probe CHARBUF - liveness probe command
container.readiness_probe CHARBUF - readiness probe command
container.start_ts UINT64 - container start, ns since the epoch
container.duration RELTIME - ns since container start
container.ip CHARBUF - primary IP of the container
container.cni.json CHARBUF - CNI result of the pod
container.host_pid BOOL - the container shares the host pid namespace
container.host_network BOOL - the container shares the host network namespace
container.host_ipc BOOL - the container shares the host ipc namespace
container.label CHARBUF K. one container label
container.labels CHARBUF - all container labels
container.user CHARBUF - user the container runs as
k8s.ns.name CHARBUF - namespace name
k8s.pod.name CHARBUF - pod name
k8s.pod.id CHARBUF - pod UID (legacy name)
k8s.pod.uid CHARBUF - pod UID
k8s.pod.sandbox_id CHARBUF - pod sandbox id (12 characters)
k8s.pod.full_sandbox_id CHARBUF - full pod sandbox id
k8s.pod.label CHARBUF K. one pod label (k8s.pod.label.app or k8s.pod.label[app])
k8s.pod.labels CHARBUF - all pod labels
k8s.pod.ip CHARBUF - pod IP
k8s.pod.cni.json CHARBUF - CNI result of the pod
k8s.rc.name CHARBUF - replication controller name
k8s.rc.id CHARBUF - replication controller id
k8s.rc.label CHARBUF K. replication controller label
k8s.rc.labels CHARBUF - replication controller labels
k8s.svc.name CHARBUF - service name
k8s.svc.id CHARBUF - service id
k8s.svc.label CHARBUF K. service label
k8s.svc.labels CHARBUF - service labels
k8s.ns.id CHARBUF - namespace id
k8s.ns.label CHARBUF K. namespace label
k8s.ns.labels CHARBUF - namespace labels
k8s.rs.name CHARBUF - replica set name
k8s.rs.id CHARBUF - replica set id
k8s.rs.label CHARBUF K. replica set label
k8s.rs.labels CHARBUF - replica set labels
k8s.deployment.name CHARBUF - deployment name
k8s.deployment.id CHARBUF - deployment id
k8s.deployment.label CHARBUF K. deployment label
k8s.deployment.labels CHARBUF - deployment labels
"""
