using System.Text.Json;

namespace Checkpointing.Manager;

/// <summary>The serializer options used for stage results and context values when the caller gives none.</summary>
internal static class CheckpointSerializerDefaults
{
    /// <summary>Gets options that keep property names as declared and match them case-insensitively on read.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        PropertyNameCaseInsensitive = true,
    };
}
