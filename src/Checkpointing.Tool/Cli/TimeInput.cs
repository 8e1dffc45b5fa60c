using System.Globalization;

namespace Checkpointing.Tool.Cli;

/// <summary>Durations (<c>500ms</c>, <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>, <c>1.02:00:00</c>) and points in time (ISO 8601, or a duration meaning that long ago).</summary>
internal static class TimeInput
{
    public static TimeSpan ParseDuration(string text, string option)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase)
            && double.TryParse(trimmed[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        if (trimmed.Length > 1 && double.TryParse(trimmed[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            switch (char.ToLowerInvariant(trimmed[^1]))
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
                case 'w': return TimeSpan.FromDays(amount * 7);
            }
        }

        if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new UsageException($"{option} '{text}' is not a duration: write it as 500ms, 90s, 30m, 12h, 7d, 2w or d.hh:mm:ss.");
    }

    public static DateTimeOffset ParsePoint(string text, DateTimeOffset now, string option)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var point))
        {
            return point;
        }

        try
        {
            return now - ParseDuration(text, option);
        }
        catch (UsageException)
        {
            throw new UsageException($"{option} '{text}' is neither a time (2026-11-27T10:00:00Z) nor a duration ago (30m, 12h, 7d).");
        }
    }
}
