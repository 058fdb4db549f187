package dev.portsicle.net;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Edits header values where they stand. Netty's {@code set()} moves a header to the end in its own
 * spelling; a proxy that promises the local server the visitor's header order and case cannot use it.
 */
public final class HeaderEdits {

    /**
     * Replaces every value of {@code name} (any case) by {@code edit(value)} in its place and spelling;
     * a null result drops that line.
     */
    public static void editInPlace(HttpHeaders headers, String name, UnaryOperator<String> edit) {
        List<Map.Entry<String, String>> entries = new ArrayList<>();
        headers.iteratorAsString().forEachRemaining(entries::add);
        headers.clear();
        for (Map.Entry<String, String> entry : entries) {
            String value = entry.getKey().equalsIgnoreCase(name) ? edit.apply(entry.getValue()) : entry.getValue();
            if (value != null) {
                headers.add(entry.getKey(), value);
            }
        }
    }

    private HeaderEdits() {
    }
}
