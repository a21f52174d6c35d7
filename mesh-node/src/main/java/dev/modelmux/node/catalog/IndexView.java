package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * RepositoryIndex rows: one per model version, with Triton's states (READY, LOADING, UNLOADING,
 * UNAVAILABLE) and a reason for every version that is not READY; a model whose view is stale (the
 * repository could not be read) says so on every row, READY ones included.
 */
final class IndexView {
    private IndexView() {}

    static List<ModelManager.IndexEntry> rows(
            List<ModelRecord> records, List<DeviceSnapshot> devices, boolean readyOnly) {
        return rows(records, devices, readyOnly, name -> Optional.empty());
    }

    /** @param stale why a model's view is stale ("repository read failed: ..."), empty when it is current */
    static List<ModelManager.IndexEntry> rows(
            List<ModelRecord> records,
            List<DeviceSnapshot> devices,
            boolean readyOnly,
            Function<String, Optional<String>> stale) {
        Map<ModelKey, DeviceSnapshot.State> states = new HashMap<>();
        for (DeviceSnapshot d : devices) {
            for (DeviceSnapshot.Resident res : d.residents()) {
                states.put(res.key(), res.state());
            }
        }
        List<ModelManager.IndexEntry> out = new ArrayList<>();
        records = new ArrayList<>(records);
        records.sort(Comparator.comparing(ModelRecord::name));
        for (ModelRecord r : records) {
            TreeSet<Long> versions = new TreeSet<>();
            r.scanned().versions().forEach(v -> versions.add(v.version()));
            versions.addAll(r.served());
            Optional<String> staleReason = stale.apply(r.name());
            if (versions.isEmpty()) {
                out.add(new ModelManager.IndexEntry(
                        r.name(),
                        "",
                        "UNAVAILABLE",
                        with(r.configProblem().orElse("no version folder holds a model file"), staleReason),
                        ""));
                continue;
            }
            for (long v : versions) {
                DeviceSnapshot.State s = states.get(new ModelKey(r.name(), v));
                String state;
                String reason = "";
                ModelRecord.Failure f = r.failures().get(v);
                if (s == DeviceSnapshot.State.READY) {
                    state = "READY";
                } else if (s == DeviceSnapshot.State.LOADING) {
                    state = "LOADING";
                } else if (s == DeviceSnapshot.State.UNLOADING) {
                    state = "UNLOADING";
                } else if (f != null) {
                    state = "UNAVAILABLE";
                    reason = f.permanent()
                            ? f.reason()
                            : f.reason() + "; tried again with backoff (" + f.attempts() + " failed in a row);"
                                    + " a peer holding it serves it meanwhile";
                } else if (!r.served().contains(v)) {
                    state = "UNAVAILABLE";
                    reason = "not selected by the version policy";
                } else if (r.config().isEmpty() && r.configProblem().isPresent()) {
                    state = "UNAVAILABLE";
                    reason = r.configProblem().get();
                } else {
                    state = "UNAVAILABLE";
                    reason = "unloaded; loads on first request";
                }
                if (r.configProblem().isPresent() && reason.isEmpty()) {
                    reason = r.configProblem().get();
                }
                reason = with(reason, staleReason);
                if (!readyOnly || state.equals("READY")) {
                    out.add(new ModelManager.IndexEntry(
                            r.name(),
                            Long.toString(v),
                            state,
                            reason,
                            r.sha256().getOrDefault(v, "")));
                }
            }
        }
        return out;
    }

    private static String with(String reason, Optional<String> stale) {
        if (stale.isEmpty()) {
            return reason;
        }
        return reason.isEmpty() ? stale.get() : stale.get() + "; " + reason;
    }
}
