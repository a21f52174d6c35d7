package dev.modelmux.node.internal;

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
    NodeMetrics metrics) {}
