using Checkpointing.Benchmarks.Quick;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// Prints what overlapped a run's slow calls: a GC, the store's background work, or neither; and, with the store's
/// timeline, which of its phases the slow calls overlapped and how long each phase took.
/// </summary>
internal static class SlowCallReport
{
    /// <summary>Prints the report for the calls in <paramref name="log"/>.</summary>
    /// <param name="what">Names the calls.</param>
    /// <param name="log">The calls.</param>
    /// <param name="timeline">The store's phases during the run, to print how long each took; <see langword="null"/> for none.</param>
    /// <param name="slowest">How many of the slowest calls to list one by one.</param>
    public static void Print(string what, CallLog log, BackgroundTimeline? timeline, int slowest)
    {
        Report.Line($"{what}: {log.SlowCallCauses()}; slowest:");
        foreach (var call in log.Slowest(slowest))
        {
            Report.Line("    " + call);
        }

        var activities = log.SlowCallActivities().ToList();
        if (activities.Count > 0)
        {
            Report.Line($"{what}: slow calls by the background phases they overlapped:");
            foreach (var line in activities)
            {
                Report.Line("    " + line);
            }
        }

        if (timeline is null)
        {
            return;
        }

        Report.Line($"{what}: background phases (count, total, longest):");
        foreach (var line in timeline.PhaseDurations())
        {
            Report.Line("    " + line);
        }
    }
}
