# syntax=docker/dockerfile:1
# The modelmux node image: mesh-node.jar + lib/ on a Java 17 JRE, started exactly like
# `./modelmux serve` (same main class, same JVM flags, same settings: flags, MODELMUX_* variables
# or --config FILE). Built from the source tree, so `docker build` needs nothing but Docker:
#
#   docker build -t modelmux:0.1.0 .                                  # CPU, with the example repository
#   docker build -t modelmux:0.1.0-slim --build-arg EXAMPLE_REPO=false .   # CPU, no models inside
#   docker build -t modelmux:0.1.0-cuda --target gpu .                # NVIDIA GPUs (onnxruntime_gpu, -Pcuda)
#
# The Helm chart (charts/modelmux) runs this image; CI does not build it (no registry there).

ARG JRE_IMAGE=eclipse-temurin:17-jre-jammy
# CUDA 12 + cuDNN 9 runtime, what onnxruntime_gpu 1.23 is built against.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04

FROM maven:3.9-eclipse-temurin-17 AS source
WORKDIR /src
COPY . .
RUN mkdir -p /out/example-repo

FROM source AS build
# EXAMPLE_REPO=true bakes the example repository (MiniLM from Maven Central plus generated MLPs,
# about 400 MB) into the image: a node started without a repository serves it.
ARG EXAMPLE_REPO=true
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -DskipTests -DskipExampleRepo=$([ "$EXAMPLE_REPO" = true ] && echo false || echo true) -pl mesh-node -am package \
 && cp mesh-node/target/mesh-node.jar /out/ && cp -r mesh-node/target/lib /out/lib \
 && if [ "$EXAMPLE_REPO" = true ]; then cp -r mesh-node/target/example-repo/. /out/example-repo/; fi

FROM source AS build-cuda
ARG EXAMPLE_REPO=true
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -Pcuda -DskipTests -DskipExampleRepo=$([ "$EXAMPLE_REPO" = true ] && echo false || echo true) -pl mesh-node -am package \
 && cp mesh-node/target/mesh-node.jar /out/ && cp -r mesh-node/target/lib /out/lib \
 && if [ "$EXAMPLE_REPO" = true ]; then cp -r mesh-node/target/example-repo/. /out/example-repo/; fi

# GPU image: the CUDA runtime plus a Java 17 JRE from the distribution.
FROM ${CUDA_IMAGE} AS gpu
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 modelmux \
 && useradd --system --uid 10001 --gid modelmux --home-dir /var/lib/modelmux modelmux \
 && mkdir -p /var/lib/modelmux && chown modelmux:modelmux /var/lib/modelmux
COPY --from=build-cuda /out/ /opt/modelmux/
USER 10001:10001
WORKDIR /var/lib/modelmux
ENV MODELMUX_DATA_DIR=/var/lib/modelmux
# REST + /metrics, gRPC, Hazelcast.
EXPOSE 8000 8001 5701
# The JVM flags of ./modelmux (Hazelcast and ONNX Runtime on Java 17); JDK_JAVA_OPTIONS adds more.
ENTRYPOINT ["java", "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", \
  "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", \
  "--add-opens", "java.management/sun.management=ALL-UNNAMED", \
  "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED", \
  "-Dmodelmux.example.repo=/opt/modelmux/example-repo", \
  "-cp", "/opt/modelmux/mesh-node.jar:/opt/modelmux/lib/*", "dev.modelmux.node.ModelmuxMain"]
CMD ["serve"]

# CPU image (the default target).
FROM ${JRE_IMAGE} AS cpu
RUN groupadd --system --gid 10001 modelmux \
 && useradd --system --uid 10001 --gid modelmux --home-dir /var/lib/modelmux modelmux \
 && mkdir -p /var/lib/modelmux && chown modelmux:modelmux /var/lib/modelmux
COPY --from=build /out/ /opt/modelmux/
USER 10001:10001
WORKDIR /var/lib/modelmux
ENV MODELMUX_DATA_DIR=/var/lib/modelmux
EXPOSE 8000 8001 5701
ENTRYPOINT ["java", "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", \
  "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", \
  "--add-opens", "java.management/sun.management=ALL-UNNAMED", \
  "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED", \
  "-Dmodelmux.example.repo=/opt/modelmux/example-repo", \
  "-cp", "/opt/modelmux/mesh-node.jar:/opt/modelmux/lib/*", "dev.modelmux.node.ModelmuxMain"]
CMD ["serve"]
