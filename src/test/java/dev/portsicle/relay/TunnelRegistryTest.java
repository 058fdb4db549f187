package dev.portsicle.relay;

import dev.portsicle.protocol.StreamHeaders;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The routing table's memory of tunnels whose agent went away: for a while, in bounded space. */
class TunnelRegistryTest {
    private final AtomicLong now = new AtomicLong();
    private final TunnelRegistry registry = new TunnelRegistry(Duration.ofMinutes(10), 3, now::get);

    @Test
    void anUnboundHttpTunnelIsAwayUntilItComesBackOrIsForgotten() {
        Tunnel tunnel = http("aaaaaaaaaaaaa");
        assertThat(registry.isAway(tunnel.id())).as("never bound").isFalse();
        registry.bind(tunnel);
        assertThat(registry.isAway(tunnel.id())).as("bound").isFalse();
        registry.unbind(tunnel);
        assertThat(registry.isAway(tunnel.id())).isTrue();

        registry.bind(http(tunnel.id())); // the agent is back with its resume token
        assertThat(registry.isAway(tunnel.id())).isFalse();

        registry.unbind(registry.get(tunnel.id()));
        now.addAndGet(Duration.ofMinutes(10).toNanos());
        assertThat(registry.isAway(tunnel.id())).as("just within the memory").isTrue();
        now.incrementAndGet();
        assertThat(registry.isAway(tunnel.id())).as("forgotten").isFalse();
    }

    @Test
    void theMemoryIsBoundedAndForgetsTheOldestFirst() {
        for (String id : new String[] {"aaaaaaaaaaaaa", "bbbbbbbbbbbbb", "ccccccccccccc", "ddddddddddddd"}) {
            Tunnel tunnel = http(id);
            registry.bind(tunnel);
            registry.unbind(tunnel);
            now.incrementAndGet();
        }
        assertThat(registry.isAway("aaaaaaaaaaaaa")).isFalse();
        assertThat(registry.isAway("bbbbbbbbbbbbb")).isTrue();
        assertThat(registry.isAway("ddddddddddddd")).isTrue();
    }

    @Test
    void tcpTunnelsAndStaleUnbindsAreNotRemembered() {
        Tunnel tcp = new Tunnel("aaaaaaaaaaaaa", StreamHeaders.KIND_TCP, null, Access.OPEN, 1);
        registry.bind(tcp);
        registry.unbind(tcp);
        assertThat(registry.isAway(tcp.id())).isFalse();

        Tunnel current = http("bbbbbbbbbbbbb");
        registry.bind(current);
        registry.unbind(http("bbbbbbbbbbbbb")); // another session's tunnel of that name: not the bound one
        assertThat(registry.get(current.id())).isSameAs(current);
        assertThat(registry.isAway(current.id())).isFalse();
    }

    private static Tunnel http(String id) {
        return new Tunnel(id, StreamHeaders.KIND_HTTP, null, Access.OPEN, 1);
    }
}
