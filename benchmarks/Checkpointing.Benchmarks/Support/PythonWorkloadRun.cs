using System.Globalization;
using Checkpointing.Benchmarks.Quick;

namespace Checkpointing.Benchmarks.Support;

/// <summary>The timings of one run of <see cref="PythonWorkload"/>.</summary>
internal sealed class PythonWorkloadRun
{
    /// <summary>Gets the stage saves, each with what overlapped it.</summary>
    public CallLog SaveLog { get; } = new();

    /// <summary>Gets the write-ahead calls (none without write-ahead), each with what overlapped it.</summary>
    public CallLog WriteAheadLog { get; } = new();

    /// <summary>Gets what the store's compaction work did and when (its diagnostics hook), to attribute slow calls.</summary>
    public BackgroundTimeline Timeline { get; } = new();

    /// <summary>Gets the stage saves.</summary>
    public Samples Saves => SaveLog.Samples;

    /// <summary>Gets the write-ahead calls (none without write-ahead).</summary>
    public Samples WriteAhead => WriteAheadLog.Samples;

    /// <summary>Gets or sets the whole run, create to close, in seconds.</summary>
    public double TotalSeconds { get; set; }

    /// <summary>Gets or sets how long the manager's dispose took at the end (its compaction included), in milliseconds.</summary>
    public double CloseMs { get; set; }

    /// <summary>Gets or sets how many times the snapshot was seen to change after a save.</summary>
    public int SnapshotRewrites { get; set; }

    /// <summary>Gets or sets the snapshot's size after close.</summary>
    public long FinalSnapshotBytes { get; set; }

    /// <summary>Gets or sets the GC pauses during the run, in milliseconds.</summary>
    public double GcPauseMs { get; set; }

    /// <summary>Gets or sets the gen-2 collections during the run.</summary>
    public int Gen2Collections { get; set; }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"total {TotalSeconds:F2} s ({PythonWorkload.PythonSeconds / TotalSeconds:F0}x the Python original's {PythonWorkload.PythonSeconds} s); ")
        + $"stage save {Saves}, p99 {Report.Ms(Saves.Percentile(0.99))}; close {Report.Ms(CloseMs)}; snapshot written {SnapshotRewrites} times, final {Report.Bytes(FinalSnapshotBytes)}; "
        + $"GC pauses {Report.Ms(GcPauseMs)} in all, {Gen2Collections} gen-2 collections";
}
