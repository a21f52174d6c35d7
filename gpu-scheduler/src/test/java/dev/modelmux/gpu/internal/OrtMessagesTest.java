package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OrtMessagesTest {

    @Test
    void dropsNativeLocationAndSignature() {
        String ort =
                "Error code - ORT_FAIL - message: /onnxruntime_src/onnxruntime/core/session/inference_session.cc:510 "
                        + "void onnxruntime::InferenceSession::ConstructorCommon(const onnxruntime::SessionOptions&, "
                        + "const onnxruntime::Environment&) session_env.EnvCreatedWithGlobalThreadPools() was false.";
        assertThat(OrtMessages.sanitize(ort)).isEqualTo("session_env.EnvCreatedWithGlobalThreadPools() was false.");
    }

    @Test
    void keepsShapeExplanationsOnOneLine() {
        String ort = "Error code - ORT_INVALID_ARGUMENT - message: Got invalid dimensions for input: input for the "
                + "following indices\n index: 1 Got: 4 Expected: 3\n Please fix either the inputs/outputs or the model.";
        assertThat(OrtMessages.sanitize(ort))
                .isEqualTo("Got invalid dimensions for input: input for the following "
                        + "indices index: 1 Got: 4 Expected: 3 Please fix either the inputs/outputs or the model.");
    }

    @Test
    void replacesPathsAndUris() {
        assertThat(OrtMessages.sanitize("cannot open /srv/models/secret/1/model.onnx (No such file)"))
                .isEqualTo("cannot open <path> (No such file)");
        assertThat(OrtMessages.sanitize("bad zip:file:///data/repo.zip!/m/1/model.onnx here"))
                .isEqualTo("bad <path> here");
        assertThat(OrtMessages.sanitize("load failed: models/m/1/model.onnx")).isEqualTo("load failed: <path>");
        assertThat(OrtMessages.sanitize("at C:\\models\\m\\model.onnx")).isEqualTo("at <path>");
        assertThat(OrtMessages.sanitize("see ../x/y")).isEqualTo("see <path>");
        assertThat(OrtMessages.sanitize("shape [1, 16] and ratio 1/2")).isEqualTo("shape [1, 16] and ratio 1/2");
    }

    @Test
    void boundsTheLength() {
        assertThat(OrtMessages.sanitize("x".repeat(5000)))
                .hasSize(OrtMessages.MAX_LENGTH)
                .endsWith("...");
        assertThat(OrtMessages.of(new IllegalStateException())).isEqualTo("IllegalStateException");
    }
}
