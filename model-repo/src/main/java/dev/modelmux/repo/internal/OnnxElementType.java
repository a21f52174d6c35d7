package dev.modelmux.repo.internal;

import dev.modelmux.repo.onnx.TensorProto;
import java.util.Optional;

/**
 * ONNX {@code TensorProto.DataType} element types with their storage rules: bits per element,
 * and which typed {@code *_data} field holds them when {@code raw_data} is not used.
 */
public enum OnnxElementType {
    UNDEFINED(0, 0, Field.NONE),
    FLOAT(1, 32, Field.FLOAT),
    UINT8(2, 8, Field.INT32),
    INT8(3, 8, Field.INT32),
    UINT16(4, 16, Field.INT32),
    INT16(5, 16, Field.INT32),
    INT32(6, 32, Field.INT32),
    INT64(7, 64, Field.INT64),
    STRING(8, 0, Field.STRING),
    BOOL(9, 8, Field.INT32),
    FLOAT16(10, 16, Field.INT32),
    DOUBLE(11, 64, Field.DOUBLE),
    UINT32(12, 32, Field.UINT64),
    UINT64(13, 64, Field.UINT64),
    COMPLEX64(14, 64, Field.FLOAT),
    COMPLEX128(15, 128, Field.DOUBLE),
    BFLOAT16(16, 16, Field.INT32),
    FLOAT8E4M3FN(17, 8, Field.INT32),
    FLOAT8E4M3FNUZ(18, 8, Field.INT32),
    FLOAT8E5M2(19, 8, Field.INT32),
    FLOAT8E5M2FNUZ(20, 8, Field.INT32),
    UINT4(21, 4, Field.INT32),
    INT4(22, 4, Field.INT32),
    FLOAT4E2M1(23, 4, Field.INT32),
    FLOAT8E8M0(24, 8, Field.INT32),
    UINT2(25, 2, Field.INT32),
    INT2(26, 2, Field.INT32);

    /** The typed repeated field of TensorProto that stores elements of a type. */
    public enum Field {
        NONE,
        FLOAT,
        INT32,
        INT64,
        STRING,
        DOUBLE,
        UINT64;

        /** How many values this field holds in {@code t}. */
        public int count(TensorProto t) {
            return switch (this) {
                case NONE -> 0;
                case FLOAT -> t.getFloatDataCount();
                case INT32 -> t.getInt32DataCount();
                case INT64 -> t.getInt64DataCount();
                case STRING -> t.getStringDataCount();
                case DOUBLE -> t.getDoubleDataCount();
                case UINT64 -> t.getUint64DataCount();
            };
        }
    }

    private static final OnnxElementType[] BY_NUMBER = new OnnxElementType[27];

    static {
        for (OnnxElementType t : values()) {
            BY_NUMBER[t.number] = t;
        }
    }

    private final int number;
    private final int bits;
    private final Field field;

    OnnxElementType(int number, int bits, Field field) {
        this.number = number;
        this.bits = bits;
        this.field = field;
    }

    public static Optional<OnnxElementType> of(int number) {
        return number >= 0 && number < BY_NUMBER.length ? Optional.of(BY_NUMBER[number]) : Optional.empty();
    }

    /** A name for messages: the ONNX name, or the number when it is not an ONNX type. */
    public static String describe(int number) {
        return of(number).map(Enum::name).orElse("unknown type " + number);
    }

    public int number() {
        return number;
    }

    public Field field() {
        return field;
    }

    /** Variable-length strings have no fixed size. */
    public boolean fixedSize() {
        return bits > 0;
    }

    /** Bytes that {@code elements} values occupy in raw_data (sub-byte types packed). */
    public long rawBytes(long elements) {
        long totalBits = Math.multiplyExact(elements, (long) bits);
        return totalBits / 8 + (totalBits % 8 == 0 ? 0 : 1);
    }

    /** How many values of {@link #field()} hold {@code elements} elements of this type. */
    public long typedCount(long elements) {
        return switch (field) {
            case FLOAT -> Math.multiplyExact(elements, bits / 32L);
            case DOUBLE -> Math.multiplyExact(elements, bits / 64L);
            case INT32 -> bits >= 8 ? elements : ceilDiv(elements, 8 / bits);
            case INT64, UINT64, STRING -> elements;
            case NONE -> 0;
        };
    }

    private static long ceilDiv(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }
}
