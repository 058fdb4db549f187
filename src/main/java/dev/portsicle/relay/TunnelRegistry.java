package dev.portsicle.relay;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The routing table: tunnel id to the session that holds it. It also remembers, for a while and in
 * bounded memory, the http tunnels whose agent went away, so their visitors hear "reconnecting" (503)
 * rather than "no such tunnel" (404) while the agent comes back with its resume token.
 */
final class TunnelRegistry {
    /** How long the id of a tunnel whose agent went away answers 503 rather than 404. */
    static final Duration AWAY_MEMORY = Duration.ofMinutes(10);
    /** Most ids remembered as away; the oldest is forgotten first (about 100 bytes each). */
    static final int MAX_AWAY = 10_000;

    private final Map<String, Tunnel> tunnels = new ConcurrentHashMap<>();
    /** Id to when it went away (nanoTime), oldest first; guarded by itself. */
    private final LinkedHashMap<String, Long> away = new LinkedHashMap<>();
    private final long awayNanos;
    private final int maxAway;
    private final LongSupplier clock;

    TunnelRegistry() {
        this(AWAY_MEMORY, MAX_AWAY, System::nanoTime);
    }

    TunnelRegistry(Duration awayMemory, int maxAway, LongSupplier nanoClock) {
        this.awayNanos = awayMemory.toNanos();
        this.maxAway = maxAway;
        this.clock = nanoClock;
    }

    Tunnel get(String id) {
        return id == null ? null : tunnels.get(id);
    }

    /** Binds {@code id} if no live session holds it; false if taken. */
    boolean bind(Tunnel tunnel) {
        if (tunnels.putIfAbsent(tunnel.id(), tunnel) != null) {
            return false;
        }
        synchronized (away) {
            away.remove(tunnel.id());
        }
        return true;
    }

    void unbind(Tunnel tunnel) {
        if (tunnels.remove(tunnel.id(), tunnel) && tunnel.isHttp()) {
            synchronized (away) {
                away.remove(tunnel.id()); // re-inserted last: the newest
                away.put(tunnel.id(), clock.getAsLong());
                if (away.size() > maxAway) {
                    Iterator<String> oldest = away.keySet().iterator();
                    oldest.next();
                    oldest.remove();
                }
            }
        }
    }

    /** Whether {@code id} named an http tunnel whose agent went away lately and has not come back. */
    boolean isAway(String id) {
        long now = clock.getAsLong();
        synchronized (away) {
            Iterator<Long> oldest = away.values().iterator();
            while (oldest.hasNext() && now - oldest.next() > awayNanos) {
                oldest.remove();
            }
            return away.containsKey(id);
        }
    }

    int size() {
        return tunnels.size();
    }
}
