package dev.modelmux.gpu;

/** What executes a model. */
public enum DeviceKind {
    /** Host memory under a configured budget; ONNX Runtime's CPU execution provider. */
    CPU,
    /** An NVIDIA GPU through ONNX Runtime's CUDA execution provider (needs onnxruntime_gpu). */
    CUDA
}
