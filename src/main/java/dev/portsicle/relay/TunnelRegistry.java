package dev.portsicle.relay;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The routing table: tunnel id to the session that holds it. */
final class TunnelRegistry {
    private final Map<String, Tunnel> tunnels = new ConcurrentHashMap<>();

    Tunnel get(String id) {
        return id == null ? null : tunnels.get(id);
    }

    /** Binds {@code id} if no live session holds it; false if taken. */
    boolean bind(Tunnel tunnel) {
        return tunnels.putIfAbsent(tunnel.id(), tunnel) == null;
    }

    void unbind(Tunnel tunnel) {
        tunnels.remove(tunnel.id(), tunnel);
    }

    int size() {
        return tunnels.size();
    }
}
