package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * RepositoryIndex rows: one per model version, with Triton's states (READY, LOADING, UNLOADING,
 * UNAVAILABLE) and a reason for every version that is not READY.
 */
final class IndexView {
    private IndexView() {}

    static List<ModelManager.IndexEntry> rows(
            List<ModelRecord> records, List<DeviceSnapshot> devices, boolean readyOnly) {
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
            if (versions.isEmpty()) {
                out.add(new ModelManager.IndexEntry(
                        r.name(),
                        "",
                        "UNAVAILABLE",
                        r.configProblem().orElse("no version folder holds a model file"),
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
                    reason = f.reason();
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
}
