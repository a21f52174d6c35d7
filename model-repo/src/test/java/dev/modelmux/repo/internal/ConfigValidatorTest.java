package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.repo.ModelConfigException;
import dev.modelmux.repo.ModelConfigs;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each validation rule, through {@link ModelConfigs#parse} as the repository calls it. */
class ConfigValidatorTest {
    private static final String INPUT = "input { name: \"x\" data_type: TYPE_FP32 dims: [ 16 ] }\n";

    static Stream<Arguments> rejected() {
        return Stream.of(
                // identity
                Arguments.of("name: \"other\"", "name 'other' does not match the model folder 'm'"),
                Arguments.of(
                        "platform: \"tensorrt_plan\"",
                        "platform 'tensorrt_plan' is not served: modelmux serves ONNX models"),
                Arguments.of("backend: \"python\"", "backend 'python' is not served"),
                Arguments.of("platform: \"onnxruntime_onnx\" backend: \"pytorch\"", "backend 'pytorch' is not served"),
                Arguments.of("runtime: \"libtriton_onnxruntime.so\"", "runtime is not supported"),
                Arguments.of("max_batch_size: -1", "max_batch_size must be >= 0, was -1"),
                // tensors
                Arguments.of("input { data_type: TYPE_FP32 dims: [1] }", "input #1 has no name"),
                Arguments.of(INPUT + INPUT, "input 'x' is declared twice"),
                Arguments.of("input { name: \"x\" data_type: TYPE_FP32 dims: [ 0 ] }", "input 'x' dim 0 is 0"),
                Arguments.of("input { name: \"x\" data_type: 99 dims: [ 1 ] }", "input 'x' has an unknown data_type"),
                Arguments.of("output { name: \"y\" dims: [ 1 ] }", "output 'y' has no data_type (TYPE_INVALID)"),
                Arguments.of("output { name: \"y\" data_type: TYPE_FP32 dims: [ -3 ] }", "output 'y' dim 0 is -3"),
                Arguments.of(
                        "output [{ name: \"y\" data_type: TYPE_FP32 }, { name: \"y\" data_type: TYPE_FP32 }]",
                        "output 'y' is declared twice"),
                Arguments.of(
                        "input { name: \"x\" data_type: TYPE_FP32 dims: [4] reshape { shape: [2, 2] } }",
                        "input 'x': reshape is not supported"),
                Arguments.of(
                        "input { name: \"x\" data_type: TYPE_INT32 dims: [1] is_shape_tensor: true }",
                        "is_shape_tensor applies to TensorRT models only"),
                Arguments.of(
                        "output { name: \"y\" data_type: TYPE_FP32 dims: [1] is_non_linear_format_io: true }",
                        "is_non_linear_format_io applies to TensorRT models only"),
                // versions
                Arguments.of("version_policy { latest { } }", "version_policy latest: num_versions must be >= 1"),
                Arguments.of("version_policy { specific { } }", "version_policy specific lists no versions"),
                Arguments.of("version_policy { specific { versions: [1, 0] } }", "version 0 is invalid"),
                // instances
                Arguments.of("instance_group { count: -1 }", "instance_group #1: count must be >= 0, was -1"),
                Arguments.of(
                        "instance_group { name: \"g\" kind: KIND_CPU gpus: [0] }",
                        "instance_group 'g': gpus cannot be given for KIND_CPU"),
                Arguments.of("instance_group { gpus: [-1] }", "gpu -1 is invalid"),
                Arguments.of("instance_group { kind: 9 }", "instance_group #1: unknown kind"),
                Arguments.of("instance_group { passive: true }", "passive instances are not supported"),
                Arguments.of("instance_group { profile: \"0\" }", "profile applies to TensorRT models only"),
                Arguments.of(
                        "instance_group { secondary_devices { device_id: 0 } }", "secondary_devices apply to TensorRT"),
                Arguments.of(
                        "instance_group [{ count: 100 }, { count: 29 }]",
                        "instance_group counts add up to 129; at most 128"),
                // scheduling
                Arguments.of("dynamic_batching { }", "dynamic_batching needs max_batch_size > 0"),
                Arguments.of(
                        "max_batch_size: 8 dynamic_batching { preferred_batch_size: [4, 16] }",
                        "preferred_batch_size 16 is above max_batch_size 8"),
                Arguments.of(
                        "max_batch_size: 8 dynamic_batching { preferred_batch_size: [0] }",
                        "preferred_batch_size 0 must be >= 1"),
                Arguments.of(
                        "max_batch_size: 8 dynamic_batching { priority_levels: 2 default_priority_level: 3 }",
                        "default_priority_level must be in [1, 2], was 3"),
                Arguments.of(
                        "max_batch_size: 8 dynamic_batching { default_priority_level: 1 }",
                        "default_priority_level needs priority_levels"),
                Arguments.of(
                        "max_batch_size: 8 dynamic_batching { priority_levels: 2 default_priority_level: 1"
                                + " priority_queue_policy { key: 5 value { } } }",
                        "priority_queue_policy for level 5 is outside"),
                Arguments.of("max_batch_size: 8 sequence_batching { }", "sequence_batching is not supported"),
                Arguments.of(
                        "ensemble_scheduling { step { model_name: \"a\" } }", "ensemble_scheduling is not supported"),
                // parameters
                Arguments.of(
                        "parameters { key: \"memory_bytes\" value { string_value: \"lots\" } }",
                        "parameter memory_bytes must be a positive number of bytes, was 'lots'"),
                Arguments.of(
                        "parameters { key: \"memory_bytes\" value { string_value: \"0\" } }",
                        "memory_bytes must be a positive"),
                Arguments.of(
                        "parameters { key: \"memory_bytes\" value { string_value: \"99999999999999999999\" } }",
                        "memory_bytes must be a positive"),
                Arguments.of(
                        "parameters { key: \"pinned\" value { string_value: \"1\" } }",
                        "parameter pinned must be \"true\" or \"false\""),
                Arguments.of(
                        "parameters { key: \"hedging\" value { string_value: \"off\" } }",
                        "parameter hedging must be \"true\" or \"false\", was 'off'"),
                Arguments.of(
                        "parameters { key: \"batching\" value { string_value: \"yes\" } }",
                        "parameter batching must be \"auto\" (batch where it measures faster on the device),"
                                + " \"always\" or \"never\", was 'yes'"),
                Arguments.of(
                        "parameters { key: \"min_copies\" value { string_value: \"two\" } }",
                        "parameter min_copies must be a whole number in [0, 2147483647], was 'two'"),
                Arguments.of(
                        "parameters { key: \"max_copies\" value { string_value: \"-1\" } }",
                        "parameter max_copies must be a whole number in [0, 2147483647], was '-1'"),
                Arguments.of(
                        "parameters { key: \"idle_ttl_seconds\" value { string_value: \"3000000000\" } }",
                        "parameter idle_ttl_seconds must be a whole number in [0, 2147483647], was '3000000000'"),
                Arguments.of(
                        "parameters [ { key: \"min_copies\" value { string_value: \"3\" } },"
                                + " { key: \"max_copies\" value { string_value: \"2\" } } ]",
                        "parameter min_copies (3) is more than max_copies (2)"),
                // file names
                Arguments.of(
                        "default_model_filename: \"../x.onnx\"",
                        "default_model_filename '../x.onnx' must be a plain file name"),
                Arguments.of("default_model_filename: \"a/model.onnx\"", "must be a plain file name"),
                Arguments.of("default_model_filename: \"%2e%2e\"", "must be a plain file name"),
                Arguments.of(
                        "cc_model_filenames { key: \"8.0\" value: \"/etc/x\" }",
                        "cc_model_filenames '/etc/x' must be a plain"),
                // unsupported features
                Arguments.of(
                        "model_operations { op_library_filename: \"libcustom.so\" }",
                        "custom-op libraries are never loaded from a repository"),
                Arguments.of(
                        "model_repository_agents { agents { name: \"checksum\" } }",
                        "model_repository_agents are not supported"),
                Arguments.of("model_transaction_policy { decoupled: true }", "decoupled models are not supported"),
                Arguments.of(
                        "batch_input { kind: BATCH_ELEMENT_COUNT target_name: \"n\" }", "batch_input is not supported"),
                Arguments.of("batch_output { target_name: \"n\" }", "batch_output is not supported"),
                Arguments.of(
                        "optimization { execution_accelerators { gpu_execution_accelerator { name: \"magic\" } } }",
                        "unknown gpu_execution_accelerator 'magic' (known: cuda, tensorrt)"),
                Arguments.of(
                        "optimization { execution_accelerators { cpu_execution_accelerator { name: \"tensorrt\" } } }",
                        "unknown cpu_execution_accelerator 'tensorrt'"),
                // warm-up
                Arguments.of(
                        INPUT
                                + "model_warmup { name: \"w\" inputs { key: \"z\" value { data_type: TYPE_FP32 dims: [16] zero_data: true } } }",
                        "model_warmup 'w' input 'z' is not an input of the config"),
                Arguments.of(INPUT + "model_warmup { name: \"w\" }", "model_warmup 'w' gives no data for input 'x'"),
                Arguments.of(
                        INPUT
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_INT64 dims: [16] zero_data: true } } }",
                        "model_warmup #1 input 'x' is TYPE_INT64 but the config input is TYPE_FP32"),
                Arguments.of(
                        INPUT
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [8] zero_data: true } } }",
                        "model_warmup #1 input 'x' dims [8] do not fit the config input's dims [16]"),
                Arguments.of(
                        INPUT
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [16, 1] zero_data: true } } }",
                        "do not fit"),
                Arguments.of(
                        "input { name: \"x\" data_type: TYPE_FP32 dims: [ -1 ] }\n"
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [-1] zero_data: true } } }",
                        "(same rank, a positive size for each -1)"),
                Arguments.of(
                        INPUT + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [16] } } }",
                        "must set zero_data or random_data"),
                Arguments.of(
                        INPUT
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [16] input_data_file: \"x.bin\" } } }",
                        "input_data_file is not supported yet"),
                Arguments.of(
                        INPUT
                                + "model_warmup { batch_size: 2 inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [16] zero_data: true } } }",
                        "batch_size 2 is above 1 (max_batch_size is 0)"),
                Arguments.of(
                        "max_batch_size: 4\n" + INPUT
                                + "model_warmup { batch_size: 5 inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [16] zero_data: true } } }",
                        "batch_size 5 is above max_batch_size 4"),
                Arguments.of(
                        INPUT
                                + "model_warmup { count: 5000 inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [16] zero_data: true } } }",
                        "count 5000 is above 1000"),
                Arguments.of(
                        "input { name: \"x\" data_type: TYPE_FP32 dims: [ -1, -1 ] }\n"
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [100000, 100000] zero_data: true } } }",
                        "are larger than the 256 MiB allowed for warm-up data"),
                Arguments.of(
                        "input { name: \"x\" data_type: TYPE_FP32 dims: [ -1, -1, -1 ] }\n"
                                + "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [4294967296, 4294967296, 4294967296] zero_data: true } } }",
                        "are larger than"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("rejected")
    void rejects(String text, String message) {
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", text))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageStartingWith("model 'm': config.pbtxt")
                .hasMessageContaining(message);
    }

    static Stream<String> accepted() {
        return Stream.of(
                "name: \"m\" platform: \"onnxruntime_onnx\"",
                "backend: \"onnxruntime\"",
                "max_batch_size: 0",
                "input { name: \"x\" data_type: TYPE_STRING dims: [ -1 ] optional: true allow_ragged_batch: true format: FORMAT_NHWC }",
                "max_batch_size: 8 input { name: \"x\" data_type: TYPE_BF16 }",
                "version_policy { all { } }",
                "version_policy { specific { versions: [1, 3] } }",
                "version_policy { latest { num_versions: 3 } }",
                "instance_group [{ count: 0 }, { kind: KIND_MODEL }, { kind: KIND_GPU gpus: [0, 1] count: 2 host_policy: \"p\" }]",
                "instance_group [{ count: 100 }, { count: 28 }]",
                "max_batch_size: 8 dynamic_batching { preferred_batch_size: [2, 8] max_queue_delay_microseconds: 500 }",
                "max_batch_size: 8 dynamic_batching { priority_levels: 3 default_priority_level: 2 priority_queue_policy { key: 3 value { } } }",
                "parameters { key: \"pinned\" value { string_value: \"True\" } }",
                "parameters { key: \"anything\" value { string_value: \"x\" } }",
                "default_model_filename: \"model_fp16.onnx\"",
                "optimization { graph { level: -1 } execution_accelerators { gpu_execution_accelerator [{ name: \"cuda\" }] } }",
                "response_cache { enable: true } model_transaction_policy { decoupled: false } metric_tags { key: \"a\" value: \"b\" }",
                "model_metrics { metric_control { metric_identifier { family: \"nv_inference_request_duration\" }"
                        + " histogram_options { buckets: [0.1, 1, 10] } } }",
                "max_batch_size: 4 input { name: \"x\" data_type: TYPE_FP32 dims: [ -1, 3 ] }\n"
                        + "input { name: \"o\" data_type: TYPE_FP32 dims: [ 1 ] optional: true }\n"
                        + "model_warmup { batch_size: 4 count: 2 inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [7, 3] random_data: true } } }",
                "input { name: \"s\" data_type: TYPE_STRING dims: [ 2 ] }\n"
                        + "model_warmup { inputs { key: \"s\" value { data_type: TYPE_STRING dims: [2] zero_data: true } } }");
    }

    @ParameterizedTest
    @MethodSource("accepted")
    void accepts(String text) {
        assertThatCode(() -> ModelConfigs.parse("m", "config.pbtxt", text)).doesNotThrowAnyException();
    }
}
