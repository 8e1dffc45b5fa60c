using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Checkpointing.Pipeline;

/// <summary>The size and SHA-256 of an artifact file, stored in the stage's <c>metadata.artifact_digests</c>.</summary>
/// <param name="Size">The size in bytes.</param>
/// <param name="Sha256">The SHA-256 as lower-case hex.</param>
internal sealed record ArtifactDigest(long Size, string Sha256)
{
    /// <summary>The stage metadata key holding the digests, by artifact path.</summary>
    public const string MetadataKey = "artifact_digests";

    /// <summary>The length of a SHA-256 in hex.</summary>
    private const int HexLength = 64;

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>Computes the digest of a file.</summary>
    public static async Task<ArtifactDigest> ComputeAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return new ArtifactDigest(stream.Length, Convert.ToHexString(hash).ToLowerInvariant());
        }
    }

    /// <summary>Serializes digests by path as stage metadata.</summary>
    public static JsonElement ToJson(IReadOnlyDictionary<string, ArtifactDigest> digests)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (path, digest) in digests)
            {
                writer.WriteStartObject(path);
                writer.WriteNumber("size", digest.Size);
                writer.WriteString("sha256", digest.Sha256);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Reads digests from stage metadata; an entry that is not a digest is ignored (a load refuses it).</summary>
    public static IReadOnlyDictionary<string, ArtifactDigest> FromMetadata(StageCheckpoint stage)
    {
        var digests = new Dictionary<string, ArtifactDigest>(StringComparer.Ordinal);
        if (stage.Metadata.TryGetValue(MetadataKey, out var json) && json.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in json.EnumerateObject())
            {
                if (TryRead(property.Value) is { } digest)
                {
                    digests[property.Name] = digest;
                }
            }
        }

        return digests;
    }

    /// <summary>Reads one stored digest: <c>{"size": bytes, "sha256": 64 lower-case hex}</c>, or <see langword="null"/>.</summary>
    public static ArtifactDigest? TryRead(JsonElement entry)
    {
        if (entry.ValueKind == JsonValueKind.Object
            && entry.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var bytes) && bytes >= 0
            && entry.TryGetProperty("sha256", out var sha) && sha.ValueKind == JsonValueKind.String
            && sha.GetString() is { Length: HexLength } hex && hex.AsSpan().IndexOfAnyExcept(LowerHexDigits) < 0)
        {
            return new ArtifactDigest(bytes, hex);
        }

        return null;
    }

    /// <summary>Checks the file against this digest.</summary>
    /// <remarks>
    /// Reads at most one byte more than the stored size: a path that names a device (<c>/dev/zero</c>) or a file that
    /// grew is reported changed without reading it to its end.
    /// </remarks>
    /// <returns><see langword="null"/> when it matches; otherwise what is wrong.</returns>
    public async Task<string?> CheckAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return "is missing";
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                long read = 0;
                int n;
                while (read <= Size && (n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, Size - read + 1)), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    read += n;
                }

                if (read != Size)
                {
                    return read > Size ? $"changed (it is larger than the {Size} bytes stored)" : $"changed (size {Size} -> {read})";
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            var actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            return actual == Sha256 ? null : $"changed (sha256 {Sha256[..12]}… -> {actual[..12]}…)";
        }
    }
}
