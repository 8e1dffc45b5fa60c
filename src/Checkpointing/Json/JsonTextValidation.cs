using System.Text.Unicode;

namespace Checkpointing.Json;

/// <summary>
/// Checks, over the raw bytes and without decoding a single string, that every string of a parsed JSON document can be
/// decoded: the bytes are valid UTF-8 and no <c>\u</c> escape is a lone surrogate (which Python's <c>json.dumps</c> writes
/// for surrogate-escaped text). <see cref="System.Text.Json.JsonDocument"/> accepts both, and only fails when the string
/// is read, which for lazily decoded prompts and responses would be after a load returned and a resume wrote.
/// </summary>
internal static class JsonTextValidation
{
    /// <summary>Returns the offset of the first undecodable byte or escape, or -1 when every string can be decoded.</summary>
    /// <param name="utf8">
    /// A document <see cref="System.Text.Json.JsonDocument"/> parsed (outside strings it is ASCII), or one whose parse failed
    /// decoding a property name (then any bytes: nothing here reads past the end).
    /// </param>
    /// <param name="problem">What is wrong at that offset.</param>
    public static long FindUndecodable(ReadOnlySpan<byte> utf8, out string? problem)
    {
        problem = null;
        if (!Utf8.IsValid(utf8))
        {
            problem = "a string holds bytes that are not valid UTF-8";
            return FirstInvalidUtf8(utf8);
        }

        // Only \u escapes can be undecodable. A backslash that starts one is preceded by an even number of backslashes
        // (each pair is an escaped backslash); outside strings there is none.
        var offset = 0;
        while (true)
        {
            var found = utf8[offset..].IndexOf("\\u"u8);
            if (found < 0)
            {
                return -1;
            }

            var at = offset + found;
            // Stryker disable once Arithmetic : only the count's parity is used, and either mutant changes it by an even number
            var precedingBackslashes = at - utf8[..at].LastIndexOfAnyExcept((byte)'\\') - 1;
            if (precedingBackslashes % 2 != 0)
            {
                offset = at + 2; // an escaped backslash followed by the letter u
                continue;
            }

            if (at + 6 > utf8.Length)
            {
                problem = "a \\u escape is cut short"; // only after a parse that failed
                return at;
            }

            var unit = (char)ValidatedJsonString.Hex4(utf8.Slice(at + 2, 4));
            if (char.IsLowSurrogate(unit))
            {
                problem = "a string holds a \\u escape of a lone low surrogate, which has no UTF-8 form";
                return at;
            }

            if (char.IsHighSurrogate(unit))
            {
                var next = utf8[(at + 6)..];
                if (next.Length < 6 || next[0] != (byte)'\\' || next[1] != (byte)'u' || !char.IsLowSurrogate((char)ValidatedJsonString.Hex4(next.Slice(2, 4))))
                {
                    problem = "a string holds a \\u escape of a lone high surrogate, which has no UTF-8 form";
                    return at;
                }

                offset = at + 12;
                continue;
            }

            offset = at + 6;
        }
    }

    private static long FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        var valid = 0;
        while (valid < utf8.Length)
        {
            var result = System.Text.Rune.DecodeFromUtf8(utf8[valid..], out _, out var consumed);
            if (result != System.Buffers.OperationStatus.Done)
            {
                return valid;
            }

            valid += consumed;
        }

        return valid;
    }
}
