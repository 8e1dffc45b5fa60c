using System.Globalization;

namespace Checkpointing.Tool.Output;

/// <summary>How the tool writes times, durations, sizes and costs for people.</summary>
internal static class Formats
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Relative(DateTimeOffset when, DateTimeOffset now)
    {
        var ago = now - when;
        var future = ago < TimeSpan.Zero;
        var span = future ? -ago : ago;
        var text = span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds}s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours}h"
            : $"{(int)span.TotalDays}d";
        return future ? $"in {text}" : $"{text} ago";
    }

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "-" + Duration(-span);
        }

        return span.TotalSeconds < 60 ? span.TotalSeconds.ToString("0.0", Invariant) + "s"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : $"{(int)span.TotalDays}d{span.Hours:00}h";
    }

    public static string Timestamp(DateTimeOffset when) => when.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", Invariant);

    public static string Size(long bytes) =>
        bytes < 1024 ? $"{bytes} B"
        : bytes < 1024 * 1024 ? (bytes / 1024.0).ToString("0.0", Invariant) + " KB"
        : (bytes / (1024.0 * 1024)).ToString("0.0", Invariant) + " MB";

    /// <summary>Costs by currency, for example <c>0.0123 USD</c>; <c>-</c> when nothing was recorded.</summary>
    public static string Cost(LlmUsageTotals totals) =>
        totals.CostByCurrency.Count == 0
            ? (totals.Calls == 0 ? "-" : "?")
            : string.Join(" + ", totals.CostByCurrency.Select(p => p.Value.ToString("0.####", Invariant) + " " + p.Key));

    /// <summary>A count and its noun, singular for one: <c>1 card</c>, <c>2 cards</c>.</summary>
    public static string Count(long count, string noun) => count.ToString("#,0", Invariant) + " " + (count == 1 ? noun : noun + "s");

    /// <summary>The stage a run is at; <c>-</c> once it has completed (its last stage is no longer current).</summary>
    public static string CurrentStage(PipelineCheckpoint checkpoint) =>
        checkpoint.Status == CheckpointStatus.Completed ? "-" : checkpoint.CurrentStage ?? "-";

    /// <summary>
    /// The time a run still needs; <c>-</c> when it has completed or none could be estimated (no completed stage recorded
    /// a duration, or a writer such as the Python manager stored no estimate).
    /// </summary>
    public static string Eta(PipelineCheckpoint checkpoint) =>
        checkpoint.Status == CheckpointStatus.Completed || checkpoint.EstimatedRemaining <= TimeSpan.Zero
            ? "-"
            : Duration(checkpoint.EstimatedRemaining);

    public static string Number(long value) => value.ToString("#,0", Invariant);

    public static string Status(CheckpointStatus status) => status.ToString().ToLowerInvariant();

    public static string Status(StageStatus status) => status.ToString().ToLowerInvariant();
}
