# taskloop container image: a Maven build stage, then a JRE-only runtime stage.
#
#   docker build -t taskloop:0.1.0-SNAPSHOT .
#   podman build -t taskloop:0.1.0-SNAPSHOT .
#   docker run --rm -p 8080:8080 taskloop:0.1.0-SNAPSHOT
#
# Nothing here needs BuildKit, so the classic builder, BuildKit and Buildah (podman) all build it.

ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
# Any Java 17+ runtime image works; a JRE image keeps the runtime small (no javac, no Maven).
# k8s/statefulset.yaml's preStop runs `sleep`, so a base without a shell's coreutils
# (distroless) needs the preStop changed too (docs/kubernetes.md).
ARG BASE_IMAGE=eclipse-temurin:17-jre

# ---------------------------------------------------------------- build
FROM ${BUILD_IMAGE} AS build
# The runtime's data directory, made here so that the runtime stage needs no shell (distroless).
# It is copied as an entry of /out, so that its mode (g+rwX) comes along.
RUN mkdir -p /out/data && chmod 0775 /out/data
WORKDIR /src
# The pom alone first, so the dependency download is a cached layer that only a pom change redoes.
COPY pom.xml ./
RUN mvn -q -B dependency:go-offline
# openapi.yaml is packaged into the jar (it is served at GET /openapi.yaml).
COPY openapi.yaml ./
COPY src ./src
RUN mvn -q -B package -DskipTests

# ---------------------------------------------------------------- runtime
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="taskloop" \
      org.opencontainers.image.description="asyncio's task primitives as a distributed service on Vert.x"

WORKDIR /app
# Owned by root and not writable by the service's user: the process cannot change its own code.
COPY --from=build /src/target/taskloop.jar /app/taskloop.jar

# A numeric, non-root user with no entry in /etc/passwd needed (so it works on any base image,
# distroless included), and that Kubernetes' runAsNonRoot can verify. Group 0 lets platforms
# that pick a random UID (OpenShift) run it too.
USER 10001:0

# data_dir: where the node keeps its files (the journal). Owned by the service's user, and
# writable by group 0 for platforms that pick a random UID. A volume, so it outlives the
# container: mount one per node (docker run -v taskloop-data-0:/data ...).
COPY --from=build --chown=10001:0 /out/ /
VOLUME /data

# Listen beyond loopback: the defaults (127.0.0.1) are for a developer's machine. Beyond
# loopback a node asks who calls: API keys from a file of their hashes, mounted from a Secret
# (k8s/keys-secret.example.yaml; docker run -v ./keys.json:/etc/taskloop/keys/keys.json:ro ...).
# Set TASKLOOP_AUTH=none to run open on purpose, or jwt with a public key.
ENV TASKLOOP_HTTP_HOST=0.0.0.0 \
    TASKLOOP_AUTH=keys \
    TASKLOOP_AUTH_KEYS_FILE=/etc/taskloop/keys/keys.json \
    TASKLOOP_CLUSTER_HOST=0.0.0.0 \
    TASKLOOP_CLUSTER_BUS_PORT=5702 \
    TASKLOOP_DATA_DIR=/data \
    HOME=/tmp \
    JDK_JAVA_OPTIONS="-XX:+UseZGC -XX:MaxRAMPercentage=75 -XX:InitialRAMPercentage=25 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"

# 8080: HTTP API and health probes. 5701: Hazelcast member-to-member traffic (clustered modes).
# 5702: the clustered event bus (requests between nodes; TLS with TASKLOOP_CLUSTER_TLS_*).
EXPOSE 8080 5701 5702

# No HEALTHCHECK: a JRE image has no curl or wget, and Kubernetes probes /health/live and
# /health/ready itself (k8s/statefulset.yaml). With plain Docker, check from the host:
#   curl -fsS localhost:8080/health/ready

# Exec form, so java is PID 1 and receives SIGTERM directly: its shutdown hook closes Vert.x,
# which hands this node's tasks to the other members before the JVM exits.
#
# Fixed flags are here; tuning flags go in JDK_JAVA_OPTIONS, which the java launcher reads
# itself (exec form has no shell to expand a $JAVA_OPTS). Set JDK_JAVA_OPTIONS to replace the
# defaults above. The --add-opens/--add-exports are Hazelcast's (pom.xml hazelcast.jvm.flags,
# which the jar's manifest also carries); stating them here keeps the image working whatever
# the manifest says.
ENTRYPOINT ["java", \
  "--add-opens", "java.base/java.lang=ALL-UNNAMED", \
  "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", \
  "--add-opens", "java.management/sun.management=ALL-UNNAMED", \
  "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED", \
  "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", \
  "-Dhazelcast.phone.home.enabled=false", \
  "-jar", "/app/taskloop.jar"]
