package dev.modelmux.repo;

import dev.modelmux.repo.config.ModelConfig;
import java.util.List;
import java.util.Optional;

/**
 * One model folder as scanned.
 *
 * @param config the parsed config.pbtxt; empty if there is none (derive from the graph) or it is broken
 * @param configError why config.pbtxt was rejected, naming the model, the file and the line
 * @param versions every numeric version folder holding the model file, ascending
 * @param servedVersions the versions the version policy selects, ascending (default: latest 1)
 * @param fingerprint changes whenever config.pbtxt or any version's file changes (size, mtime)
 */
public record ModelEntry(
        String name,
        Optional<ModelConfig> config,
        Optional<String> configError,
        List<VersionEntry> versions,
        List<Long> servedVersions,
        String fingerprint) {

    public ModelEntry {
        versions = List.copyOf(versions);
        servedVersions = List.copyOf(servedVersions);
    }

    public Optional<VersionEntry> version(long v) {
        return versions.stream().filter(e -> e.version() == v).findFirst();
    }

    /** One version folder: its model file's name, size and modification time. */
    public record VersionEntry(long version, String fileName, long sizeBytes, long lastModifiedMillis) {}
}
