package dev.modelmux.repo.internal;

import static dev.modelmux.repo.internal.ScanContext.quote;

import dev.modelmux.repo.ArtifactRejectedException;
import dev.modelmux.repo.onnx.SparseTensorProto;
import dev.modelmux.repo.onnx.StringStringEntryProto;
import dev.modelmux.repo.onnx.TensorProto;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * Checks that a tensor embedded in a model holds exactly the data its shape and type declare,
 * within the limits, and nothing outside the file.
 */
final class TensorChecker {
    private final ScanContext ctx;

    TensorChecker(ScanContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Checks a dense tensor and returns the bytes of its data.
     *
     * @param where what the tensor is, for messages ("initializer 'W0'")
     */
    long check(TensorProto t, String where) throws ArtifactRejectedException {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            throw externalData(t, where);
        }
        if (t.hasSegment()) {
            throw ctx.reject(where + " is segmented; segmented tensors are not supported");
        }
        OnnxElementType type = OnnxElementType.of(t.getDataType())
                .orElseThrow(() -> ctx.reject(where + " has unknown data type " + t.getDataType()));
        if (type == OnnxElementType.UNDEFINED) {
            throw ctx.reject(where + " has no data type");
        }
        long elements = elementCount(t.getDimsList(), where);
        requireOnlyField(t, type.field(), where);
        if (!type.fixedSize()) {
            return checkStrings(t, elements, where);
        }
        long declared;
        try {
            declared = type.rawBytes(elements);
        } catch (ArithmeticException e) {
            throw ctx.reject(where + ": its declared size overflows");
        }
        checkLimit(declared, where);
        if (!t.getRawData().isEmpty()) {
            if (type.field().count(t) > 0) {
                throw ctx.reject(where + " holds data both in raw_data and in a typed field");
            }
            if (t.getRawData().size() != declared) {
                throw ctx.reject(where + " declares " + elements + " " + type + " elements (" + declared
                        + " bytes) but holds " + t.getRawData().size() + " bytes of data");
            }
            return declared;
        }
        long present = type.field().count(t);
        long expected = type.typedCount(elements);
        if (present != expected) {
            throw ctx.reject(where + " declares " + elements + " " + type + " elements but holds " + present
                    + (present == 1 ? " value" : " values"));
        }
        return declared;
    }

    /** Checks a sparse tensor; returns the bytes of its dense form, which is what a runtime builds. */
    long checkSparse(SparseTensorProto s, String where) throws ArtifactRejectedException {
        if (!s.hasValues()) {
            throw ctx.reject(where + " has no values");
        }
        check(s.getValues(), where + " (values)");
        if (s.hasIndices()) {
            check(s.getIndices(), where + " (indices)");
        }
        long dense = elementCount(s.getDimsList(), where);
        OnnxElementType type = OnnxElementType.of(s.getValues().getDataType()).orElseThrow();
        if (!type.fixedSize()) {
            return 0;
        }
        long bytes;
        try {
            bytes = type.rawBytes(dense);
        } catch (ArithmeticException e) {
            throw ctx.reject(where + ": its declared size overflows");
        }
        checkLimit(bytes, where);
        return bytes;
    }

    /** Product of dims, each in [0, maxDimValue], overflow-checked. */
    long elementCount(List<Long> dims, String where) throws ArtifactRejectedException {
        long n = 1;
        for (long d : dims) {
            checkDim(d, where);
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw ctx.reject(where + ": the product of its dims overflows");
            }
        }
        return n;
    }

    void checkDim(long d, String where) throws ArtifactRejectedException {
        if (d < 0) {
            throw ctx.reject(where + " has a negative dim (" + d + ")");
        }
        if (d > ctx.limits.maxDimValue()) {
            throw ctx.reject(where + " has dim " + d + ", above the limit of " + ctx.limits.maxDimValue());
        }
    }

    private void checkLimit(long bytes, String where) throws ArtifactRejectedException {
        if (bytes > ctx.limits.maxTensorBytes()) {
            throw ctx.reject(where + " declares " + bytes + " bytes, above the limit of " + ctx.limits.maxTensorBytes()
                    + " bytes per tensor");
        }
    }

    private long checkStrings(TensorProto t, long elements, String where) throws ArtifactRejectedException {
        if (!t.getRawData().isEmpty()) {
            throw ctx.reject(where + " stores strings in raw_data, which ONNX does not allow");
        }
        if (t.getStringDataCount() != elements) {
            throw ctx.reject(where + " declares " + elements + " STRING elements but holds " + t.getStringDataCount());
        }
        long bytes = 0;
        for (int i = 0; i < t.getStringDataCount(); i++) {
            bytes += t.getStringData(i).size();
        }
        checkLimit(bytes, where);
        return bytes;
    }

    private void requireOnlyField(TensorProto t, OnnxElementType.Field expected, String where)
            throws ArtifactRejectedException {
        for (OnnxElementType.Field f : EnumSet.complementOf(EnumSet.of(expected, OnnxElementType.Field.NONE))) {
            if (f.count(t) > 0) {
                throw ctx.reject(where + " of type " + OnnxElementType.describe(t.getDataType())
                        + " holds data in the " + f.name().toLowerCase(Locale.ROOT)
                        + "_data field, which does not match its type");
            }
        }
    }

    private ArtifactRejectedException externalData(TensorProto t, String where) {
        String location = null;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            if (e.getKey().equals("location")) {
                location = e.getValue();
            }
        }
        if (location == null) {
            return ctx.reject(where + " uses external data without a location; external data is not supported");
        }
        if (escapesFolder(location)) {
            return ctx.reject(where + " points to external data outside the version folder; refused");
        }
        return ctx.reject(where + " keeps its data in an external file; external data is not supported yet:"
                + " weights must be embedded in the model file");
    }

    /** True when an external-data location is not a plain relative path inside the model's folder. */
    static boolean escapesFolder(String location) {
        if (location.isEmpty()
                || location.indexOf('\0') >= 0
                || location.indexOf(':') >= 0
                || location.startsWith("/")
                || location.startsWith("\\")
                || location.startsWith("~")) {
            return true;
        }
        for (String segment : location.split("[/\\\\]")) {
            if (segment.equals("..")) {
                return true;
            }
        }
        return false;
    }

    static String named(String kind, String name) {
        return name.isEmpty() ? kind : kind + " " + quote(name);
    }
}
