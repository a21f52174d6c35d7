package dev.modelmux.node.mesh;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where peers reach this node's gRPC port: the advertised address when one is set, else the bind
 * address; for a node bound to every interface ({@code 0.0.0.0}) in a mesh of several nodes, a routable
 * address of this machine (never {@code 127.0.0.1}, which would send peers' forwards to themselves).
 */
public final class Advertised {
    private Advertised() {}

    /**
     * @param advertise {@code advertise-address} (host or host:port, IPv6 in brackets), if set
     * @param bindHost the servers' bind address
     * @param manyNodes whether the node may have peers (peers or Kubernetes discovery configured)
     * @param addresses this machine's addresses, for a node bound to every interface
     * @throws IllegalArgumentException naming {@code advertise-address} when no routable address is found
     */
    public static String host(
            Optional<String> advertise, String bindHost, boolean manyNodes, Supplier<List<InetAddress>> addresses) {
        if (advertise.isPresent()) {
            String a = advertise.get();
            return a.startsWith("[")
                    ? a.substring(0, a.indexOf(']') + 1)
                    : a.contains(":") ? a.substring(0, a.indexOf(':')) : a;
        }
        boolean wildcard = bindHost.equals("0.0.0.0") || bindHost.equals("::") || bindHost.equals("[::]");
        if (!wildcard) {
            return bindHost;
        }
        if (!manyNodes) {
            return "127.0.0.1";
        }
        List<InetAddress> all = addresses.get();
        Optional<InetAddress> pick = all.stream()
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst()
                .or(() -> all.stream()
                        .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                        .findFirst());
        return pick.map(a -> a instanceof Inet4Address ? a.getHostAddress() : "[" + a.getHostAddress() + "]")
                .orElseThrow(() -> new IllegalArgumentException("advertise-address: this node binds every interface"
                        + " and has peers, but found no routable address to give them; set advertise-address"));
    }

    /** The addresses of this machine's interfaces that are up. */
    public static List<InetAddress> machineAddresses() {
        List<InetAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp()) {
                    out.addAll(Collections.list(nic.getInetAddresses()));
                }
            }
        } catch (SocketException e) {
            // No interfaces readable: the caller refuses to guess.
        }
        return out;
    }
}
