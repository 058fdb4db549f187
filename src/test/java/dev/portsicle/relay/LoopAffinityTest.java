package dev.portsicle.relay;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory.EventExecutorChooser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class LoopAffinityTest {
    private final EventExecutor quiet = new DefaultEventExecutor();
    private final EventExecutor busy = new DefaultEventExecutor();
    private final EventExecutor notOurs = new DefaultEventExecutor();
    private final LoopAffinity affinity = new LoopAffinity();
    private final EventExecutorChooser chooser = affinity.newChooser(new EventExecutor[] {quiet, busy});

    @AfterEach
    void stop() {
        quiet.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        busy.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        notOurs.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    @Test
    void withNoTrafficYetConnectionsTakeTheLoopsInTurn() {
        List<EventExecutor> chosen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            chosen.add(chooser.next());
        }
        assertThat(chosen).containsExactly(quiet, busy, quiet, busy);
    }

    @Test
    void mostNewConnectionsJoinTheLoopWhoseTunnelsServedMostButEveryLoopKeepsAShare() {
        for (int i = 0; i < 1000; i++) {
            affinity.served(busy);
        }
        affinity.served(notOurs); // ignored
        int toBusy = 0;
        for (int i = 0; i < 1000; i++) {
            if (chooser.next() == busy) {
                toBusy++;
            }
        }
        // weights 1000 + 126 against 0 + 126: 90% expected, the bounds several standard deviations away
        assertThat(toBusy).isBetween(800, 970);
    }
}
