using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Support;
using Checkpointing.FileStore;

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
    private const int Stages = 1000;

    /// <summary>The Python original's whole run of this workload on this kind of machine (issue 13), not durable.</summary>
    private const double PythonSeconds = 136;

    public static async Task RunAsync(string root, Report report)
    {
        Report.Section($"(g) the Python workload end to end: create, {Stages} stages x {Workload.ResponsesPerStage} responses (~2 KB prompt, ~4 KB answer) + result + 3 artifacts, close; durable");
        var floor = await RunOnceAsync(Path.Combine(root, "workload-no-compaction"), writeAhead: false, compact: false);
        Report.Line($"never compacting (the noise floor of this machine): {floor}");
        var plain = await RunOnceAsync(Path.Combine(root, "workload-plain"), writeAhead: false);
        Report.Line($"saves only:        {plain}");
        var ahead = await RunOnceAsync(Path.Combine(root, "workload-write-ahead"), writeAhead: true);
        Report.Line($"answers ahead too: {ahead}");
        Report.Line($"  write-ahead calls: {ahead.WriteAhead}, p99 {Report.Ms(ahead.WriteAhead.Percentile(0.99))}");

        report.AtMost("whole run, durable, with close (no write-ahead)", plain.TotalSeconds, 1.3, "s");
        report.AtLeast("speed-up over the Python original's 136 s (no write-ahead)", PythonSeconds / plain.TotalSeconds, 100, "x");
        report.AtMost("stage save max / median, history to ~65 MB", plain.Saves.Max / plain.Saves.Median, 10);
        report.AtMost("stage save p99 / median, history to ~65 MB", plain.Saves.Percentile(0.99) / plain.Saves.Median, 3);
        report.AtMost("write-ahead call max / median, compactions happening", ahead.WriteAhead.Max / ahead.WriteAhead.Median, 10);
        report.AtMost("stage save max / median, with write-ahead", ahead.Saves.Max / ahead.Saves.Median, 10);
    }

    private static async Task<Result> RunOnceAsync(string directory, bool writeAhead, bool compact = true)
    {
        var result = new Result();
        var snapshot = new FileInfo(CardPaths.For(Path.GetFullPath(directory), Workload.CardId).Snapshot);
        var snapshotLength = 0L;
        var repository = new FileSystemCheckpointRepository(
            directory, compact ? null : new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = long.MaxValue });
        var gcPause = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var start = Stopwatch.GetTimestamp();
        var manager = new CheckpointManager(Workload.CardId, repository, new CheckpointManagerOptions());
        await using (manager)
        {
            await manager.CreateCheckpointAsync(Stages);
            for (var index = 1; index <= Stages; index++)
            {
                var stage = Workload.StageName(index);
                var responses = Workload.StageResponses(index);
                var artifacts = Artifacts(index);
                if (writeAhead)
                {
                    foreach (var response in responses)
                    {
                        var called = Stopwatch.GetTimestamp();
                        await manager.CacheLlmResponseAsync(stage, response);
                        result.WriteAhead.AddSince(called);
                    }
                }

                var saved = Stopwatch.GetTimestamp();
                await manager.SaveStageCheckpointAsync(
                    stage, StageStatus.Completed, new StageResult(index, "ok"), artifacts, writeAhead ? null : responses);
                result.Saves.AddSince(saved);

                // A change of the snapshot's length is a compaction that ended (in the background) since the last look.
                snapshot.Refresh();
                if (snapshot.Exists && snapshot.Length != snapshotLength)
                {
                    snapshotLength = snapshot.Length;
                    result.SnapshotRewrites++;
                }
            }
        }

        result.TotalSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        result.GcPauseMs = (GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds;
        result.Gen2Collections = GC.CollectionCount(2) - gen2;
        snapshot.Refresh();
        result.FinalSnapshotBytes = snapshot.Length;
        return result;
    }

    private static string[] Artifacts(int index) =>
    [
        string.Create(CultureInfo.InvariantCulture, $"out/stage-{index:D5}/report.md"),
        string.Create(CultureInfo.InvariantCulture, $"out/stage-{index:D5}/diff.patch"),
        string.Create(CultureInfo.InvariantCulture, $"out/stage-{index:D5}/summary.json"),
    ];

    /// <summary>The small result each stage records.</summary>
    private sealed record StageResult(int Index, string Outcome);

    private sealed class Result
    {
        public Samples Saves { get; } = new();

        public Samples WriteAhead { get; } = new();

        public double TotalSeconds { get; set; }

        public int SnapshotRewrites { get; set; }

        public long FinalSnapshotBytes { get; set; }

        public double GcPauseMs { get; set; }

        public int Gen2Collections { get; set; }

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"total {TotalSeconds:F2} s ({PythonSeconds / TotalSeconds:F0}x the Python original's {PythonSeconds} s); ")
            + $"stage save {Saves}, p99 {Report.Ms(Saves.Percentile(0.99))}; snapshot written {SnapshotRewrites} times, final {Report.Bytes(FinalSnapshotBytes)}; "
            + $"GC pauses {Report.Ms(GcPauseMs)} in all, {Gen2Collections} gen-2 collections";
    }
}
