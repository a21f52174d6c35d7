package dev.modelmux.repo;

import java.util.Locale;
import java.util.Optional;

/**
 * Tensor element types, with their names in the three vocabularies modelmux speaks:
 * the Open Inference Protocol ({@code "FP32"}), Triton's config ({@code TYPE_FP32}) and
 * ONNX's {@code TensorProto.DataType} element type numbers.
 */
public enum DataType {
    BOOL(1, inference(1), 9),
    UINT8(1, inference(2), 2),
    UINT16(2, inference(3), 4),
    UINT32(4, inference(4), 12),
    UINT64(8, inference(5), 13),
    INT8(1, inference(6), 3),
    INT16(2, inference(7), 5),
    INT32(4, inference(8), 6),
    INT64(8, inference(9), 7),
    FP16(2, inference(10), 10),
    FP32(4, inference(11), 1),
    FP64(8, inference(12), 11),
    /** Variable-length byte strings; Triton's TYPE_STRING, ONNX's STRING. */
    BYTES(-1, inference(13), 8),
    BF16(2, inference(14), 16);

    private final int byteSize;
    private final dev.modelmux.repo.config.DataType configType;
    private final int onnxElemType;

    DataType(int byteSize, dev.modelmux.repo.config.DataType configType, int onnxElemType) {
        this.byteSize = byteSize;
        this.configType = configType;
        this.onnxElemType = onnxElemType;
    }

    private static dev.modelmux.repo.config.DataType inference(int number) {
        return dev.modelmux.repo.config.DataType.forNumber(number);
    }

    /** Bytes per element, or -1 for {@link #BYTES}, whose elements vary in length. */
    public int byteSize() {
        return byteSize;
    }

    public boolean fixedSize() {
        return byteSize > 0;
    }

    /** The Open Inference Protocol name, e.g. {@code FP32}. */
    public String protocolName() {
        return name();
    }

    public dev.modelmux.repo.config.DataType configType() {
        return configType;
    }

    public int onnxElemType() {
        return onnxElemType;
    }

    /** Parses an Open Inference Protocol datatype name (case-sensitive as the protocol says). */
    public static Optional<DataType> fromProtocol(String name) {
        if (name == null) {
            return Optional.empty();
        }
        for (DataType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public static Optional<DataType> fromConfig(dev.modelmux.repo.config.DataType type) {
        for (DataType t : values()) {
            if (t.configType == type) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public static Optional<DataType> fromOnnx(int elemType) {
        for (DataType t : values()) {
            if (t.onnxElemType == elemType) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name().toUpperCase(Locale.ROOT);
    }
}
