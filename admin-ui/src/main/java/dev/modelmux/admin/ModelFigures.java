package dev.modelmux.admin;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What the operators see of one model: its versions in the repository, its copies in the mesh, its
 * sizes, this node's figures for it, and its latest load and load failure.
 *
 * @param versions the repository's versions, as listed
 * @param repoState the repository's state of its newest version ({@code READY}, {@code UNAVAILABLE}...)
 * @param repoError why the repository cannot serve it, when that is an error (empty otherwise)
 * @param copies its copies, per version
 * @param predictedBytes the largest predicted footprint the mesh's catalog holds for it
 * @param measuredBytes the largest measured footprint the mesh's catalog holds for it
 * @param configPinned pinned by its config.pbtxt
 * @param adminPinned pinned by an operator
 * @param here this node's figures for the requests it received (empty before any)
 * @param lastLoad the newest {@code LOADED} event the timeline holds for it
 * @param lastFailure the newest {@code LOAD_FAILED} event the timeline holds for it
 * @param batchingHere this node's batching decisions for it (versions batching {@code auto}, per
 *     device it ran on recently)
 */
public record ModelFigures(
        String name,
        List<String> versions,
        String repoState,
        String repoError,
        List<MeshView.Version> copies,
        OptionalLong predictedBytes,
        OptionalLong measuredBytes,
        boolean configPinned,
        boolean adminPinned,
        Optional<Traffic> here,
        Optional<AdminEvent> lastLoad,
        Optional<AdminEvent> lastFailure,
        List<Batching> batchingHere) {
    public ModelFigures {
        batchingHere = List.copyOf(batchingHere);
        Objects.requireNonNull(name, "name");
        versions = List.copyOf(versions);
        repoState = repoState == null ? "" : repoState;
        repoError = repoError == null ? "" : repoError;
        copies = List.copyOf(copies);
        Objects.requireNonNull(predictedBytes, "predictedBytes");
        Objects.requireNonNull(measuredBytes, "measuredBytes");
        Objects.requireNonNull(here, "here");
        Objects.requireNonNull(lastLoad, "lastLoad");
        Objects.requireNonNull(lastFailure, "lastFailure");
    }

    /** Figures without batching decisions. */
    public ModelFigures(
            String name,
            List<String> versions,
            String repoState,
            String repoError,
            List<MeshView.Version> copies,
            OptionalLong predictedBytes,
            OptionalLong measuredBytes,
            boolean configPinned,
            boolean adminPinned,
            Optional<Traffic> here,
            Optional<AdminEvent> lastLoad,
            Optional<AdminEvent> lastFailure) {
        this(
                name,
                versions,
                repoState,
                repoError,
                copies,
                predictedBytes,
                measuredBytes,
                configPinned,
                adminPinned,
                here,
                lastLoad,
                lastFailure,
                List.of());
    }

    /**
     * Whether one version runs batched on one device of this node.
     *
     * @param decision {@code BATCH} or {@code SINGLE}
     * @param singleMicrosPerRow busy time per row unbatched, last measured; NaN before a measure
     * @param batchMicrosPerRow the same batched
     * @param reason the last decision in words
     */
    public record Batching(
            long version,
            String device,
            String decision,
            double singleMicrosPerRow,
            double batchMicrosPerRow,
            String reason) {}

    /** Requests per second and latency percentiles (milliseconds) over the last window. */
    public record Traffic(double ratePerSecond, OptionalDouble p50Millis, OptionalDouble p99Millis) {}
}
