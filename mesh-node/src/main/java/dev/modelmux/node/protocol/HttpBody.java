package dev.modelmux.node.protocol;

import dev.modelmux.node.errors.ServingException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * An inference request body over HTTP as Triton's clients send it: optionally compressed
 * ({@code Content-Encoding: gzip} or {@code deflate}), then either one JSON object or, with the
 * binary tensor data extension, a JSON object of {@code Inference-Header-Content-Length} bytes followed
 * by the tensors' bytes.
 *
 * @param header the JSON request
 * @param binary the bytes after the JSON header (empty when there are none)
 */
public record HttpBody(JsonObject header, ByteBuffer binary) {
    /** The header Triton's binary tensor data extension puts the JSON part's length in. */
    public static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    /**
     * Decompresses (never past {@code maxBytes}) and splits {@code raw}.
     *
     * @throws ServingException INVALID_ARGUMENT naming what is wrong with the body or the headers;
     *     TOO_LARGE (413) when it inflates past {@code maxBytes}
     */
    public static HttpBody parse(Buffer raw, String contentEncoding, String headerLength, long maxBytes) {
        byte[] body = decompress(raw, contentEncoding, maxBytes);
        int jsonLength = body.length;
        if (headerLength != null) {
            String h = headerLength.trim();
            long n;
            if (h.isEmpty() || h.length() > 18 || !h.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw ServingException.invalid(
                        HEADER_LENGTH + " must be a non-negative integer (the JSON part's length in bytes), was '"
                                + (h.length() > 32 ? h.substring(0, 32) + "..." : h) + "'");
            }
            n = Long.parseLong(h);
            if (n > body.length) {
                throw ServingException.invalid(HEADER_LENGTH + " " + n + " is longer than the "
                        + (contentEncoding == null ? "" : "decompressed ") + "body (" + body.length + " bytes)");
            }
            jsonLength = (int) n;
        }
        JsonObject json;
        try {
            json = jsonLength == 0 ? null : JsonBodyParser.parse(body, 0, jsonLength);
        } catch (DecodeException | ClassCastException e) {
            throw ServingException.invalid(
                    headerLength == null
                            ? "request body is not a JSON object"
                            : "the first " + jsonLength + " bytes of the body (" + HEADER_LENGTH
                                    + ") are not a JSON object");
        }
        if (json == null) {
            throw ServingException.invalid("request body is empty; send a JSON object with 'inputs'");
        }
        return new HttpBody(
                json,
                ByteBuffer.wrap(body, jsonLength, body.length - jsonLength).slice());
    }

    static byte[] decompress(Buffer raw, String contentEncoding, long maxBytes) {
        String enc =
                contentEncoding == null ? "identity" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        if (enc.isEmpty() || enc.equals("identity")) {
            return raw.getBytes();
        }
        if (!enc.equals("gzip") && !enc.equals("deflate")) {
            throw ServingException.invalid("Content-Encoding '" + (enc.length() > 32 ? enc.substring(0, 32) : enc)
                    + "' is not supported; use gzip, deflate or identity");
        }
        try (InputStream in = enc.equals("gzip")
                ? new GZIPInputStream(new ByteArrayInputStream(raw.getBytes()), 8192)
                : new InflaterInputStream(new ByteArrayInputStream(raw.getBytes()))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(maxBytes, raw.length() * 4L + 64));
            byte[] chunk = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(chunk)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new ServingException(
                            ServingException.Code.TOO_LARGE,
                            "request body inflates past the server's maximum of " + maxBytes + " bytes (" + enc
                                    + "); send less or raise max-message-size");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw ServingException.invalid("request body is not valid " + enc + " data");
        }
    }
}
