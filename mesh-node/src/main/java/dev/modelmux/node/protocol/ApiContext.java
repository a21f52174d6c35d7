package dev.modelmux.node.protocol;

import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.catalog.ModelReadiness;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.metrics.InferStats;
import dev.modelmux.node.metrics.NodeMetrics;
import dev.modelmux.node.path.EdgeAdmission;
import dev.modelmux.node.path.InferencePath;
import dev.modelmux.node.security.AdminAuth;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** What both protocol front ends (gRPC and REST) share. */
public record ApiContext(
        ServerInfo info,
        ModelManager models,
        InferencePath path,
        AdminAuth admin,
        LongSupplier nanoClock,
        BooleanSupplier ready,
        Offload offload,
        ClusterLink cluster,
        EdgeAdmission tenants,
        NodeMetrics metrics,
        ModelReadiness readiness,
        InferStats stats,
        Forwarder peers) {}
