package dev.portsicle.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 message syntax shared by {@link Origin} and {@link RawHttpClient}: reading a head byte by
 * byte (so nothing after it is consumed), splitting it into lines and headers, and body framing.
 * Lenient where leniency loses nothing (a bare LF ends a line), strict where a tunnel bug could hide.
 */
final class Wire {

    /** A message that cannot be parsed; the text says what was wrong. */
    static final class Malformed extends IOException {
        Malformed(String message) {
            super(message);
        }
    }

    /** A head longer than the limit. */
    static final class TooLarge extends IOException {
        TooLarge(String message) {
            super(message);
        }
    }

    /** How a body ends. {@code length} is only meaningful for {@link Kind#LENGTH}. */
    record Framing(Kind kind, long length) {
        enum Kind { LENGTH, CHUNKED, UNTIL_CLOSE }

        static final Framing NONE = new Framing(Kind.LENGTH, 0);
        static final Framing CHUNKED = new Framing(Kind.CHUNKED, -1);
        static final Framing UNTIL_CLOSE = new Framing(Kind.UNTIL_CLOSE, -1);

        boolean hasBody() {
            return kind != Kind.LENGTH || length > 0;
        }
    }

    /**
     * Reads one head through its blank line and returns its bytes exactly, or null when the stream
     * ended cleanly before the first byte (a closed keep-alive connection).
     */
    static byte[] readHead(InputStream in, int limit) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int lineLength = 0; // bytes of the current line, not counting CR and LF
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed in the middle of a head: "
                                       + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            if (head.size() > limit) {
                throw new TooLarge("head longer than " + limit + " bytes");
            }
            if (b == '\n') {
                if (lineLength == 0) {
                    return head.toByteArray();
                }
                lineLength = 0;
            } else if (b != '\r') {
                lineLength++;
            }
        }
    }

    /** The lines of a head without their CR LF (or bare LF), the blank line that ends it left out. */
    static List<String> lines(String rawHead) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < rawHead.length()) {
            int lf = rawHead.indexOf('\n', start);
            int end = lf < 0 ? rawHead.length() : lf;
            String line = rawHead.substring(start, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            lines.add(line);
            start = end + 1;
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    /**
     * Header lines from {@code from} on, in order, case kept. An obs-fold continuation line is joined to
     * the header before it with one space (RFC 9112 5.2); the raw head still shows the fold.
     */
    static List<Header> headers(List<String> lines, int from) throws Malformed {
        List<Header> headers = new ArrayList<>();
        for (int i = from; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith(" ") || line.startsWith("\t")) {
                if (headers.isEmpty()) {
                    throw new Malformed("continuation line before any header: " + line);
                }
                Header last = headers.remove(headers.size() - 1);
                headers.add(new Header(last.name(), ows(last.value() + " " + ows(line))));
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new Malformed("header line without a name and colon: " + line);
            }
            headers.add(new Header(line.substring(0, colon), ows(line.substring(colon + 1))));
        }
        return headers;
    }

    /** Trims only the optional whitespace of HTTP (space and tab), nothing else. */
    static String ows(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    /**
     * How a request body is framed (RFC 9112 6.3): Transfer-Encoding ending in chunked wins; any other
     * Transfer-Encoding, or Content-Length values that disagree or are not numbers, are errors.
     */
    static Framing requestFraming(List<Header> headers) throws Malformed {
        List<String> te = Header.all(headers, "Transfer-Encoding");
        if (!te.isEmpty()) {
            if (!lastCodingIsChunked(te)) {
                throw new Malformed("Transfer-Encoding without chunked last: " + te);
            }
            return Framing.CHUNKED;
        }
        long length = contentLength(headers);
        return length < 0 ? Framing.NONE : new Framing(Framing.Kind.LENGTH, length);
    }

    /**
     * How a response body is framed (RFC 9112 6.3): none after HEAD and for 1xx, 204 and 304; chunked;
     * Content-Length; otherwise until the connection closes.
     */
    static Framing responseFraming(int status, List<Header> headers, boolean headRequest) throws Malformed {
        if (headRequest || status / 100 == 1 || status == 204 || status == 304) {
            return Framing.NONE;
        }
        List<String> te = Header.all(headers, "Transfer-Encoding");
        if (!te.isEmpty()) {
            return lastCodingIsChunked(te) ? Framing.CHUNKED : Framing.UNTIL_CLOSE;
        }
        long length = contentLength(headers);
        return length < 0 ? Framing.UNTIL_CLOSE : new Framing(Framing.Kind.LENGTH, length);
    }

    private static boolean lastCodingIsChunked(List<String> te) {
        String[] codings = String.join(",", te).split(",");
        return ows(codings[codings.length - 1]).toLowerCase(Locale.ROOT).equals("chunked");
    }

    /** The Content-Length, or -1 when there is none; repeated values must all be the same number. */
    private static long contentLength(List<Header> headers) throws Malformed {
        long length = -1;
        for (String value : Header.all(headers, "Content-Length")) {
            for (String part : value.split(",", -1)) {
                String digits = ows(part);
                if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new Malformed("bad Content-Length: " + value);
                }
                long n = Long.parseLong(digits);
                if (length >= 0 && n != length) {
                    throw new Malformed("conflicting Content-Length values");
                }
                length = n;
            }
        }
        return length;
    }

    /** One line (CR LF or bare LF) without its end, up to {@code limit} bytes; EOF before its end is an error. */
    static String readLine(InputStream in, int limit) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the middle of a line: " + line);
            }
            if (b == '\n') {
                int last = line.length() - 1;
                if (last >= 0 && line.charAt(last) == '\r') {
                    line.setLength(last);
                }
                return line.toString();
            }
            line.append((char) b);
            if (line.length() > limit) {
                throw new TooLarge("line longer than " + limit + " bytes");
            }
        }
    }

    /** A chunk-size line: hex digits, then optional chunk extensions after ';'. */
    static long chunkSize(String line) throws Malformed {
        int semi = line.indexOf(';');
        String hex = ows(semi < 0 ? line : line.substring(0, semi));
        if (hex.isEmpty() || hex.length() > 15
            || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new Malformed("bad chunk size line: " + line);
        }
        return Long.parseLong(hex, 16);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private Wire() {
    }
}
