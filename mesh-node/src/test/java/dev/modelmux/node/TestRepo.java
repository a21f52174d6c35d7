package dev.modelmux.node;

import dev.modelmux.repo.OnnxModelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;

/** Builds Triton-style model repositories in a folder, with real ONNX models. */
public final class TestRepo {
    public final Path root;

    public TestRepo(Path root) {
        this.root = root;
    }

    /** An MLP {@code input FP32 [-1, in] -> output FP32 [-1, out]} with a config (max_batch_size 8). */
    public TestRepo mlp(String name, long version, int in, int out, long weightBytes, long seed) {
        config(name, mlpConfig(name, in, out, 8));
        return file(name, version, mlpBytes(in, out, weightBytes, seed));
    }

    public static byte[] mlpBytes(int in, int out, long weightBytes, long seed) {
        return OnnxModelBuilder.mlp()
                .inputDim(in)
                .outputDim(out)
                .depth(1)
                .weightBytes(weightBytes)
                .seed(seed)
                .build();
    }

    public static String mlpConfig(String name, int in, int out, int maxBatch) {
        return "name: \"" + name + "\"\n"
                + "platform: \"onnxruntime_onnx\"\n"
                + "max_batch_size: " + maxBatch + "\n"
                + "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ " + in + " ] } ]\n"
                + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ " + out + " ] } ]\n";
    }

    public TestRepo config(String name, String text) {
        write(root.resolve(name).resolve("config.pbtxt"), text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Another file in the model's folder (a label file, say). */
    public TestRepo extra(String name, String fileName, String text) {
        write(root.resolve(name).resolve(fileName), text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return this;
    }

    public TestRepo file(String name, long version, byte[] bytes) {
        write(root.resolve(name).resolve(Long.toString(version)).resolve("model.onnx"), bytes);
        return this;
    }

    public TestRepo copy(String name, long version, Path source) {
        try {
            Path target = root.resolve(name).resolve(Long.toString(version)).resolve("model.onnx");
            Files.createDirectories(target.getParent());
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            boolean existed = Files.exists(file);
            FileTime before = existed ? Files.getLastModifiedTime(file) : null;
            Files.write(file, bytes);
            if (existed) {
                // Make the change visible to scans even within one timestamp tick.
                Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 2000));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The MiniLM-q model unpacked by the build from its Maven Central jar. */
    static Path minilmQ() {
        String dir = System.getProperty("modelmux.test.models");
        if (dir == null) {
            throw new IllegalStateException("system property modelmux.test.models is not set (run through Maven)");
        }
        return Path.of(dir, "all-minilm-l6-v2-q.onnx");
    }

    /** The full-precision MiniLM (batch-invariant, unlike the dynamically quantized one). */
    static Path minilm() {
        return minilmQ().resolveSibling("all-minilm-l6-v2.onnx");
    }

    static String minilmConfig(String name) {
        return "name: \"" + name + "\"\n"
                + "platform: \"onnxruntime_onnx\"\n"
                + "max_batch_size: 8\n"
                + "input [\n"
                + "  { name: \"input_ids\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                + "  { name: \"attention_mask\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                + "  { name: \"token_type_ids\" data_type: TYPE_INT64 dims: [ -1 ] }\n"
                + "]\n";
    }
}
