package dev.modelmux.node.protocol;

import java.util.List;

/** What ServerMetadata reports. */
public record ServerInfo(String name, String version, List<String> extensions) {
    /** Triton's names of the protocol extensions this server implements. */
    public static final List<String> EXTENSIONS = List.of(
            "model_repository",
            "model_configuration",
            "binary_tensor_data",
            "statistics",
            "classification",
            "schedule_policy",
            "parameters");

    public ServerInfo {
        extensions = List.copyOf(extensions);
    }
}
