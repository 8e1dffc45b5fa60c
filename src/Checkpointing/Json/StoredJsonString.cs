using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Checkpointing.Json;

/// <summary>
/// A string kept as UTF-8 bytes, decoded only when first read and never if it is only hashed or written: either a JSON
/// string exactly as a loaded file holds it (its raw token, quotes and escapes included, in the file's bytes; the load
/// checked that it is a valid JSON string of valid UTF-8: <see cref="LlmTextSkeleton"/>, <see cref="JsonTextValidation"/>),
/// or the plain UTF-8 of a text the library keeps compactly (<see cref="LlmCache.ResponseTexts"/>).
/// </summary>
internal readonly struct StoredJsonString
{
    private readonly ReadOnlyMemory<byte> _bytes;

    /// <summary>Whether <see cref="_bytes"/> are the text's plain UTF-8 rather than a JSON token.</summary>
    private readonly bool _plain;

    /// <summary>Initializes a string kept as the raw JSON token a loaded file holds.</summary>
    /// <param name="token">The raw token; the bytes must never change afterwards.</param>
    public StoredJsonString(ReadOnlyMemory<byte> token)
    {
        _bytes = token;
    }

    private StoredJsonString(ReadOnlyMemory<byte> utf8, bool plain)
    {
        _bytes = utf8;
        _plain = plain;
    }

    /// <summary>Gets whether this is the default value, which holds no string.</summary>
    public bool IsEmpty => _bytes.IsEmpty;

    /// <summary>A string kept as its plain UTF-8, which must be valid and non-empty and never change afterwards.</summary>
    /// <param name="utf8">The text's UTF-8.</param>
    public static StoredJsonString FromUtf8(ReadOnlyMemory<byte> utf8) => new(utf8, plain: true);

    /// <summary>Decodes the string.</summary>
    public string Decode()
    {
        var utf8 = GetUtf8(out var rented);
        try
        {
            return Encoding.UTF8.GetString(utf8);
        }
        finally
        // Stryker disable once Block,Statement : returns buffers to the shared pool, which changes no result
        {
            Return(rented);
        }
    }

    /// <summary>
    /// Gives the string's UTF-8: the stored bytes themselves when nothing is escaped, else the unescaped bytes in
    /// <paramref name="rented"/>, which the caller hands to <see cref="Return"/>.
    /// </summary>
    public ReadOnlySpan<byte> GetUtf8(out byte[]? rented)
    {
        var raw = _bytes.Span;
        rented = null;
        if (_plain)
        {
            return raw;
        }

        if (!raw.Contains((byte)'\\'))
        {
            return raw[1..^1];
        }

        rented = ArrayPool<byte>.Shared.Rent(raw.Length);
        if (ValidatedJsonString.TryUnescape(raw, rented, out var written))
        {
            return rented.AsSpan(0, written);
        }

        // An escaped lone surrogate, which the load refuses: decoding it fails as it would for a parsed element.
        // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
        Return(rented);
        rented = null;
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        return Encoding.UTF8.GetBytes(reader.GetString()!);
    }

    /// <summary>
    /// Whether two texts are equal, each given either as stored (then its string is <see langword="null"/>) or as a string;
    /// stored texts are compared as UTF-8 and never decoded.
    /// </summary>
    public static bool TextEquals((StoredJsonString Stored, string? Decoded) a, (StoredJsonString Stored, string? Decoded) b)
    {
        if (a.Decoded is not null && b.Decoded is not null)
        {
            return string.Equals(a.Decoded, b.Decoded, StringComparison.Ordinal);
        }

        if (a.Decoded is not null)
        {
            return b.Stored.Utf8Equals(a.Decoded);
        }

        if (b.Decoded is not null)
        {
            return a.Stored.Utf8Equals(b.Decoded);
        }

        var x = a.Stored.GetUtf8(out var rentedX);
        var y = b.Stored.GetUtf8(out var rentedY);
        try
        {
            return x.SequenceEqual(y);
        }
        finally
        // Stryker disable once Block,Statement : returns buffers to the shared pool, which changes no result
        {
            Return(rentedX);
            Return(rentedY);
        }
    }

    /// <summary>Hashes a text given as stored or as a string, alike for both forms of the same text, without decoding it.</summary>
    public static int TextHash((StoredJsonString Stored, string? Decoded) text)
    {
        var hash = default(HashCode);
        if (text.Decoded is null)
        {
            var utf8 = text.Stored.GetUtf8(out var rented);
            hash.AddBytes(utf8);
            // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
            Return(rented);
        }
        else
        {
            var encoded = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Decoded.Length));
            hash.AddBytes(encoded.AsSpan(0, Encoding.UTF8.GetBytes(text.Decoded, encoded)));
            // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
            ArrayPool<byte>.Shared.Return(encoded);
        }

        return hash.ToHashCode();
    }

    /// <summary>Whether this string is <paramref name="text"/>; a text that is not valid UTF-16 equals no stored string.</summary>
    private bool Utf8Equals(string text)
    {
        var utf8 = GetUtf8(out var rented);
        byte[]? encoded = null;
        try
        {
            // UTF-8 takes one to three bytes per UTF-16 unit.
            // Stryker disable once all : a quick refusal; the bounded encoding below refuses the same texts without it
            if (utf8.Length < text.Length || utf8.Length > text.Length * 3)
            {
                return false;
            }

            encoded = ArrayPool<byte>.Shared.Rent(utf8.Length);
            return Utf8.FromUtf16(text, encoded.AsSpan(0, utf8.Length), out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done
                && encoded.AsSpan(0, written).SequenceEqual(utf8);
        }
        finally
        // Stryker disable once Block,Statement : returns buffers to the shared pool, which changes no result
        {
            Return(rented);
            Return(encoded);
        }
    }

    /// <summary>Writes the string as <see cref="Utf8JsonWriter.WriteStringValue(ReadOnlySpan{byte})"/> writes its text.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        var utf8 = GetUtf8(out var rented);
        try
        {
            writer.WriteStringValue(utf8);
        }
        finally
        // Stryker disable once Block,Statement : returns buffers to the shared pool, which changes no result
        {
            Return(rented);
        }
    }

    /// <summary>Returns a buffer <see cref="GetUtf8"/> rented.</summary>
    public static void Return(byte[]? rented)
    {
        // Stryker disable once Block,Statement : returns a buffer to the shared pool, which changes no result
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
