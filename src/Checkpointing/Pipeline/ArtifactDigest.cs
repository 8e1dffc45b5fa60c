using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Checkpointing;

/// <summary>The size and SHA-256 of an artifact file, stored in the stage's <c>metadata.artifact_digests</c>.</summary>
/// <param name="Size">The size in bytes.</param>
/// <param name="Sha256">The SHA-256 as lower-case hex.</param>
internal sealed record ArtifactDigest(long Size, string Sha256)
{
    /// <summary>The stage metadata key holding the digests, by artifact path.</summary>
    public const string MetadataKey = "artifact_digests";

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

    /// <summary>Reads digests from stage metadata; an entry that is not a digest is ignored.</summary>
    public static IReadOnlyDictionary<string, ArtifactDigest> FromMetadata(StageCheckpoint stage)
    {
        var digests = new Dictionary<string, ArtifactDigest>(StringComparer.Ordinal);
        if (stage.Metadata.TryGetValue(MetadataKey, out var json) && json.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in json.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Object
                    && property.Value.TryGetProperty("size", out var size) && size.TryGetInt64(out var bytes)
                    && property.Value.TryGetProperty("sha256", out var sha) && sha.ValueKind == JsonValueKind.String)
                {
                    digests[property.Name] = new ArtifactDigest(bytes, sha.GetString()!);
                }
            }
        }

        return digests;
    }

    /// <summary>Checks the file against this digest.</summary>
    /// <returns><see langword="null"/> when it matches; otherwise what is wrong.</returns>
    public async Task<string?> CheckAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return "is missing";
        }

        var actual = await ComputeAsync(path, cancellationToken).ConfigureAwait(false);
        return actual == this ? null : $"changed (size {Size} -> {actual.Size}, sha256 {Sha256[..12]}… -> {actual.Sha256[..12]}…)";
    }
}
