namespace Checkpointing.Json;

/// <summary>
/// The stored spelling of every status: the lower-case name, as the Python manager wrote it. The one table that the
/// writer, the reader and <see cref="CheckpointJson.StatusName"/> (for stores with a status column) use.
/// </summary>
internal static class StatusNames
{
    private static readonly CheckpointStatus[] CheckpointStatuses = Enum.GetValues<CheckpointStatus>();
    private static readonly StageStatus[] StageStatuses = Enum.GetValues<StageStatus>();

    /// <summary>The stored spelling of a checkpoint status.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined status.</exception>
    public static string Of(CheckpointStatus status) => status switch
    {
        CheckpointStatus.Active => "active",
        CheckpointStatus.Paused => "paused",
        CheckpointStatus.Completed => "completed",
        CheckpointStatus.Failed => "failed",
        CheckpointStatus.Resumed => "resumed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown checkpoint status."),
    };

    /// <summary>The stored spelling of a stage status.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined status.</exception>
    public static string Of(StageStatus status) => status switch
    {
        StageStatus.Completed => "completed",
        StageStatus.Failed => "failed",
        StageStatus.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown stage status."),
    };

    /// <summary>Reads a stored checkpoint status, in any letter case.</summary>
    public static bool TryParse(string value, out CheckpointStatus status) => TryParse(value, CheckpointStatuses, Of, out status);

    /// <summary>Reads a stored stage status, in any letter case.</summary>
    public static bool TryParse(string value, out StageStatus status) => TryParse(value, StageStatuses, Of, out status);

    private static bool TryParse<T>(string value, T[] statuses, Func<T, string> name, out T status)
        where T : struct, Enum
    {
        var lower = value.ToLowerInvariant();
        foreach (var candidate in statuses)
        {
            if (string.Equals(name(candidate), lower, StringComparison.Ordinal))
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }
}
