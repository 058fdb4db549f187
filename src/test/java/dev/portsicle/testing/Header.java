package dev.portsicle.testing;

/** A header line as it was on the wire: name with its case, value trimmed. */
public record Header(String name, String value) {
}
