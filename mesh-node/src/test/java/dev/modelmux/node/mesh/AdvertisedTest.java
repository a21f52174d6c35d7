package dev.modelmux.node.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdvertisedTest {
    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void anAdvertisedAddressOrTheBindAddressWins() {
        assertThat(Advertised.host(Optional.of("10.1.2.3:8001"), "0.0.0.0", true, List::of))
                .isEqualTo("10.1.2.3");
        assertThat(Advertised.host(Optional.of("[fd00::1]:8001"), "0.0.0.0", true, List::of))
                .isEqualTo("[fd00::1]");
        assertThat(Advertised.host(Optional.empty(), "10.0.0.7", true, List::of))
                .isEqualTo("10.0.0.7");
    }

    @Test
    void aNodeAloneBoundToEveryInterfaceAdvertisesLoopback() {
        assertThat(Advertised.host(Optional.empty(), "0.0.0.0", false, List::of))
                .isEqualTo("127.0.0.1");
    }

    @Test
    void aMeshNodeBoundToEveryInterfaceAdvertisesARoutableAddressNeverLoopback() throws Exception {
        List<InetAddress> nics = List.of(ip("127.0.0.1"), ip("169.254.3.4"), ip("fd00::9"), ip("10.42.0.5"));
        assertThat(Advertised.host(Optional.empty(), "0.0.0.0", true, () -> nics))
                .isEqualTo("10.42.0.5");
        assertThat(Advertised.host(Optional.empty(), "0.0.0.0", true, () -> List.of(ip("127.0.0.1"), ip("fd00::9"))))
                .isEqualTo("[fd00:0:0:0:0:0:0:9]");
        assertThatThrownBy(() -> Advertised.host(Optional.empty(), "0.0.0.0", true, () -> List.of(ip("127.0.0.1"))))
                .hasMessageStartingWith("advertise-address:");
    }
}
