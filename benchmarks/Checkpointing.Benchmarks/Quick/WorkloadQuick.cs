using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (g): the Python original's own workload end to end, through a manager on the default file store: create, 1000
/// stages (each with a small result, 3 artifact paths and 10 LLM responses of a ~2 KB prompt and ~4 KB answer), close.
/// Run once as is and once with every answer written ahead (<see cref="CheckpointManager.CacheLlmResponseAsync"/>)
/// before its stage's save. The history reaches ~65 MB, so the journal is folded into the snapshot several times; a
/// save must never wait for that.
/// </summary>
internal static class WorkloadQuick
{
    public static async Task RunAsync(string root, Report report)
    {
        Report.Section($"(g) the Python workload end to end: create, {PythonWorkload.Stages} stages x {Workload.ResponsesPerStage} responses (~2 KB prompt, ~4 KB answer) + result + 3 artifacts, close; durable");
        // A short run first, so that no run below pays for compiling the code it runs (the first save took 20-90 ms).
        await PythonWorkload.RunAsync(Path.Combine(root, "workload-warm-up"), writeAhead: true, stages: 50);
        var disk = RawDisk(Path.Combine(root, "workload-raw-disk"));
        Report.Line($"raw disk, {PythonWorkload.Stages} x 64 KB append + fdatasync (the floor under every save): {disk}, p99 {Report.Ms(disk.Percentile(0.99))}");
        var aheadDisk = RawWriteAheadDisk(Path.Combine(root, "workload-raw-disk-ahead"));
        Report.Line(
            $"raw disk, {AheadFloorCalls} x {AheadFloorBytes >> 10} KB written over zeros + fdatasync (the floor under every write-ahead call): {aheadDisk}, p99 {Report.Ms(aheadDisk.Percentile(0.99))}; "
            + $"max/median {aheadDisk.Max / aheadDisk.Median:F1}x, p99/median {aheadDisk.Percentile(0.99) / aheadDisk.Median:F1}x");
        var floor = await PythonWorkload.RunAsync(Path.Combine(root, "workload-no-compaction"), writeAhead: false, compact: false);
        Report.Line($"never compacting (the noise floor of this machine): {floor}");
        var plain = await PythonWorkload.RunAsync(Path.Combine(root, "workload-plain"), writeAhead: false);
        Report.Line($"saves only:        {plain}");
        var ahead = await PythonWorkload.RunAsync(Path.Combine(root, "workload-write-ahead"), writeAhead: true);
        Report.Line($"answers ahead too: {ahead}");
        Report.Line($"  write-ahead calls: {ahead.WriteAhead}, p99 {Report.Ms(ahead.WriteAhead.Percentile(0.99))}; max {ahead.WriteAhead.Max / aheadDisk.Max:F1}x the raw disk's max");
        Report.Line(
            $"the disk's own spread in this run: p99/median {disk.Percentile(0.99) / disk.Median:F1}x, max/median {disk.Max / disk.Median:F1}x; "
            + $"saves only beside it: p99 {plain.Saves.Percentile(0.99) / disk.Percentile(0.99):F1}x the disk's p99, max {plain.Saves.Max / disk.Max:F1}x the disk's max");
        SlowCallReport.Print("never compacting, saves", floor.SaveLog, floor.Timeline, 5);
        SlowCallReport.Print("saves only, saves", plain.SaveLog, plain.Timeline, 5);
        SlowCallReport.Print("answers ahead, saves", ahead.SaveLog, timeline: null, 5);
        SlowCallReport.Print("answers ahead, write-ahead calls", ahead.WriteAheadLog, ahead.Timeline, 5);

        report.AtMost("whole run, durable, with close (no write-ahead)", plain.TotalSeconds, 1.3, "s");
        report.AtLeast("speed-up over the Python original's 136 s (no write-ahead)", PythonWorkload.PythonSeconds / plain.TotalSeconds, 100, "x");
        report.AtMost("stage save max / median, history to ~65 MB", plain.Saves.Max / plain.Saves.Median, 10);
        report.AtMost("stage save p99 / median, history to ~65 MB", plain.Saves.Percentile(0.99) / plain.Saves.Median, 3);
        report.AtMost("write-ahead call max / median, compactions happening", ahead.WriteAhead.Max / ahead.WriteAhead.Median, 10);
        report.AtMost("stage save max / median, with write-ahead", ahead.Saves.Max / ahead.Saves.Median, 10);
    }

    /// <summary>As many appends as the write-ahead run makes, of about a write-ahead record's size (a 2 KB prompt, a 4 KB answer, JSON).</summary>
    private const int AheadFloorCalls = PythonWorkload.Stages * Workload.ResponsesPerStage, AheadFloorBytes = 8 << 10;

    private static Samples RawWriteAheadDisk(string directory)
    {
        Directory.CreateDirectory(directory);
        var record = new byte[AheadFloorBytes];
        Random.Shared.NextBytes(record);
        var samples = new Samples();
        using var floor = new DiskFloor(directory);
        floor.ZeroFill((long)AheadFloorCalls * AheadFloorBytes);
        for (var i = 0; i < AheadFloorCalls; i++)
        {
            samples.Time(() => floor.Append(record));
        }

        return samples;
    }

    private static Samples RawDisk(string directory)
    {
        Directory.CreateDirectory(directory);
        var record = new byte[64 << 10];
        Random.Shared.NextBytes(record);
        var samples = new Samples();
        using var floor = new DiskFloor(directory);
        for (var i = 0; i < PythonWorkload.Stages; i++)
        {
            samples.Time(() => floor.Append(record));
        }

        return samples;
    }
}
