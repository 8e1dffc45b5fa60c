namespace Checkpointing.Tool.Cli;

/// <summary>Run statuses given on the command line (<c>--status failed --status paused</c> or <c>--status failed,paused</c>).</summary>
internal static class StatusInput
{
    public static HashSet<CheckpointStatus>? Parse(string[]? values, string option)
    {
        if (values is not { Length: > 0 })
        {
            return null;
        }

        var statuses = new HashSet<CheckpointStatus>();
        foreach (var value in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            statuses.Add(Enum.TryParse<CheckpointStatus>(value, ignoreCase: true, out var parsed) && !char.IsDigit(value[0])
                ? parsed
                : throw new UsageException($"{option} '{value}' is not a status: use active, paused, resumed, failed or completed."));
        }

        return statuses;
    }
}
