package dev.portsicle.testing;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fails a test class when Netty reported a leaked buffer while it ran. Registered for every test via
 * {@code META-INF/services} and JUnit's extension auto-detection.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {
    private int leaksBefore;

    @Override
    public void beforeAll(ExtensionContext context) {
        leaksBefore = RecordingLeakDetector.LEAKS.size(); // a leak fails the class that finds it, once
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        // Leaks are found when the garbage collector has dropped an unreleased buffer and a later
        // allocation looks at the reference queue: make both happen.
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            ByteBufAllocator.DEFAULT.buffer(1).release();
        }
        List<String> leaks = RecordingLeakDetector.LEAKS;
        assertThat(leaks.subList(leaksBefore, leaks.size())).as("leaked Netty buffers").isEmpty();
    }
}
