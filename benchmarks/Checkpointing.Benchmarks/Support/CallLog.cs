using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Quick;

namespace Checkpointing.Benchmarks.Support;

/// <summary>
/// Timings of one kind of call with what overlapped each: garbage collections (count per generation, pause time) and a
/// background compaction. It tells a slow call's cause apart: a GC pause, the fold's I/O or CPU, or neither (the disk
/// or the scheduler).
/// </summary>
internal sealed class CallLog
{
    private readonly List<Call> _calls = [];

    /// <summary>Gets the timings.</summary>
    public Samples Samples { get; } = new();

    /// <summary>Captures the state at the start of a call.</summary>
    public static Mark Start()
    {
        _ = GcEvents.Shared; // listening from the first call on
        return new(GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), Stopwatch.GetTimestamp());
    }

    /// <summary>Records a call that started at <paramref name="mark"/>.</summary>
    /// <param name="mark">From <see cref="Start"/>.</param>
    /// <param name="stage">The stage the call belongs to.</param>
    /// <param name="folding">Whether a background compaction was seen running before or after the call.</param>
    public void End(Mark mark, int stage, bool folding) => End(mark, stage, folding, activity: null);

    /// <summary>Records a call that started at <paramref name="mark"/>, with what the store's background work did meanwhile.</summary>
    /// <param name="mark">From <see cref="Start"/>.</param>
    /// <param name="stage">The stage the call belongs to.</param>
    /// <param name="background">The store's background phases; a fold (work <c>"fold"</c>) in any phase but idle counts as a compaction.</param>
    public void End(Mark mark, int stage, BackgroundTimeline background)
    {
        var end = Stopwatch.GetTimestamp();
        End(mark, stage, background.Active("fold", mark.Timestamp, end), background.During(mark.Timestamp, end));
    }

    private void End(Mark mark, int stage, bool folding, string? activity)
    {
        var ms = Samples.AddSince(mark.Timestamp);
        var allocated = GC.GetTotalAllocatedBytes() - mark.Allocated;
        var gen2 = GC.CollectionCount(2) - mark.Gen2;
        var gen1 = GC.CollectionCount(1) - mark.Gen1 - gen2;
        var gen0 = GC.CollectionCount(0) - mark.Gen0 - gen1 - gen2;
        _calls.Add(new Call(
            stage, ms, gen0, gen1, gen2, (GC.GetTotalPauseDuration() - mark.Pause).TotalMilliseconds, folding, allocated,
            gen0 + gen1 + gen2 > 0 ? LastCollection() : null, activity, mark.Gen0 + 1));
    }

    /// <summary>What the last collection did: a slow one copies (compacts) what survived; one that sweeps does not.</summary>
    private static string LastCollection()
    {
        var last = GC.GetGCMemoryInfo(GCKind.Any);
        return string.Create(
            CultureInfo.InvariantCulture,
            $" (last GC: gen {last.Generation}, {(last.Compacted ? "compacting" : "sweeping")}, promoted {Report.Bytes(last.PromotedBytes)}, heap {Report.Bytes(last.HeapSizeBytes)})");
    }

    /// <summary>
    /// Of the calls slower than <paramref name="factor"/> times the median: how many, how many overlapped a GC, how many a
    /// compaction, and how many neither.
    /// </summary>
    public string SlowCallCauses(double factor = 3)
    {
        var threshold = Samples.Median * factor;
        var slow = _calls.Where(call => call.Ms > threshold).ToList();
        var withGc = slow.Count(call => call.Collections > 0);
        var folding = slow.Count(call => call.Folding);
        var neither = slow.Count(call => call.Collections == 0 && !call.Folding);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{slow.Count} calls > {factor:0.#}x median ({Report.Ms(threshold)}): {withGc} overlapped a GC, {folding} a compaction, {neither} neither; "
            + $"all calls: {_calls.Count(call => call.Collections > 0)} overlapped a GC, {_calls.Count(call => call.Folding)} a compaction, "
            + $"median {Report.Bytes(Median(_calls.Select(call => (double)call.Allocated)))} allocated (all threads) per call");
    }

    /// <summary>
    /// Of the calls slower than <paramref name="factor"/> times the median, how many overlapped each combination of
    /// background phases (calls recorded with a <see cref="BackgroundTimeline"/> only), most first.
    /// </summary>
    public IEnumerable<string> SlowCallActivities(double factor = 3)
    {
        var threshold = Samples.Median * factor;
        return _calls
            .Where(call => call.Ms > threshold && call.Activity is not null)
            .GroupBy(call => call.Activity!, StringComparer.Ordinal)
            .OrderByDescending(group => group.Count())
            .Select(group => string.Create(CultureInfo.InvariantCulture, $"{group.Count(),4} (longest {Report.Ms(group.Max(call => call.Ms))}): {group.Key}"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    /// <summary>The <paramref name="count"/> slowest calls, each with what overlapped it.</summary>
    public IEnumerable<string> Slowest(int count) =>
        _calls.OrderByDescending(call => call.Ms).Take(count).Select(call => string.Create(
            CultureInfo.InvariantCulture,
            $"{Report.Ms(call.Ms),9} at stage {call.Stage,4}: GCs {call.Gen0}/{call.Gen1}/{call.Gen2} (gen 0/1/2), pause {Report.Ms(call.GcPauseMs)}, {Report.Bytes(call.Allocated)} allocated, {(call.Folding ? "compaction running" : "no compaction")}{call.LastGc}{(call.Activity is null ? string.Empty : $"; {call.Activity}")}{(call.Collections > 0 ? $"; {GcEvents.Shared.Describe(call.FirstGc, call.FirstGc + call.Collections - 1)}" : string.Empty)}"));

    /// <summary>The state at the start of a call.</summary>
    internal readonly record struct Mark(long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Timestamp);

    private readonly record struct Call(int Stage, double Ms, int Gen0, int Gen1, int Gen2, double GcPauseMs, bool Folding, long Allocated, string? LastGc, string? Activity, int FirstGc)
    {
        public int Collections => Gen0 + Gen1 + Gen2;
    }
}
