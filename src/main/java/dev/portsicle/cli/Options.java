package dev.portsicle.cli;

/** Checks shared by the commands, so bad input gets a clear message instead of a stack trace. */
final class Options {
    static void checkPort(int port, String option) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(option + " must be a port number (0-65535), not " + port);
        }
    }

    private Options() {
    }
}
