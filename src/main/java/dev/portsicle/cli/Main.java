package dev.portsicle.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code portsicle server | http}: the only place that knows about the command line. */
@Command(name = "portsicle", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Expose a local server at a public URL, through a relay your machine dials out to.",
        subcommands = {ServerCommand.class, HttpCommand.class, TcpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: try 'portsicle http -p 3000'");
    }

    public static void main(String[] args) {
        LogOutput.install();
        CommandLine cli = new CommandLine(new Main())
                // Bad input is the user's to fix: say what is wrong, no stack trace.
                .setExecutionExceptionHandler((e, commandLine, parsed) -> {
                    commandLine.getErr().println("portsicle: " + e.getMessage());
                    return 2;
                });
        int code = cli.execute(args);
        LogOutput.flushNow();
        System.exit(code);
    }
}
