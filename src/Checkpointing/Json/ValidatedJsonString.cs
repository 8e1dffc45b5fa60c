using System.Text;

namespace Checkpointing.Json;

/// <summary>
/// Unescapes the raw UTF-8 of a JSON string token that a <see cref="System.Text.Json.JsonDocument"/> has already
/// validated, without validating it again: a resume hashes thousands of stored prompts, and reading each through a
/// new <see cref="System.Text.Json.Utf8JsonReader"/> validated every byte a second time.
/// </summary>
internal static class ValidatedJsonString
{
    /// <summary>
    /// Copies the value of <paramref name="token"/> (a string token, quotes included) into <paramref name="destination"/>,
    /// unescaped. Returns <see langword="false"/> for an escaped lone surrogate, which has no UTF-8 form: the caller then
    /// decodes the string the general way.
    /// </summary>
    /// <param name="token">The raw token, quotes included, of valid JSON.</param>
    /// <param name="destination">At least <c>token.Length</c> bytes: unescaping never makes a string longer.</param>
    /// <param name="written">The bytes written.</param>
    public static bool TryUnescape(ReadOnlySpan<byte> token, Span<byte> destination, out int written)
    {
        var source = token[1..^1];
        written = 0;
        while (true)
        {
            var backslash = source.IndexOf((byte)'\\');
            if (backslash < 0)
            {
                source.CopyTo(destination[written..]);
                written += source.Length;
                return true;
            }

            source[..backslash].CopyTo(destination[written..]);
            written += backslash;
            var escape = source[backslash + 1];
            if (escape != (byte)'u')
            {
                destination[written++] = escape switch
                {
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    _ => escape, // '"', '\\' and '/' stand for themselves
                };
                source = source[(backslash + 2)..];
                continue;
            }

            var codePoint = (int)Hex4(source.Slice(backslash + 2, 4));
            var consumed = 6;
            if (char.IsHighSurrogate((char)codePoint))
            {
                var rest = source[(backslash + 6)..];
                if (rest.Length < 6 || rest[0] != (byte)'\\' || rest[1] != (byte)'u' || !char.IsLowSurrogate((char)Hex4(rest.Slice(2, 4))))
                {
                    return false;
                }

                codePoint = char.ConvertToUtf32((char)codePoint, (char)Hex4(rest.Slice(2, 4)));
                consumed = 12;
            }
            else if (char.IsLowSurrogate((char)codePoint))
            {
                return false;
            }

            written += new Rune(codePoint).EncodeToUtf8(destination[written..]);
            source = source[(backslash + consumed)..];
        }
    }

    /// <summary>Reads four hex digits (validated JSON has nothing else after <c>\u</c>).</summary>
    internal static uint Hex4(ReadOnlySpan<byte> digits)
    {
        var value = 0u;
        foreach (var digit in digits[..4])
        {
            value = (value << 4) | (uint)(digit <= (byte)'9' ? digit - '0' : (digit | 0x20) - 'a' + 10);
        }

        return value;
    }
}
