using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Checkpointing.Json;

/// <summary>
/// A JSON string exactly as a loaded file holds it: its raw token, quotes and escapes included, in the file's bytes.
/// The load checked that it is a valid JSON string of valid UTF-8 (<see cref="LlmTextSkeleton"/>,
/// <see cref="JsonTextValidation"/>), so it is decoded only when first read, and never if it is only hashed or written back.
/// </summary>
/// <param name="token">The raw token; the bytes must never change afterwards.</param>
internal readonly struct StoredJsonString(ReadOnlyMemory<byte> token)
{
    /// <summary>Gets whether this is the default value, which holds no string.</summary>
    public bool IsEmpty => token.IsEmpty;

    /// <summary>Decodes the string.</summary>
    public string Decode()
    {
        var utf8 = GetUtf8(out var rented);
        try
        {
            return Encoding.UTF8.GetString(utf8);
        }
        finally
        {
            // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
            Return(rented);
        }
    }

    /// <summary>
    /// Gives the string's UTF-8: the stored bytes themselves when nothing is escaped, else the unescaped bytes in
    /// <paramref name="rented"/>, which the caller hands to <see cref="Return"/>.
    /// </summary>
    public ReadOnlySpan<byte> GetUtf8(out byte[]? rented)
    {
        var raw = token.Span;
        rented = null;
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

    /// <summary>Writes the string as <see cref="Utf8JsonWriter.WriteStringValue(ReadOnlySpan{byte})"/> writes its text.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        var utf8 = GetUtf8(out var rented);
        try
        {
            writer.WriteStringValue(utf8);
        }
        finally
        {
            // Stryker disable once Statement : returns a buffer to the shared pool, which changes no result
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
