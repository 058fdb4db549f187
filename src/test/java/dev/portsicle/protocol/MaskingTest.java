package dev.portsicle.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Masking} against the byte-at-a-time definition of RFC 6455 section 5.3: every length up to a few
 * longs, at every alignment, heap and direct, and a key carried on from one piece to the next.
 */
class MaskingTest {
    private final Random random = new Random(7);

    /** RFC 6455: byte i is XORed with byte i mod 4 of the key, the key's most significant byte first. */
    private static byte[] masked(byte[] bytes, int key) {
        byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = (byte) (bytes[i] ^ (key >>> (24 - 8 * (i % 4))));
        }
        return out;
    }

    /** Bytes at absolute indexes, whatever the buffer's position and limit. */
    private static byte[] bytes(ByteBuffer buffer, int from, int length) {
        byte[] out = new byte[length];
        buffer.duplicate().clear().get(from, out);
        return out;
    }

    @Test
    void masksFromPositionToLimitAtAnyLengthAndAlignmentAndUnmasksWithTheSameKey() {
        for (boolean direct : new boolean[] {false, true}) {
            for (int length = 0; length <= 40; length++) {
                for (int offset = 0; offset < 8; offset++) {
                    byte[] around = new byte[offset + length + 5];
                    random.nextBytes(around);
                    byte[] plain = bytes(ByteBuffer.wrap(around), offset, length);
                    int key = random.nextInt();
                    ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(around.length) : ByteBuffer.allocate(around.length);
                    buffer.put(0, around).position(offset).limit(offset + length);
                    String where = "length " + length + ", offset " + offset + ", direct " + direct;

                    Masking.xor(buffer, key);
                    assertThat(bytes(buffer, offset, length)).as(where).isEqualTo(masked(plain, key));
                    assertThat(bytes(buffer, 0, offset)).as(where + ", before").isEqualTo(bytes(ByteBuffer.wrap(around), 0, offset));
                    assertThat(bytes(buffer, offset + length, 5)).as(where + ", after")
                            .isEqualTo(bytes(ByteBuffer.wrap(around), offset + length, 5));
                    assertThat(buffer.position()).as(where).isEqualTo(offset);

                    Masking.xor(buffer, key);
                    assertThat(bytes(buffer, offset, length)).as(where).isEqualTo(plain);
                }
            }
        }
    }

    @Test
    void aKeyAdvancedPastSomeBytesMasksTheRestAsOnePassWould() {
        byte[] plain = new byte[29];
        random.nextBytes(plain);
        int key = random.nextInt();
        for (int split = 0; split <= plain.length; split++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(plain.length).put(0, plain);
            Masking.xor(buffer.duplicate().limit(split), key);
            Masking.xor(buffer.duplicate().position(split), Masking.advance(key, split));
            assertThat(bytes(buffer, 0, plain.length)).as("split at " + split).isEqualTo(masked(plain, key));
        }
    }
}
