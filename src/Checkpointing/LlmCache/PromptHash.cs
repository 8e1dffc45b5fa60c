using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Checkpointing.Json;

namespace Checkpointing.LlmCache;

/// <summary>The full SHA-256 of a prompt's UTF-8 bytes, held in four words so lookups compare and hash without allocating.</summary>
internal readonly record struct PromptHash(ulong A, ulong B, ulong C, ulong D)
{
    private const int StackLimit = 8 * 1024;

    /// <summary>Hashes a response's prompt, straight from the stored UTF-8 when it was never decoded.</summary>
    public static PromptHash Of(LlmResponse response)
    {
        if (!response.TryGetStoredPrompt(out var stored))
        {
            return Of(response.Prompt);
        }

        var utf8 = stored.GetUtf8(out var rented);
        try
        {
            return OfUtf8(utf8);
        }
        finally
        {
            StoredJsonString.Return(rented);
        }
    }

    /// <summary>Hashes a prompt; prompts up to a few KB are encoded on the stack.</summary>
    public static PromptHash Of(string prompt)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(prompt.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var length = Encoding.UTF8.GetBytes(prompt, buffer);
            return OfUtf8(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Hashes a prompt given as UTF-8.</summary>
    public static PromptHash OfUtf8(ReadOnlySpan<byte> utf8)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, digest);
        return new PromptHash(
            BinaryPrimitives.ReadUInt64BigEndian(digest),
            BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[24..]));
    }

    /// <summary>Returns the digest as 64 lower-case hex characters.</summary>
    public override string ToString() => $"{A:x16}{B:x16}{C:x16}{D:x16}";
}
