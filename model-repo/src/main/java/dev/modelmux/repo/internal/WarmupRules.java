package dev.modelmux.repo.internal;

import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelWarmup;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * model_warmup samples must describe a request the model accepts: every required config input,
 * each with the config's type and dims (concrete where the config says -1), a batch size the
 * config allows, generated data (zero or random), and a bounded size and repeat count.
 */
final class WarmupRules {
    static final int MAX_COUNT = 1000;
    static final long MAX_BYTES = 256L << 20;
    /** BYTES elements are counted at their length prefix; zero and random data are empty strings. */
    private static final int BYTES_ELEMENT_ESTIMATE = 4;

    private WarmupRules() {}

    static void check(ModelConfig c, ConfigProblems problems) {
        Map<String, ModelInput> inputs = new HashMap<>();
        c.getInputList().forEach(in -> inputs.put(in.getName(), in));
        for (int i = 0; i < c.getModelWarmupCount(); i++) {
            ModelWarmup w = c.getModelWarmup(i);
            ConfigPath at = ConfigPath.at("model_warmup", i);
            String label = "model_warmup "
                    + (w.getName().isEmpty() ? "#" + (i + 1) : "'" + ModelNames.printable(w.getName()) + "'");
            int batch = Math.max(1, w.getBatchSize());
            int maxBatch = Math.max(1, c.getMaxBatchSize());
            if (batch > maxBatch) {
                problems.add(
                        at.then("batch_size"),
                        label + ": batch_size " + w.getBatchSize() + " is above "
                                + (c.getMaxBatchSize() > 0
                                        ? "max_batch_size " + c.getMaxBatchSize()
                                        : "1 (max_batch_size is 0)"));
            }
            if (w.getCount() > MAX_COUNT) {
                problems.add(at.then("count"), label + ": count " + w.getCount() + " is above " + MAX_COUNT);
            }
            int index = 0;
            for (Map.Entry<String, ModelWarmup.Input> e : w.getInputsMap().entrySet()) {
                input(
                        label + " input '" + ModelNames.printable(e.getKey()) + "'",
                        at.then("inputs", index++),
                        inputs.get(e.getKey()),
                        e.getValue(),
                        batch,
                        problems);
            }
            for (ModelInput in : c.getInputList()) {
                if (!in.getOptional() && !w.getInputsMap().containsKey(in.getName())) {
                    problems.add(at, label + " gives no data for input '" + ModelNames.printable(in.getName()) + "'");
                }
            }
        }
    }

    private static void input(
            String label, ConfigPath at, ModelInput config, ModelWarmup.Input w, int batch, ConfigProblems problems) {
        if (config == null) {
            problems.add(at, label + " is not an input of the config");
            return;
        }
        switch (w.getInputDataTypeCase()) {
            case INPUT_DATA_FILE ->
                problems.add(at, label + ": input_data_file is not supported yet; use zero_data or random_data");
            case INPUTDATATYPE_NOT_SET -> problems.add(at, label + " must set zero_data or random_data");
            default -> {}
        }
        if (w.getDataType() != config.getDataType()) {
            problems.add(at, label + " is " + w.getDataType() + " but the config input is " + config.getDataType());
        }
        List<Long> want = config.getDimsList();
        List<Long> got = w.getDimsList();
        boolean fits = want.size() == got.size();
        for (int d = 0; fits && d < got.size(); d++) {
            fits = got.get(d) >= 1 && (want.get(d) == -1 || want.get(d).equals(got.get(d)));
        }
        if (!fits) {
            problems.add(
                    at,
                    label + " dims " + got + " do not fit the config input's dims " + want
                            + " (same rank, a positive size for each -1)");
            return;
        }
        long elements = batch;
        try {
            for (long d : got) {
                elements = Math.multiplyExact(elements, d);
            }
            int size = DataType.fromConfig(config.getDataType())
                    .map(DataType::byteSize)
                    .orElse(1);
            long bytes = Math.multiplyExact(elements, size > 0 ? size : BYTES_ELEMENT_ESTIMATE);
            if (bytes > MAX_BYTES) {
                throw new ArithmeticException();
            }
        } catch (ArithmeticException e) {
            problems.add(
                    at,
                    label + " dims " + got + " x batch " + batch + " are larger than the " + (MAX_BYTES >> 20)
                            + " MiB allowed for warm-up data");
        }
    }
}
