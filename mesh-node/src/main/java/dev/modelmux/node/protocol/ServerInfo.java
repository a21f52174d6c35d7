package dev.modelmux.node.protocol;

import java.util.List;

/** What ServerMetadata reports. */
public record ServerInfo(String name, String version, List<String> extensions) {
    public static final List<String> EXTENSIONS = List.of("model_repository");

    public ServerInfo {
        extensions = List.copyOf(extensions);
    }
}
