using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Quick;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// When a store's background work (a fold, a WAL checkpoint) entered each of its phases, as a store's diagnostics hook
/// reports them (<c>(work, phase)</c>; the phase <c>"idle"</c> ends the work). It tells what was running while a call
/// was slow, and how long each phase took.
/// </summary>
internal sealed class BackgroundTimeline
{
    private const string Idle = "idle";
    private readonly object _gate = new();
    private readonly List<Entry> _entries = [];

    /// <summary>Records that <paramref name="work"/> entered <paramref name="phase"/> now (thread-safe; the hook to give the store).</summary>
    public void Enter(string work, string phase)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _entries.Add(new Entry(now, work, phase));
        }
    }

    /// <summary>Gets whether any work of kind <paramref name="work"/> was in a phase other than idle between the two timestamps.</summary>
    public bool Active(string work, long start, long end) => PhasesDuring(start, end).Any(entry => entry.Work == work);

    /// <summary>What ran between the two timestamps: each work with the phases it was in, e.g. <c>fold: writing a chunk, switching</c>.</summary>
    public string During(long start, long end)
    {
        var phases = PhasesDuring(start, end);
        return phases.Count == 0
            ? "no background work"
            : string.Join("; ", phases.GroupBy(entry => entry.Work).Select(work => $"{work.Key}: {string.Join(", ", work.Select(entry => entry.Phase).Distinct())}"));
    }

    /// <summary>Per work and phase: how often it was entered, its total and its longest time (report only).</summary>
    public IEnumerable<string> PhaseDurations()
    {
        List<Entry> entries;
        lock (_gate)
        {
            entries = [.. _entries];
        }

        return entries
            .GroupBy(entry => entry.Work)
            .SelectMany(work => work.Zip(work.Skip(1), (entry, next) => (entry.Work, entry.Phase, Ms: Stopwatch.GetElapsedTime(entry.Timestamp, next.Timestamp).TotalMilliseconds)))
            .Where(span => span.Phase != Idle)
            .GroupBy(span => (span.Work, span.Phase))
            .OrderBy(group => group.Key.Work, StringComparer.Ordinal)
            .ThenByDescending(group => group.Max(span => span.Ms))
            .Select(group => string.Create(
                CultureInfo.InvariantCulture,
                $"{group.Key.Work}: {group.Key.Phase}: {group.Count()}x, total {Report.Ms(group.Sum(span => span.Ms))}, longest {Report.Ms(group.Max(span => span.Ms))}"));
    }

    /// <summary>The non-idle phases in effect at <paramref name="start"/> or entered up to <paramref name="end"/>, in order.</summary>
    private List<Entry> PhasesDuring(long start, long end)
    {
        lock (_gate)
        {
            var during = new List<Entry>();
            foreach (var work in _entries.Select(entry => entry.Work).Distinct())
            {
                var ofWork = _entries.Where(entry => entry.Work == work).ToList();
                var atStart = ofWork.LastOrDefault(entry => entry.Timestamp <= start);
                if (atStart is not null && atStart.Phase != Idle)
                {
                    during.Add(atStart);
                }

                during.AddRange(ofWork.Where(entry => entry.Timestamp > start && entry.Timestamp <= end && entry.Phase != Idle));
            }

            return during;
        }
    }

    private sealed record Entry(long Timestamp, string Work, string Phase);
}
